"""The live load section of `/ddb status`: consumed against provisioned capacity of the table
and each GSI, throttle events and average latency per operation over the last hour, each
with a sparkline of its 5-minute points."""

from __future__ import annotations

from bot.domain.alarm_conditions import sparkline
from bot.domain.counts import counted
from bot.domain.table_load import CapacityLoad, TableLoad
from bot.render.message import Block, code, section

# Lines of GSIs shown; the section stays well inside Slack's 3000 characters.
SHOWN_INDEXES = 8
_TITLE = "*Load* · last hour, 5-minute points"


def _number(value: float) -> str:
    """12.25 -> '12.3', 25.0 -> '25', 0.004 -> '0', 1234.5 -> '1,234'."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}".removesuffix(".0")


def _capacity(label: str, consumed: tuple[float, ...], provisioned: tuple[float, ...]) -> str:
    """'reads 12.3/25 RCU/s, peak 20 ▁▃▅' (on demand: 'reads 12.3 RCU/s ...'); the newest
    point against the newest provisioned level, 0 when nothing was consumed."""
    now = _number(consumed[-1]) if consumed else "0"
    of = f"/{_number(provisioned[-1])}" if provisioned else ""
    unit = "RCU/s" if label == "reads" else "WCU/s"
    text = f"{label} {now}{of} {unit}"
    if len(consumed) > 1:
        text += f", peak {_number(max(consumed))} {sparkline(consumed)}"
    return text


def _target_line(load: CapacityLoad) -> str:
    name = f"GSI {code(load.name)}" if load.is_index else code(load.name)
    parts = [
        _capacity("reads", load.consumed_read, load.provisioned_read),
        _capacity("writes", load.consumed_write, load.provisioned_write),
    ]
    if load.throttled:
        events = counted(round(load.throttled), "throttle event")
        parts.append(f":warning: {events} {sparkline(load.throttle_series)}".rstrip())
    else:
        parts.append("no throttle events")
    return f"{name}: " + " · ".join(parts)


def _latency_line(load: TableLoad) -> str:
    if not load.latency:
        return "Latency (average): no successful requests"
    shown = [
        f"{operation} {_number(values[-1])} ms {sparkline(values)}".rstrip()
        for operation, values in load.latency
    ]
    return "Latency (average): " + " · ".join(shown)


def load_section(load: TableLoad | str) -> Block:
    """The load as one section; a str says why CloudWatch gave none (its error code)."""
    if isinstance(load, str):
        return section(f"{_TITLE}: unavailable (CloudWatch answered {code(load)})")
    if load.idle:
        idle = "No consumed capacity, throttle events or requests in the last hour."
        return section(f"{_TITLE}\n{idle}")
    table, *indexes = load.capacity
    lines = [_TITLE, _target_line(table)]
    lines += [_target_line(index) for index in indexes[:SHOWN_INDEXES]]
    hidden = max(0, len(indexes) - SHOWN_INDEXES) + load.more_indexes
    if hidden:
        lines.append(f"… and {counted(hidden, 'more GSI')}")
    lines.append(_latency_line(load))
    return section("\n".join(lines))
