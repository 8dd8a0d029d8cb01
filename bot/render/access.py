"""Messages about who may do what: a user group in `[roles]` that Slack will not list."""

from __future__ import annotations

from bot.domain.authz import Role
from bot.render.message import Message, code, context, section

# What an admin does about each answer Slack gives for usergroups.users.list.
_FIXES = {
    "no_such_subteam": "Check the group id in `[roles]`: it is mistyped, or the group was deleted.",
    "missing_scope": "Give the Slack app the `usergroups:read` scope and reinstall it.",
    "not_allowed_token_type": "opsbot must list group members with its bot token (`xoxb-`).",
}
_FIX_ANYTHING_ELSE = "Check the group id in `[roles]` and the app's `usergroups:read` scope."


def render_unreadable_group(group: str, error: str, role: Role | None) -> Message:
    """For the bot's own channel: a role-granting group whose members Slack will not list."""
    grants = f" names for the *{role.label}* role" if role is not None else " names"
    text = (
        f":warning: opsbot cannot read the members of the Slack user group {code(group)}, which "
        f"`[roles]` in opsbot.toml{grants}: Slack says {code(error)}."
    )
    detail = (
        "Until this is fixed nobody gets a role from that group, and its members are told "
        "their role could not be checked; roles granted by user id, by channel or by other "
        f"groups still work. {_FIXES.get(error, _FIX_ANYTHING_ELSE)}"
    )
    return Message(
        text=text,
        blocks=(
            section(f"{text}\n{detail}"),
            context("opsbot says this at most once an hour per group."),
        ),
    )
