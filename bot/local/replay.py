"""`opsbot replay`: one event file through the handler for its source, in a local session.

CloudTrail log files are not events: they are put in the embedded S3 first, where an S3
notification of the same run names them or, given on their own, announced the way CloudTrail
announces a delivery (bot/local/trail_replay.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.local.event_files import UnknownEvent, detect_source, read_event
from bot.local.function_calls import HandlerFailed
from bot.local.verbs import LineError, move_clock_to_event

if TYPE_CHECKING:
    from bot.local.session import LocalSession

LOG_FILE = "CloudTrail log file"


def stage_objects(session: LocalSession, paths: Sequence[Path]) -> None:
    """Put the log files that S3 notifications of this run name into the embedded S3, each
    at the key its notification names (in the order given), before any event is delivered."""
    from bot.local.trail_replay import pair_objects, put_log_file

    events: list[tuple[Path, Any]] = []
    for path in paths:
        try:
            events.append((path, read_event(path)))
        except LineError:
            continue  # said when its turn comes
    by_path = dict(events)
    for path, (bucket, key) in pair_objects(events).items():
        put_log_file(_s3(session), bucket, key, by_path[path])
        session.staged[path] = (bucket, key)


def replay_file(session: LocalSession, path: Path, *, at_event_time: bool = False) -> None:
    """Deliver one event file to the handler for its source, then pump the queues; with
    ``at_event_time``, the clock first moves forward to the event's own time."""
    event = read_event(path)
    source, module = detect_source(event)
    if source is None:
        raise UnknownEvent(f"{path}: {module}")
    if path in session.staged:
        bucket, key = session.staged[path]
        session.output.note(f"replay {path}: put at s3://{bucket}/{key}, as its notice names it")
        return
    if at_event_time:
        move_clock_to_event(session, path, event)
    if source == LOG_FILE:
        event = _announced(session, path, event)
    session.output.note(f"replay {path} -> functions.{module} ({source})")
    calls_before = len(session.sink.calls) if session.sink is not None else 0
    try:
        result = session.deliver(module, event)
    except HandlerFailed:
        return  # recorded in session.problems
    session.pump()
    if session.sink is not None and len(session.sink.calls) == calls_before:
        # Handled, but nothing for Slack (an OK with no open incident, a duplicate, ...):
        # say what the handler answered, so a silent replay is not a mystery.
        answer = json.dumps(result, default=str) if result is not None else "nothing"
        session.output.note(
            f"replay {path}: nothing for Slack; functions.{module} answered {answer}"
        )


def _s3(session: LocalSession) -> Any:
    region = session.resources.region if session.resources is not None else None
    return session.embedded.client("s3", region)


def _announced(session: LocalSession, path: Path, log_file: Any) -> dict[str, Any]:
    """Put a log file given on its own in the sample trail bucket; CloudTrail's SNS notice."""
    from bot.local.trail_replay import announce, log_file_key, put_log_file, trail_bucket

    s3 = _s3(session)
    region = s3.meta.region_name
    key = log_file_key(path, log_file, region)
    put_log_file(s3, trail_bucket(), key, log_file)
    session.output.note(f"replay {path}: put at s3://{trail_bucket()}/{key}")
    return announce(trail_bucket(), key, message_id=f"replay-{path.name}", region=region)
