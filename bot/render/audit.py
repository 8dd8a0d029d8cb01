"""Audit events -> Slack: the notice for a risky change, and the `/ddb who-changed` answer.

Every string that comes from a CloudTrail record (names, session names, user agents, error
messages, even table and backup names) is caller-controlled and is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from bot.domain.audit import AuditEvent, history_sort_key
from bot.domain.audit_actors import Actor, service_name
from bot.domain.times import format_duration, format_relative, format_utc
from bot.render.limits import cut_markup
from bot.render.message import (
    Block,
    Message,
    actions,
    button,
    code,
    context,
    escape,
    escape_keeping_markup,
    fields_section,
    link,
    section,
    user_mention,
)

SEVERITY_EMOJI = {
    "critical": ":rotating_light:",
    "security": ":closed_lock_with_key:",
    "warning": ":warning:",
    "info": ":information_source:",
}
SOURCE_LABELS = {
    "history": "opsbot's audit history",
    "cloudtrail": "CloudTrail event history (LookupEvents, management events, last 90 days)",
}
MORE_ACTION_ID = "who_changed_more"
_SECTION_LIMIT = 2900  # Slack allows 3000 characters per section text
_MAX_LINE_BLOCKS = 45  # leaves room for the header, footer and button under the 50-block cap


def table_console_url(region: str, table: str) -> str:
    """The DynamoDB console page of a table."""
    return (
        f"https://{region}.console.aws.amazon.com/dynamodbv2/home?region={region}"
        f"#table?name={quote(table, safe='')}"
    )


def dax_console_url(region: str, cluster: str) -> str:
    """The DynamoDB console page of a DAX cluster."""
    return (
        f"https://{region}.console.aws.amazon.com/dynamodbv2/home?region={region}"
        f"#dax-cluster?dax-cluster-name={quote(cluster, safe='')}"
    )


def cloudtrail_event_url(region: str, event_id: str) -> str:
    """The CloudTrail console page of one event."""
    return (
        f"https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}"
        f"#/events/{quote(event_id, safe='')}"
    )


def _who(actor: Actor) -> str:
    """Safe mrkdwn for the actor: name, role, MFA."""
    if actor.slack_user:
        user, approver = actor.slack_user, actor.approved_by
        mention = user_mention(user) or escape(f"@{user}")
        if approver:
            mention += f" (approved by {user_mention(approver) or escape(f'@{approver}')})"
        return f"{mention} via opsbot" + (f" (role {escape(actor.role)})" if actor.role else "")
    if actor.identity_type == "AWSService":
        return f"AWS service {escape(actor.name)}"
    if actor.service:  # a service at work on its own role: name the service, not the session
        role = f", role {escape(actor.role)}" if actor.role else ""
        return f"{escape(service_name(actor.service))} (AWS service{role})"
    if actor.identity_type == "Root":
        return "*root user* of the account"
    text = escape(actor.name)
    details = []
    if actor.role and actor.role != actor.name:
        details.append(f"role {escape(actor.role)}")
    elif actor.identity_type == "IAMUser":
        details.append("IAM user")
    if actor.via:  # MFA means nothing for a service acting on its own role
        details.append(f"via {escape(actor.via)}")
    elif actor.mfa is True:
        details.append("MFA")
    elif actor.mfa is False:
        details.append("no MFA")
    return text + (f" ({', '.join(details)})" if details else "")


def _outcome(event: AuditEvent) -> str:
    if not event.error_code:
        return "succeeded"
    verb = "refused" if event.access_denied else "failed"
    text = f"*{verb}*: {code(event.error_code)}"
    if event.error_message:
        message = (
            event.error_message
            if len(event.error_message) <= 300
            else event.error_message[:299] + "…"
        )
        text += f" {escape(message)}"
    return text


def _subject_field(event: AuditEvent) -> str:
    if event.table and event.region:
        return f"*Table*\n{link(table_console_url(event.region, event.table), event.table)}"
    if event.table:
        return f"*Table*\n{code(event.table)}"
    if event.source == "dax" and event.resource and event.region:
        url = dax_console_url(event.region, event.resource)
        return f"*DAX cluster*\n{link(url, event.resource)}"
    if event.resource:
        return f"*Resource*\n{code(event.resource)}"
    return "*Table*\nnone named"


def render_audit_notice(
    event: AuditEvent,
    *,
    now: datetime,
    mention: str | None = None,
    account_label: str | None = None,
) -> Message:
    """The channel notice for one audit event: what changed, who, how, from where, outcome.

    ``account_label`` (the account's alias, when accounts are configured) replaces the id.
    """
    emoji = SEVERITY_EMOJI.get(event.severity, SEVERITY_EMOJI["info"])
    summary = escape(event.summary)
    headline = f"{emoji} *{summary}*"
    lead = f"{mention} {headline}" if mention else headline
    when = f"{format_utc(event.time)} ({format_relative(event.time, now)})"
    client = escape(event.client)
    if event.user_agent and event.client == "other":
        client += f" {code(event.user_agent[:120])}"
    fields = [
        _subject_field(event),
        f"*Region / account*\n{escape(event.region or '?')} / "
        f"{escape(account_label or event.account or '?')}",
        f"*Who*\n{_who(event.actor)}",
        f"*How*\n{client}",
        f"*From*\n{escape(event.source_ip or 'unknown')}",
        f"*Outcome*\n{_outcome(event)}",
        f"*When*\n{when}",
        f"*Call*\n{code(event.action)} · {escape(event.severity)}",
    ]
    footer = [f"event {code(event.event_id)}"]
    if event.region:
        footer.append(
            link(cloudtrail_event_url(event.region, event.event_id), "open in CloudTrail")
        )
    if event.actor.arn:
        footer.append(f"principal {code(event.actor.arn)}")
    text = f"{emoji} {summary} — {_who(event.actor)}, {format_utc(event.time)}"
    if mention:
        text = f"{mention} {text}"
    blocks = (section(lead), fields_section(fields), context(" · ".join(footer)))
    return Message(text=text, blocks=blocks, options={"unfurl_links": False, "unfurl_media": False})


def _line(event: AuditEvent, now: datetime) -> str:
    emoji = SEVERITY_EMOJI.get(event.severity, SEVERITY_EMOJI["info"])
    when = f"{format_utc(event.time)} ({format_relative(event.time, now)})"
    what = escape(event.summary)
    how = escape(event.client)
    if event.source_ip and event.source_ip != event.actor.via:
        how += f" from {escape(event.source_ip)}"
    return f"{emoji} *{when}* · {_who(event.actor)} · {what} · {how}"


def _chunk(lines: Sequence[str]) -> list[str]:
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = cut_markup(line, _SECTION_LIMIT, "…")
        if current and len(current) + 1 + len(line) > _SECTION_LIMIT:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        chunks.append(current)
    return chunks


def render_who_changed(
    table: str,
    events: Sequence[AuditEvent],
    *,
    now: datetime,
    source: str,
    since: datetime,
    has_more: bool = False,
    cursor: str | None = None,
    note: str | None = None,
    account_label: str | None = None,
    missing: str | None = None,
    never_seen: bool = False,
    until: datetime | None = None,
    page: int = 1,
    shown_before: int | None = 0,
) -> Message:
    """One page of the `/ddb who-changed` answer: one line per change, newest first, with its
    source.

    ``note`` (plain text, escaped here) says why the answer came from where it did;
    ``account_label`` names the account the history is of (when accounts are configured).
    An empty answer about a table that does not exist says so with ``missing`` (mrkdwn,
    escaped here): in place of "No changes" when the table was ``never_seen`` where opsbot
    looked, else under it. A later ``page`` (``shown_before`` changes on the pages before it;
    None when unknown) counts on from the first and states the first page's window (``until``,
    when it was asked), so it never contradicts it.
    """
    window = f"since {format_utc(since)} (last {format_duration((until or now) - since)})"
    answered = f"Answered from {SOURCE_LABELS.get(source, escape(source))}."
    if note:
        answered += f" {escape(note)}"
    name = code(table)
    plain = escape(table)
    if account_label:
        name += f" in {escape(account_label)}"
        plain += f" in {escape(account_label)}"
    later = f" · page {page}" if page > 1 else ""
    if not events:
        if page > 1:
            text = f"No more changes to {name} {window}{later}: the earlier pages showed them all."
        else:
            text = f"No changes to {name} recorded {window}."
        said: tuple[Block, ...] = (section(text),)
        if missing and never_seen:
            text = escape_keeping_markup(missing)
            said = (section(f":grey_question: {text}"),)
        elif missing:
            said = (section(text), section(f":grey_question: {escape_keeping_markup(missing)}"))
        return Message(
            text=text,
            blocks=(*said, context(answered)),
            options={"unfurl_links": False},
        )
    ordered = sorted(events, key=history_sort_key, reverse=True)
    count = len(ordered)
    noun = "change" if count == 1 else "changes"
    if page > 1:
        which = (
            f"Changes {shown_before + 1}–{shown_before + count}"
            if shown_before is not None
            else f"{count} more {noun}"
        )
        head = f"*{which} to {name}* {window}, newest first{later}"
        text = f"{which} to {plain} {window}{later}"
    else:
        head = f"*{count}{'+' if has_more else ''} {noun} to {name}* {window}, newest first"
        text = f"{count}{'+' if has_more else ''} {noun} to {plain} {window}"
    chunks = _chunk([_line(e, now) for e in ordered])
    shown = chunks[:_MAX_LINE_BLOCKS]
    blocks = [section(head), *(section(c) for c in shown)]
    notes = [answered]
    if len(shown) < len(chunks):
        notes.append("Some lines were left out to fit one message; narrow --since or --limit.")
    blocks.append(context(" ".join(notes)))
    if has_more and cursor:
        blocks.append(actions(button("More", MORE_ACTION_ID, cursor), block_id="who_changed_more"))
    return Message(text=text, blocks=tuple(blocks), options={"unfurl_links": False})
