"""SNS inbox notices -> Slack: AWS Backup job summaries and plain notices for anything else.

Everything in an SNS message is sender-controlled (a topic may accept publishes from many
principals), so every piece of it is escaped and cut to Slack's limits here. The body (and a
failed job's reason) keeps its line breaks; the subject and every other field is one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from bot.domain.times import aws_time_or_none, format_relative, format_utc
from bot.render.audit import table_console_url
from bot.render.limits import cut
from bot.render.message import (
    Message,
    code,
    code_text,
    context,
    escape,
    escape_lines,
    fields_section,
    link,
    section,
)

if TYPE_CHECKING:  # the notices' renderer is loaded by every inbox; backup notices are rare
    from bot.domain.backup_notices import BackupNotice

OUTCOME_EMOJI = {
    "completed": ":white_check_mark:",
    "failed": ":x:",
    "started": ":hourglass_flowing_sand:",
    "unknown": ":information_source:",
}
_BODY_LIMIT = 2900  # a section's text may hold 3000 characters
_SUBJECT_LIMIT = 250
_FIELD_LIMIT = 1900  # a field may hold 2000 characters
_FALLBACK_LIMIT = 300


def escaped_cut(text: str, limit: int, escaper: Callable[[str], str] = escape) -> str:
    """``text`` escaped (by ``escaper``) in at most ``limit`` characters (cut before escaping)."""
    budget = limit
    while True:
        escaped = escaper(cut(text, budget))
        if len(escaped) <= limit:
            return escaped
        budget -= max(1, len(escaped) - limit)


def _arn(value: str | None) -> str:
    return code(cut(value, _FIELD_LIMIT // 5)) if value else "not stated"


def backup_job_console_url(region: str, job_type: str, job_id: str) -> str:
    """The AWS Backup console page of one job."""
    kind = {"restore": "restorejobs", "restore_test": "restorejobs", "copy": "copyjobs"}.get(
        job_type, "backupjobs"
    )
    return (
        f"https://{region}.console.aws.amazon.com/backup/home?region={region}"
        f"#/jobs/{kind}/details/{quote(job_id, safe='')}"
    )


_JOBS = frozenset({"backup", "restore", "copy", "unknown"})


def render_backup_notice(notice: BackupNotice, *, now: datetime) -> Message:
    """An AWS Backup notice: which notice, its state, the resource and recovery point."""
    emoji = OUTCOME_EMOJI.get(notice.outcome, OUTCOME_EMOJI["unknown"])
    if notice.severity == "warning":
        emoji = OUTCOME_EMOJI["failed"]
    summary = escape(notice.summary)
    if notice.table and notice.region:
        resource = link(table_console_url(notice.region, notice.table), notice.table)
    else:
        resource = _arn(notice.resource_arn)
    state = escape(notice.state or "state not stated")
    if notice.job_type in _JOBS:
        what = f"*Job*\n{escape(notice.job_type)} · {state}"
    else:
        what = f"*Notice*\n{escape(notice.notice_type or notice.job_type)} · {state}"
    fields = [
        f"*Resource*\n{resource}",
        what,
        f"*Recovery point*\n{_arn(notice.recovery_point_arn)}",
        f"*Region / account*\n{escape(notice.region or '?')} / {escape(notice.account or '?')}",
    ]
    if notice.destination_recovery_point_arn:
        fields.append(f"*Copied to*\n{_arn(notice.destination_recovery_point_arn)}")
    if notice.created_resource_arn:
        fields.append(f"*Restored as*\n{_arn(notice.created_resource_arn)}")
    if notice.at:
        fields.append(f"*When*\n{format_utc(notice.at)} ({format_relative(notice.at, now)})")
    meaning = f"\n{escape(notice.meaning)}" if notice.meaning else ""
    blocks = [section(f"{emoji} *{summary}*{meaning}"), fields_section(fields)]
    if notice.severity == "warning" and (notice.reason or notice.message):
        why = notice.reason or notice.message
        blocks.append(section(f"*Why*\n{escaped_cut(why, _BODY_LIMIT - 10, escape_lines)}"))
    footer = []
    if notice.job_id:
        footer.append(f"job {code(notice.job_id)}")
        if notice.region:
            url = backup_job_console_url(notice.region, notice.job_type, notice.job_id)
            footer.append(link(url, "open in AWS Backup"))
    if footer:
        blocks.append(context(" · ".join(footer)))
    return Message(
        text=f"{emoji} {summary}",
        blocks=tuple(blocks),
        options={"unfurl_links": False, "unfurl_media": False},
    )


# json.dumps escapes every control but these line breaks: written as JSON escapes instead.
_JSON_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_lines(text: str) -> str:
    return code_text(text.translate(_JSON_LINE_BREAKS), lines=True)


def _body(text: str) -> str:
    """JSON bodies pretty-printed in a code block; other text escaped, its lines kept."""
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            pretty = json.dumps(json.loads(stripped), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
        else:
            # Escape first, then cut: the block's text must stay within the section limit.
            inner = escaped_cut(pretty, _BODY_LIMIT - 8, _json_lines)
            return f"```{inner}```"
    return escaped_cut(stripped, _BODY_LIMIT, escape_lines) if stripped else "_(empty message)_"


def render_plain_notice(
    subject: str | None,
    text: str,
    *,
    topic_arn: str | None,
    now: datetime,
    sent_at: str | None = None,
) -> Message:
    """Any other SNS message: its subject and body, escaped and cut to Slack's limits, and
    when it was sent (its SNS Timestamp; the time it was handled only when it has none)."""
    title = escaped_cut(subject.strip(), _SUBJECT_LIMIT) if subject and subject.strip() else ""
    topic = topic_arn.rsplit(":", 1)[-1] if topic_arn else None
    lead = f":incoming_envelope: *{title}*" if title else ":incoming_envelope: *SNS message*"
    sent = aws_time_or_none(sent_at)
    when = f"sent {format_utc(sent)} ({format_relative(sent, now)})" if sent else format_utc(now)
    footer = [f"from topic {code(topic)}" if topic else "from an SNS topic", when]
    fallback = title or escaped_cut(" ".join(text.split()), _FALLBACK_LIMIT) or "SNS message"
    return Message(
        text=f":incoming_envelope: {fallback}",
        blocks=(section(lead), section(_body(text)), context(" · ".join(footer))),
        options={"unfurl_links": False, "unfurl_media": False},
    )


_UNREADABLE = {
    "NoSuchBucket": "the bucket does not exist (deleted, or the notice names the wrong one)",
    "AccessDenied": (
        "opsbot may not read it: check the inbox function's s3:GetObject on the bucket, "
        "the bucket policy, and kms:Decrypt if the bucket uses SSE-KMS"
    ),
}


def render_trail_unreadable(bucket: str, key: str, error: str, *, now: datetime) -> Message:
    """The bot's own notice that a CloudTrail bucket cannot be read, so history has gaps."""
    why = _UNREADABLE.get(error, "S3 refused the read")
    lead = (
        f":warning: *opsbot cannot read the CloudTrail bucket {code(bucket)}* "
        f"({escape(error)}): {why}."
    )
    detail = (
        f"Log files announced for it are skipped, so `/ddb who-changed` and audit notices miss "
        f"their changes. Last one: {code(cut(key, 300))}. This is said at most once an hour."
    )
    text = f":warning: opsbot cannot read the CloudTrail bucket {escape(bucket)} ({escape(error)})"
    return Message(
        text=text,
        blocks=(section(lead), context(detail, format_utc(now))),
        options={"unfurl_links": False, "unfurl_media": False},
    )
