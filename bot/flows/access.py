"""Whom the worker lets act: the user's role from configuration and from user-group member
lists at most a minute old, and a word to the bot's own channel when `[roles]` names a group
whose members Slack will not list."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from slack_sdk.errors import SlackApiError

from bot.domain.authz import Role
from bot.render.access import render_unreadable_group
from bot.runtime import Runtime

log = logging.getLogger(__name__)

# The worker acts on member lists at most this old, so a user removed from a group can do
# nothing more a minute later (README, Security model). The ack path reads a longer cache:
# it never acts, and it makes no network call to find out.
MEMBERS_MAX_AGE_S = 60
_TELL_EVERY_S = 3600


def role_of(runtime: Runtime, user: str, channel: str) -> tuple[Role, dict[str, str]]:
    """The user's role, with member lists at most ``MEMBERS_MAX_AGE_S`` old, and the
    role-granting groups Slack would not list (group id -> Slack's error)."""
    access = runtime.settings.access
    if not access.group_ids:
        return access.role_of(user, channel), {}
    notifier = runtime.notifier
    groups = notifier.groups_of(user, access.group_ids, max_age_s=MEMBERS_MAX_AGE_S)
    unreadable = notifier.unreadable_groups(access.group_ids)
    if unreadable:
        tell_about_unreadable_groups(runtime, unreadable)
    return access.role_of(user, channel, groups), unreadable


def tell_about_unreadable_groups(runtime: Runtime, unreadable: Mapping[str, str]) -> None:
    """Tell the bot's own channel about each group Slack will not list, at most once an hour
    per group across every worker (a claim per group and hour in the state table)."""
    now = runtime.epoch()
    hour = int(now // _TELL_EVERY_S)
    told: dict[str, int] = runtime.extras.setdefault("told_unreadable_groups", {})
    for group, error in unreadable.items():
        if told.get(group) == hour:
            continue  # this process told it or saw it told: no state-table call per request
        told[group] = hour
        key = f"{group}#{hour}"
        if not runtime.state.claim_once(
            "unreadable-group", key, now=now, lease_s=_TELL_EVERY_S, keep_s=2 * _TELL_EVERY_S
        ):
            continue
        channel = runtime.settings.channels.default
        role = runtime.settings.access.role_granted_by(group)
        try:
            runtime.notifier.post(channel, render_unreadable_group(group, error, role))
        except SlackApiError as exc:
            # Logged instead: the user's request goes on, and retrying per request would
            # only repeat the failure.
            log.error(
                "could not tell %s that user group %s is unreadable (%s): %s",
                channel,
                group,
                error,
                exc.response.get("error"),
            )
        runtime.state.complete_once("unreadable-group", key)
