"""Which bucket names and object keys S3 can have, checked before opsbot asks S3 anything. Pure.

A notice that names a bucket or key S3 cannot have is hostile or broken: S3 would answer
InvalidBucketName (or worse, a bucket that merely looks odd would be reported as
"unreadable" in the bot's channel), and retrying cannot help. The rules are S3's general
purpose bucket naming rules; buckets created in us-east-1 before March 2018 may also hold
capitals and underscores and be up to 255 characters long, so those pass too.
"""

from __future__ import annotations

from typing import Final

# Plain string checks, no regular expressions: this module is on the SNS inbox's cold start.
_MODERN_CHARACTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")
_LEGACY_CHARACTERS: Final = _MODERN_CHARACTERS | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_RESERVED_PREFIXES: Final = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES: Final = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
KEY_MAX_BYTES: Final = 1024


def _shaped(name: str, characters: frozenset[str], longest: int) -> bool:
    """3 to ``longest`` of ``characters``, beginning and ending with a letter or digit."""
    return (
        3 <= len(name) <= longest
        and set(name) <= characters
        and name[0].isalnum()
        and name[-1].isalnum()
    )


def _ip_address(name: str) -> bool:
    parts = name.split(".")
    return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 for p in parts)


def bucket_name_problem(name: object) -> str | None:
    """Why S3 cannot have a bucket of this name; None when it can."""
    if not isinstance(name, str) or not name:
        return "no bucket name"
    if not (_shaped(name, _MODERN_CHARACTERS, 63) or _shaped(name, _LEGACY_CHARACTERS, 255)):
        return (
            "a bucket name is 3 to 63 letters, digits, dots and hyphens (legacy: 255, with "
            "capitals and underscores), beginning and ending with a letter or digit"
        )
    if ".." in name:
        return "a bucket name has no two dots side by side"
    if _ip_address(name):
        return "a bucket name is not an IP address"
    lowered = name.lower()
    if lowered.startswith(_RESERVED_PREFIXES) or lowered.endswith(_RESERVED_SUFFIXES):
        return "a bucket name does not use a prefix or suffix S3 reserves"
    return None


def object_key_problem(key: object) -> str | None:
    """Why S3 cannot have an object of this key (any UTF-8 text of 1 to 1024 bytes); None
    when it can."""
    if not isinstance(key, str) or not key:
        return "no object key"
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        return "an object key is UTF-8 text"
    if size > KEY_MAX_BYTES:
        return f"an object key is at most {KEY_MAX_BYTES} bytes"
    return None
