"""Prune jobs: which policy applies to a table, and the per-table task a prune run sends. Pure.

Policy precedence (DESIGN.md section 7): the table's `opsbot:retention` tag, then the
per-table configuration, then the default. No policy anywhere means the table is left
untouched; a tag of `none` (or `off`) opts a table out even when a default exists.
Policy flags typed on `/ddb prune <table>` replace the keep rules of the table named. Typed
with `--all`, they apply only to tables without a policy of their own (a tag, `none`
included, or a per-table configuration), in place of the default: one typed line must not
override every table's own retention at once. Either way a configured `min-age` floor still
applies: a typed command should not be able to delete what the floor protects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.domain.errors import InvalidValue
from bot.domain.policy import RetentionPolicy, parse_policy
from bot.domain.records import frozen

RETENTION_TAG = "opsbot:retention"
OPT_OUT = frozenset({"none", "off"})
OWN_SOURCES = frozenset({"tag", "config"})  # a policy of the table's own, not the default


@frozen
class ResolvedPolicy:
    """The policy a table gets and where it came from (tag, config, default, flags, none)."""

    policy: RetentionPolicy | None
    source: str
    # Typed rules (source "flags") and the configured policy they stand in for, if any.
    replaced: RetentionPolicy | None = None
    replaced_source: str = ""

    @property
    def text(self) -> str:
        """The policy in the form parse_policy reads back ('' when there is none)."""
        return self.policy.as_text() if self.policy else ""

    @property
    def applies(self) -> bool:
        """Whether the table is pruned at all."""
        return self.policy is not None


def resolve_policy(
    table: str,
    *,
    tag: str | None,
    tables: Mapping[str, str],
    default: str,
    flags: RetentionPolicy | None = None,
    every_table: bool = False,
) -> ResolvedPolicy:
    """The table's policy: flags > tag > per-table config > default, except that with
    ``every_table`` (`--all`) a table's own tag or config wins over the flags; InvalidValue
    on a bad policy."""
    configured = _configured(table, tag=tag, tables=tables, default=default)
    if flags is None or flags.is_empty:
        return configured
    if every_table and configured.source in OWN_SOURCES:
        return configured
    # Typed rules replace the keep rules; a configured min-age floor still applies.
    floor = configured.policy.min_age if configured.policy else None
    return ResolvedPolicy(
        replace(flags, min_age=floor), "flags", configured.policy, configured.source
    )


def _configured(
    table: str, *, tag: str | None, tables: Mapping[str, str], default: str
) -> ResolvedPolicy:
    if tag is not None and tag.strip():
        if tag.strip().lower() in OPT_OUT:
            return ResolvedPolicy(None, "tag")
        try:
            return ResolvedPolicy(parse_policy(tag), "tag")
        except InvalidValue as exc:
            raise InvalidValue(f"the `{RETENTION_TAG}` tag of `{table}`: {exc.message}") from None
    text = tables.get(table)
    if text is not None and text.strip():
        return ResolvedPolicy(parse_policy(text), "config")
    if default.strip():
        return ResolvedPolicy(parse_policy(default), "default")
    return ResolvedPolicy(None, "none")


def run_id_for(started: datetime, event_id: str) -> str:
    """A prune run's id: sortable by start time, unique per triggering event."""
    return f"{started.astimezone(UTC):%Y%m%dT%H%M%SZ}-{event_id}"


