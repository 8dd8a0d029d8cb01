"""SNS inbox notices -> Slack: AWS Backup job summaries and plain notices for anything else.

Everything in an SNS message is sender-controlled (a topic may accept publishes from many
principals), so every piece of it is escaped and cut to Slack's limits here. The body (and a
failed job's reason) keeps its line breaks; the subject and every other field is one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

from bot.domain.backup_notices import BackupJobNotice
from bot.domain.times import format_relative, format_utc
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
    kind = {"restore": "restorejobs", "copy": "copyjobs"}.get(job_type, "backupjobs")
    return (
        f"https://{region}.console.aws.amazon.com/backup/home?region={region}"
        f"#/jobs/{kind}/details/{quote(job_id, safe='')}"
    )


def render_backup_notice(notice: BackupJobNotice, *, now: datetime) -> Message:
    """An AWS Backup job notice: which job, what outcome, the resource and recovery point."""
    emoji = OUTCOME_EMOJI.get(notice.outcome, OUTCOME_EMOJI["unknown"])
    summary = escape(notice.summary)
    if notice.table and notice.region:
        resource = link(table_console_url(notice.region, notice.table), notice.table)
    else:
        resource = _arn(notice.resource_arn)
    fields = [
        f"*Resource*\n{resource}",
        f"*Job*\n{escape(notice.job_type)} · {escape(notice.state or 'state not stated')}",
        f"*Recovery point*\n{_arn(notice.recovery_point_arn)}",
        f"*Region / account*\n{escape(notice.region or '?')} / {escape(notice.account or '?')}",
    ]
    if notice.destination_recovery_point_arn:
        fields.append(f"*Copied to*\n{_arn(notice.destination_recovery_point_arn)}")
    if notice.created_resource_arn:
        fields.append(f"*Restored as*\n{_arn(notice.created_resource_arn)}")
    if notice.at:
        fields.append(f"*When*\n{format_utc(notice.at)} ({format_relative(notice.at, now)})")
    blocks = [section(f"{emoji} *{summary}*"), fields_section(fields)]
    if notice.outcome == "failed":
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
        except ValueError:
            pass
        else:
            # Escape first, then cut: the block's text must stay within the section limit.
            inner = escaped_cut(pretty, _BODY_LIMIT - 8, _json_lines)
            return f"```{inner}```"
    return escaped_cut(stripped, _BODY_LIMIT, escape_lines) if stripped else "_(empty message)_"


def render_plain_notice(
    subject: str | None, text: str, *, topic_arn: str | None, now: datetime
) -> Message:
    """Any other SNS message: its subject and body, escaped and cut to Slack's limits."""
    title = escaped_cut(subject.strip(), _SUBJECT_LIMIT) if subject and subject.strip() else ""
    topic = topic_arn.rsplit(":", 1)[-1] if topic_arn else None
    lead = f":incoming_envelope: *{title}*" if title else ":incoming_envelope: *SNS message*"
    footer = [f"from topic {code(topic)}" if topic else "from an SNS topic", format_utc(now)]
    fallback = title or escaped_cut(" ".join(text.split()), _FALLBACK_LIMIT) or "SNS message"
    return Message(
        text=f":incoming_envelope: {fallback}",
        blocks=(section(lead), section(_body(text)), context(" · ".join(footer))),
        options={"unfurl_links": False, "unfurl_media": False},
    )
