"""Region display names, as CloudWatch alarm notifications have written them over the years.

An SNS alarm message's ``Region`` is a display name, not a code, and its wording changed with
time: "US - N. Virginia" and "US East - N. Virginia" in old notifications, "US East (N.
Virginia)" later, "EU (Ireland)" before "Europe (Ireland)". :func:`region_from_display_name`
reads any of them; only the alarm path that has no ARN loads this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# region code: (the area words used before the place, the place words used for the region)
_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "us-east-1": (
        ("US East", "US", "US-East", ""),
        ("N. Virginia", "Northern Virginia", "Virginia"),
    ),
    "us-east-2": (("US East", "US", "US-East", ""), ("Ohio",)),
    "us-west-1": (
        ("US West", "US", "US-West", ""),
        ("N. California", "Northern California", "California"),
    ),
    "us-west-2": (("US West", "US", "US-West", ""), ("Oregon",)),
    "ca-central-1": (("Canada", "CA", "Canada Central"), ("Central", "Montreal", "")),
    "ca-west-1": (("Canada West", "Canada", "CA West", ""), ("Calgary",)),
    "mx-central-1": (("Mexico", "MX"), ("Central", "Queretaro")),
    "sa-east-1": (("South America", "SA", "South America East", ""), ("Sao Paulo", "Brazil")),
    "eu-west-1": (("EU", "Europe", "EU West", ""), ("Ireland", "Dublin")),
    "eu-west-2": (("EU", "Europe", "EU West", ""), ("London",)),
    "eu-west-3": (("EU", "Europe", "EU West", ""), ("Paris",)),
    "eu-central-1": (("EU", "Europe", "EU Central", ""), ("Frankfurt", "Germany")),
    "eu-central-2": (("EU", "Europe", "EU Central", ""), ("Zurich",)),
    "eu-north-1": (("EU", "Europe", "EU North", ""), ("Stockholm",)),
    "eu-south-1": (("EU", "Europe", "EU South", ""), ("Milan",)),
    "eu-south-2": (("EU", "Europe", "EU South", ""), ("Spain",)),
    "ap-northeast-1": (("Asia Pacific", "AP", "APAC", "Asia Pacific Northeast", ""), ("Tokyo",)),
    "ap-northeast-2": (("Asia Pacific", "AP", "APAC", "Asia Pacific Northeast", ""), ("Seoul",)),
    "ap-northeast-3": (
        ("Asia Pacific", "AP", "APAC", "Asia Pacific Northeast", ""),
        ("Osaka", "Osaka-Local", "Osaka Local"),
    ),
    "ap-southeast-1": (
        ("Asia Pacific", "AP", "APAC", "Asia Pacific Southeast", ""),
        ("Singapore",),
    ),
    "ap-southeast-2": (("Asia Pacific", "AP", "APAC", "Asia Pacific Southeast", ""), ("Sydney",)),
    "ap-southeast-3": (("Asia Pacific", "AP", "APAC", ""), ("Jakarta",)),
    "ap-southeast-4": (("Asia Pacific", "AP", "APAC", ""), ("Melbourne",)),
    "ap-southeast-5": (("Asia Pacific", "AP", "APAC", ""), ("Malaysia", "Kuala Lumpur")),
    "ap-southeast-6": (("Asia Pacific", "AP", "APAC", ""), ("New Zealand", "Auckland")),
    "ap-southeast-7": (("Asia Pacific", "AP", "APAC", ""), ("Thailand", "Bangkok")),
    "ap-south-1": (("Asia Pacific", "AP", "APAC", "Asia Pacific South", ""), ("Mumbai",)),
    "ap-south-2": (("Asia Pacific", "AP", "APAC", ""), ("Hyderabad",)),
    "ap-east-1": (("Asia Pacific", "AP", "APAC", "Asia Pacific East", ""), ("Hong Kong",)),
    "ap-east-2": (("Asia Pacific", "AP", "APAC", ""), ("Taipei",)),
    "me-south-1": (("Middle East", "ME", ""), ("Bahrain",)),
    "me-central-1": (("Middle East", "ME", ""), ("UAE", "United Arab Emirates")),
    "il-central-1": (("Israel", "IL", ""), ("Tel Aviv",)),
    "af-south-1": (("Africa", "AF", ""), ("Cape Town",)),
    "cn-north-1": (("China", "CN", ""), ("Beijing",)),
    "cn-northwest-1": (("China", "CN", ""), ("Ningxia",)),
    "us-gov-west-1": (("AWS GovCloud", "GovCloud"), ("US", "US-West", "US West")),
    "us-gov-east-1": (("AWS GovCloud", "GovCloud"), ("US-East", "US East")),
}
# Place words too common to name a region on their own.
_NOT_DISTINCTIVE = frozenset({"", "us", "central", "us west", "us east", "osaka local"})


def _normal(text: str) -> str:
    """'US East (N. Virginia)' -> 'us east n virginia'; 'São Paulo' -> 'sao paulo'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain.lower()).split())


def _spellings() -> Iterator[tuple[str, str]]:
    for code, (areas, places) in _NAMES.items():
        for area in areas:
            for place in places:
                if area or place:
                    yield _normal(f"{area} {place}"), code


_EXACT: dict[str, str] = {}
for _name, _code in _spellings():
    _EXACT.setdefault(_name, _code)
_PLACES: dict[str, set[str]] = {}
for _code, (_, _places) in _NAMES.items():
    for _place in _places:
        if _normal(_place) not in _NOT_DISTINCTIVE:
            _PLACES.setdefault(_normal(_place), set()).add(_code)


def region_from_display_name(name: object) -> str:
    """'US West (Oregon)', 'US - N. Virginia', 'EU (Ireland)' -> the region code; '' if unknown.

    A name not spelled exactly as AWS has spelled it is still read when it names exactly one
    region's place ("Virginia (US)" -> us-east-1).
    """
    if not isinstance(name, str) or not name.strip():
        return ""
    key = _normal(name)
    if key in _EXACT:
        return _EXACT[key]
    padded = f" {key} "
    found = {code for place, codes in _PLACES.items() if f" {place} " in padded for code in codes}
    return found.pop() if len(found) == 1 else ""
