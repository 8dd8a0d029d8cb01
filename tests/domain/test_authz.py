"""Roles from Slack ids and the role each action needs."""

from __future__ import annotations

import pytest

from bot.domain.authz import DEFAULT_PERMISSIONS, AccessPolicy, Grants, Role
from bot.domain.errors import NotAllowed

POLICY = AccessPolicy(
    grants={
        Role.ADMIN: Grants(users=frozenset({"U0ADMIN01"}), groups=frozenset({"S0ADMINS1"})),
        Role.OPERATOR: Grants(
            users=frozenset({"U0OPER001", "U0ADMIN01"}),
            groups=frozenset({"S0DBAOPS1"}),
            channels=frozenset({"C0DBAOPS1"}),
        ),
        Role.VIEWER: Grants(users=frozenset({"U0VIEW001"})),
    },
    default_role=Role.VIEWER,
)


@pytest.mark.parametrize(
    ("user", "channel", "groups", "expected"),
    [
        ("U0ADMIN01", "", frozenset(), Role.ADMIN),
        ("U0OPER001", "", frozenset(), Role.OPERATOR),
        ("U0NOBODY1", "", frozenset({"S0DBAOPS1"}), Role.OPERATOR),
        ("U0NOBODY1", "C0DBAOPS1", frozenset(), Role.OPERATOR),
        ("U0NOBODY1", "C0RANDOM1", frozenset({"S0OTHER01"}), Role.VIEWER),
        ("U0OPER001", "C0DBAOPS1", frozenset({"S0ADMINS1"}), Role.ADMIN),
        ("U0VIEW001", "C0DBAOPS1", frozenset(), Role.OPERATOR),
    ],
    ids=[
        "admin-by-user-listed-in-two-roles",
        "operator-by-user",
        "operator-by-group",
        "operator-by-channel",
        "everyone-else-default",
        "highest-wins-group-over-user",
        "channel-lifts-a-listed-viewer",
    ],
)
def test_role_of_is_the_highest_role_held(
    user: str, channel: str, groups: frozenset[str], expected: Role
) -> None:
    assert POLICY.role_of(user, channel, groups) == expected


def test_role_of_highest_wins_whatever_the_order_of_grants() -> None:
    grants = {
        Role.OPERATOR: Grants(users=frozenset({"U0BOTH001"})),
        Role.ADMIN: Grants(users=frozenset({"U0BOTH001"})),
    }
    assert AccessPolicy(grants=grants).role_of("U0BOTH001") == Role.ADMIN
    assert AccessPolicy(grants=dict(reversed(grants.items()))).role_of("U0BOTH001") == Role.ADMIN


@pytest.mark.parametrize(
    ("default", "expected"),
    [(Role.VIEWER, Role.VIEWER), (Role.OPERATOR, Role.OPERATOR)],
    ids=["viewer", "operator"],
)
def test_unlisted_user_gets_the_default_role(default: Role, expected: Role) -> None:
    assert AccessPolicy(default_role=default).role_of("U0NOBODY1", "C0RANDOM1") == expected


def test_a_grant_below_the_default_does_not_lower_it() -> None:
    policy = AccessPolicy(
        grants={Role.VIEWER: Grants(users=frozenset({"U0X000001"}))}, default_role=Role.OPERATOR
    )
    assert policy.role_of("U0X000001") == Role.OPERATOR


def test_group_ids_collects_every_role_granting_group() -> None:
    assert POLICY.group_ids == frozenset({"S0ADMINS1", "S0DBAOPS1"})


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("help", Role.VIEWER),
        ("status", Role.VIEWER),
        ("prune", Role.VIEWER),
        ("prune:apply", Role.OPERATOR),
        ("backup", Role.OPERATOR),
        ("restore", Role.OPERATOR),
        ("pitr", Role.VIEWER),
        ("pitr:on", Role.OPERATOR),
        ("pitr:off", Role.ADMIN),
        ("alarms:recommend", Role.OPERATOR),
        ("who-changed", Role.VIEWER),
        ("drop-table", Role.ADMIN),
        ("", Role.ADMIN),
    ],
    ids=[
        "help-viewer",
        "status-viewer",
        "prune-dry-run-viewer",
        "prune-apply-operator",
        "backup-operator",
        "restore-operator",
        "pitr-show-viewer",
        "pitr-on-operator",
        "pitr-off-admin",
        "alarms-recommend-operator",
        "who-changed-viewer",
        "unknown-action-fails-closed-to-admin",
        "empty-action-fails-closed-to-admin",
    ],
)
def test_required_role_defaults(action: str, expected: Role) -> None:
    assert AccessPolicy().required_role(action) == expected


def test_configured_permission_overrides_the_default() -> None:
    policy = AccessPolicy(permissions={**DEFAULT_PERMISSIONS, "backup": Role.ADMIN})
    assert policy.required_role("backup") == Role.ADMIN


@pytest.mark.parametrize(
    ("action", "role", "refused", "needed"),
    [
        ("prune:apply", Role.VIEWER, "`/ddb thing` (deleting backups)", "operator"),
        ("pitr:off", Role.OPERATOR, "`/ddb thing` (turning PITR off)", "admin"),
        ("unknown", Role.OPERATOR, "`/ddb thing`", "admin"),
    ],
    ids=["viewer-prune-apply", "operator-pitr-off", "operator-unknown-action"],
)
def test_check_denies_naming_the_action_the_role_needed_and_the_role_held(
    action: str, role: Role, refused: str, needed: str
) -> None:
    with pytest.raises(NotAllowed) as raised:
        AccessPolicy().check(action, role, what="`/ddb thing`")
    assert raised.value.message.startswith(
        f"{refused} needs the *{needed}* role; you have *{role.label}*."
    )


@pytest.mark.parametrize(
    ("action", "role"),
    [("prune:apply", Role.OPERATOR), ("pitr:off", Role.ADMIN), ("status", Role.VIEWER)],
    ids=["operator-prune-apply", "admin-pitr-off", "viewer-status"],
)
def test_check_allows_a_role_that_is_enough(action: str, role: Role) -> None:
    AccessPolicy().check(action, role, what="it")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("operator", Role.OPERATOR), (" Admin ", Role.ADMIN), ("VIEWER", Role.VIEWER)],
    ids=["lower", "padded-mixed-case", "upper"],
)
def test_role_parse(text: str, expected: Role) -> None:
    assert Role.parse(text) == expected


def test_role_parse_refuses_unknown_names() -> None:
    with pytest.raises(ValueError, match="superuser"):
        Role.parse("superuser")