@frozen
class PruneTask:
    """One table of one prune run: the SQS message body the prune worker receives."""

    run_id: str
    region: str
    table: str
    # parse_policy text; '' with no error: the worker resolves the table's policy itself
    # (its tag, then the configuration, then ``flags`` or the default: see resolve_policy)
    policy: str
    source: str = "config"
    mode: str | None = None  # None: the configured prune mode; "report" or "delete"
    arns: tuple[str, ...] | None = None  # delete only these (a confirmed plan), else the plan's
    requester: str = ""  # the Slack user a confirmed `--all --apply` is attributed to
    error: str | None = None  # the policy could not be resolved: report it, touch nothing
    account: str = ""  # the account id ('' : the account opsbot runs in)
    approved_by: str = ""  # who approved the `--all --apply`, when `[approvals]` names it
    flags: str = ""  # rules typed with `/ddb prune --all` (parse_policy text), for resolving
    plan_run: str = ""  # delete only what this report run planned for the table (`--all --apply`)
    table_arn: str = ""  # for its `opsbot:retention` tag, when the worker resolves the policy

    @property
    def resolves_policy(self) -> bool:
        """Whether the worker reads the table's tag and resolves its policy."""
        return not self.policy and self.error is None

    @property
    def plans_every_table(self) -> bool:
        """Whether this is a table of `/ddb prune --all` being planned (its plan is stored
        for the summary and for the confirmation)."""
        return self.mode == "report" and bool(self.requester)

    @property
    def group(self) -> str:
        """The account and region the task's API calls go to: one SQS FIFO message group,
        so one worker at a time calls each account and region, at its documented rate."""
        return f"{self.account or 'home'}#{self.region}"

    @property
    def key(self) -> str:
        """The task's identity within its run: (account,) region and table."""
        if self.account:
            return f"{self.account}#{self.region}#{self.table}"
        return f"{self.region}#{self.table}"

    def to_json(self) -> str:
        """The message body."""
        data: dict[str, Any] = {
            "run_id": self.run_id,
            "region": self.region,
            "table": self.table,
            "policy": self.policy,
            "source": self.source,
        }
        for name in (
            "mode",
            "requester",
            "approved_by",
            "error",
            "account",
            "flags",
            "plan_run",
            "table_arn",
        ):
            if getattr(self, name):
                data[name] = getattr(self, name)
        if self.arns is not None:
            data["arns"] = list(self.arns)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, body: str) -> PruneTask:
        """Parse a message body; InvalidValue when it is not a prune task."""
        try:
            data = json.loads(body)
        except ValueError:
            raise InvalidValue("the message body is not JSON") from None
        if not isinstance(data, dict):
            raise InvalidValue("the message body is not a JSON object")
        for name in ("run_id", "region", "table", "policy"):
            if not isinstance(data.get(name), str) or (name != "policy" and not data[name]):
                raise InvalidValue(f"the message has no `{name}`")
        mode = data.get("mode")
        if mode not in (None, "report", "delete"):
            raise InvalidValue(f"`{mode}` is not a prune mode (report or delete)")
        arns = data.get("arns")
        if arns is not None and not (
            isinstance(arns, list) and all(isinstance(a, str) for a in arns)
        ):
            raise InvalidValue("`arns` must be a list of backup ARNs")
        task = cls(
            run_id=data["run_id"],
            region=data["region"],
            table=data["table"],
            policy=data["policy"],
            source=str(data.get("source", "config")),
            mode=mode,
            arns=tuple(arns) if arns is not None else None,
            requester=str(data.get("requester", "")),
            approved_by=str(data.get("approved_by", "")),
            error=str(data["error"]) if data.get("error") else None,
            account=_account_id(data.get("account")),
            flags=str(data.get("flags", "")),
            plan_run=str(data.get("plan_run", "")),
            table_arn=str(data.get("table_arn", "")),
        )
        if task.resolves_policy and not task.table_arn:
            raise InvalidValue("the message has neither a `policy` nor a `table_arn`")
        # A bad policy is bad input, not a reason to retry.
        for text in (task.policy, task.flags):
            if text and task.error is None:
                parse_policy(text)
        return task


def _account_id(value: Any) -> str:
    """An account id from a message ('' when absent); InvalidValue when it is not one."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not (len(value) == 12 and value.isascii() and value.isdigit()):
        raise InvalidValue("`account` must be a 12-digit account id")
    return value


def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    """``items`` in consecutive slices of at most ``size`` (SendMessageBatch takes 10)."""
    return [items[i : i + size] for i in range(0, len(items), size)]
