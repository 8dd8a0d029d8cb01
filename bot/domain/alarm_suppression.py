"""Why an alarm's actions did not run: a composite alarm's suppressor, or an alarm mute rule.

EventBridge carries both in the state change: ``state.actionsSuppressedBy`` (WaitPeriod,
ExtensionPeriod or Alarm), ``state.actionsSuppressedReason`` and the composite alarm's
``configuration.actionsSuppressor``; ``muteDetail`` (``mutedByArn``, ``muteWindowStart``,
``muteWindowEnd``) when a mute rule silenced the alarm. A mute rule wins over a suppressor,
as it does in CloudWatch. The same fields in SNS spelling (``ActionsSuppressedBy``, ...) are
read too. Only an alarm state change that carries one of these fields loads this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from bot.domain.alarm_events import split_alarm_arn
from bot.domain.alarm_reasons import dict_of, text_of, time_of
from bot.domain.records import frozen


@frozen
class Suppression:
    """Why an alarm's actions did not run: a suppressor alarm (composite alarms) or a mute rule.

    ``kind`` is "suppressed" (``by`` is WaitPeriod, ExtensionPeriod or Alarm; ``suppressor`` the
    suppressor alarm) or "muted" (``by`` is the mute rule's name or ARN).
    """

    kind: Literal["suppressed", "muted"]
    by: str
    reason: str = ""
    suppressor: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None


_SUPPRESSED_BY = {
    "waitperiod": "WaitPeriod",
    "extensionperiod": "ExtensionPeriod",
    "alarm": "Alarm",
}


def _field(mapping: Mapping[str, Any], name: str) -> Any:
    """``name`` in camelCase or PascalCase (EventBridge or SNS spelling)."""
    if name in mapping:
        return mapping[name]
    return mapping.get(name[:1].upper() + name[1:])


def mute_rule_name(arn: str) -> str:
    """'arn:aws:cloudwatch:us-east-1:123:alarm-mute-rule:night' -> 'night' (else the text)."""
    marker = ":alarm-mute-rule:"
    return arn.split(marker, 1)[1] if marker in arn else arn


def suppressor_name(value: str) -> str:
    """A suppressor given as an alarm ARN or a name -> the alarm's name."""
    return split_alarm_arn(value)[2] or value


def read_suppression(
    holder: Mapping[str, Any], state: Mapping[str, Any], configuration: Mapping[str, Any]
) -> Suppression | None:
    """The suppression or mute an alarm state change reports; None when its actions ran.

    ``holder`` holds ``muteDetail`` (the EventBridge detail or the SNS message), ``state`` the
    new state (``actionsSuppressedBy``) and ``configuration`` the suppressor's name.
    """
    mute = dict_of(_field(holder, "muteDetail"))
    muted_by = text_of(_field(mute, "mutedByArn")) or text_of(_field(mute, "muteRuleArn"))
    if mute and (muted_by or _field(mute, "muteWindowStart")):
        return Suppression(
            kind="muted",
            by=mute_rule_name(muted_by or "a mute rule"),
            window_start=time_of(_field(mute, "muteWindowStart")),
            window_end=time_of(_field(mute, "muteWindowEnd")),
        )
    by = text_of(_field(state, "actionsSuppressedBy")) or text_of(
        _field(holder, "actionsSuppressedBy")
    )
    if by is None:
        return None
    reason = text_of(_field(state, "actionsSuppressedReason")) or text_of(
        _field(holder, "actionsSuppressedReason")
    )
    suppressor = text_of(_field(configuration, "actionsSuppressor")) or text_of(
        _field(holder, "actionsSuppressor")
    )
    return Suppression(
        kind="suppressed",
        by=_SUPPRESSED_BY.get(by.lower(), by),
        reason=reason or "",
        suppressor=suppressor_name(suppressor) if suppressor else "",
    )
