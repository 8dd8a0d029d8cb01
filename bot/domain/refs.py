"""Table references as users type them: `orders`, `orders@us-west-2`,
`orders@payments-prod/us-west-2`, `orders@210987654321/us-west-2`. Pure.

Kept apart from the command grammar: configuration (`[home] tables`) and every function
read references, and only the Slack functions need the whole grammar.
"""

from __future__ import annotations

import re

from bot.domain.accounts import ALIAS
from bot.domain.errors import InvalidValue
from bot.domain.patterns import Lazy
from bot.domain.records import frozen
from bot.domain.regions import region_code
from bot.domain.typed import quoted

TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
# S3 bucket names: 3-63 lowercase letters, digits, dots and hyphens (S3 User Guide).
BUCKET_NAME = Lazy(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@frozen
class TableRef:
    """A table name with an optional region and account: `orders`, `orders@us-west-2`,
    `orders@payments-prod/us-west-2` or `orders@210987654321/us-west-2`."""

    name: str
    region: str | None = None
    account: str | None = None  # an alias or account id as typed; None: not named

    def __str__(self) -> str:
        if self.account:
            return f"{self.name}@{self.account}/{self.region}"
        return f"{self.name}@{self.region}" if self.region else self.name

    def in_region(self, default: str) -> TableRef:
        """The same table with the region filled in when none was given."""
        return self if self.region else TableRef(self.name, default, self.account)


def parse_table_ref(text: str) -> TableRef:
    """A typed reference -> TableRef; InvalidValue names the part that is wrong."""
    name, at, region = text.partition("@")
    if at and not name:
        raise InvalidValue(f"{quoted(text, 60)} has no table name before `@`")
    if not TABLE_NAME.fullmatch(name):
        raise InvalidValue(
            f"{quoted(name, 60)} is not a table name (3-255 letters, digits, `_`, `-` or `.`)"
        )
    if at and "/" in region:
        account, _, region = region.partition("/")
        if not account:
            raise InvalidValue(
                f"{quoted(text, 60)} has no account before `/` "
                "(like `orders@payments-prod/us-west-2`)"
            )
        if not ALIAS.fullmatch(account):  # an alias, or a 12-digit id (which fits it too)
            raise InvalidValue(
                f"{quoted(account)} is not an account alias or 12-digit id "
                "(like `orders@payments-prod/us-west-2`)"
            )
        if not region:
            raise InvalidValue(f"{quoted(text, 60)} has no region after `/` (like `us-west-2`)")
        return TableRef(name, parse_region(region), account)
    if at and not region:
        raise InvalidValue(
            f"{quoted(text, 60)} has no region after `@`: add one (like `{name}@us-west-2`) "
            "or leave out the `@`"
        )
    if at:
        return TableRef(name, parse_region(region))
    return TableRef(name)


def parse_region(text: str) -> str:
    """An AWS region code, or InvalidValue."""
    if region_code(text) is None:
        raise InvalidValue(f"{quoted(text, 40)} is not an AWS region code (like `us-west-2`)")
    return text


def parse_watched_table(text: str) -> TableRef:
    """`orders`, `orders@us-west-2` or `orders@payments-prod/us-west-2` (an alias or account
    id, then the region) from `[home] tables`; raises InvalidValue otherwise."""
    try:
        return parse_table_ref(text)
    except InvalidValue:
        raise InvalidValue(
            f"{quoted(text, 80)} is not a table like `orders`, `orders@us-west-2` or "
            "`orders@payments-prod/us-west-2`"
        ) from None
