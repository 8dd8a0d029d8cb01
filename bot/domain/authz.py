"""Who may do what: roles from Slack user, user-group and channel ids, and the role each
action needs.

Pure: the caller passes the user's group memberships (from configuration and cached data),
and the groups whose members Slack would not list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import IntEnum

from bot.domain.errors import NotAllowed, RoleUnchecked
from bot.domain.records import frozen


class Role(IntEnum):
    """Roles are ordered: each one may do everything the one below it may."""

    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @property
    def label(self) -> str:
        """The role's name as configuration and messages spell it."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Role:
        """'operator' -> Role.OPERATOR; raises ValueError for anything else."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(text) from None


# The role each action needs unless configuration says otherwise. Actions are the command
# name, or "<command>:<variant>" for a variant that does more than the plain command.
DEFAULT_PERMISSIONS: Mapping[str, Role] = {
    "help": Role.VIEWER,
    "status": Role.VIEWER,
    "backups": Role.VIEWER,
    "backup": Role.OPERATOR,
    "prune": Role.VIEWER,  # a dry run only reads
    "prune:apply": Role.OPERATOR,
    "restore": Role.OPERATOR,
    "restores": Role.VIEWER,
    "pitr": Role.VIEWER,
    "pitr:on": Role.OPERATOR,
    "pitr:off": Role.ADMIN,
    "who-changed": Role.VIEWER,
    "alarms": Role.VIEWER,
    "alarms:recommend": Role.OPERATOR,
    "alarms:silence": Role.OPERATOR,
    "alarms:ack": Role.OPERATOR,
    "replicas": Role.VIEWER,
    "restore:copy-settings": Role.OPERATOR,
    "export": Role.OPERATOR,
    "exports": Role.VIEWER,
    "import": Role.OPERATOR,
    "replicas:add": Role.OPERATOR,
    "replicas:remove": Role.ADMIN,
    "drill": Role.OPERATOR,
}

# The actions that store a plan and wait for their requester's Confirm: the ones `[approvals]`
# may also ask a second person for.
CONFIRMED_ACTIONS = frozenset(
    {
        "prune:apply",
        "restore",
        "pitr:off",
        "alarms:recommend",
        "export",
        "import",
        "replicas:add",
        "replicas:remove",
        "drill",
    }
)

# What an action does, where its command alone does not say it: a denial names it, so a
# viewer refused `/ddb pitr orders off` learns that turning PITR off is what needs the role.
ACTION_LABELS: Mapping[str, str] = {
    "backup": "taking a backup",
    "prune:apply": "deleting backups",
    "restore": "restoring a table",
    "pitr:on": "turning PITR on",
    "pitr:off": "turning PITR off",
    "alarms:recommend": "creating the recommended alarms",
    "alarms:silence": "silencing an alarm",
    "alarms:ack": "acknowledging an alarm",
    "restore:copy-settings": "copying settings to a restored table",
    "export": "exporting a table to S3",
    "import": "importing S3 data into a new table",
    "replicas:add": "adding a replica",
    "replicas:remove": "removing a replica",
    "drill": "running a restore drill",
}


@frozen
class Grants:
    """The Slack ids that hold one role."""

    users: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()


@frozen
class AccessPolicy:
    """Roles by Slack id, the role of everyone else, and the role each action needs."""

    grants: Mapping[Role, Grants] = field(default_factory=dict)
    default_role: Role = Role.VIEWER
    permissions: Mapping[str, Role] = field(default_factory=lambda: dict(DEFAULT_PERMISSIONS))

    @property
    def group_ids(self) -> frozenset[str]:
        """Every user group that grants a role (their members are looked up and cached)."""
        return frozenset(g for grant in self.grants.values() for g in grant.groups)

    def role_of(self, user: str, channel: str = "", groups: frozenset[str] = frozenset()) -> Role:
        """The highest role the user holds directly, through a group, or in this channel."""
        role = self.default_role
        for candidate, grant in self.grants.items():
            if candidate <= role:
                continue
            if user in grant.users or channel in grant.channels or groups & grant.groups:
                role = candidate
        return role

    def required_role(self, action: str) -> Role:
        """The role an action needs; unknown actions need admin (fail closed)."""
        return self.permissions.get(action, Role.ADMIN)

    def role_granted_by(self, group: str) -> Role | None:
        """The highest role a user group grants (None when no role names it)."""
        return max(
            (role for role, grant in self.grants.items() if group in grant.groups), default=None
        )

    def check(
        self,
        action: str,
        role: Role,
        *,
        what: str,
        unreadable: Mapping[str, str] | None = None,
    ) -> None:
        """Raise NotAllowed naming the role needed when ``role`` is not enough for ``action``;
        RoleUnchecked when only groups in ``unreadable`` (group id -> Slack's error) could
        have granted it."""
        needed = self.required_role(action)
        if role >= needed:
            return
        label = ACTION_LABELS.get(action)
        what = f"{what} ({label})" if label else what
        unchecked = {
            group: error
            for group, error in sorted((unreadable or {}).items())
            if (granted := self.role_granted_by(group)) is not None and granted >= needed
        }
        if unchecked:
            groups = ", ".join(f"`{g}` (Slack says `{e}`)" for g, e in unchecked.items())
            raise RoleUnchecked(
                f"I could not check your role: {what} needs the *{needed.label}* role, which you "
                f"could hold only through the Slack user group {groups}, and Slack would not "
                "list its members. Nothing was done. An opsbot admin should fix `[roles]` in "
                "opsbot.toml (a mistyped or deleted group), or give the Slack app the "
                "`usergroups:read` scope."
            )
        raise NotAllowed(
            f"{what} needs the *{needed.label}* role; you have *{role.label}*. "
            "Ask an opsbot admin to grant it (roles are set in opsbot.toml)."
        )
