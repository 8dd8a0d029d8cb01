"""Who sees an answer: the one rule (stated in the README, "Who sees an answer").

Answers about shared state that others in the channel should see are posted in the channel:
a table's status, PITR window and replicas, a plan to confirm and what became of it, and the
outcome of a change. Everything for the asker alone is ephemeral: help, acks, usage errors,
errors and denials (their renderers mark them so), and the lists one looks through —
backups, a prune dry run, restores, exports, who-changed and alarms. Pure.
"""

from __future__ import annotations

# The actions (bot.domain.authz) whose answers the channel sees; every other is ephemeral.
IN_CHANNEL = frozenset(
    {
        "status",
        "pitr",
        "replicas",
        "backup",
        "prune:apply",
        "restore",
        "pitr:on",
        "pitr:off",
        "alarms:recommend",
        "alarms:silence",
        "restore:copy-settings",
        "export",
        "import",
        "replicas:add",
        "replicas:remove",
        "drill",
    }
)


def in_channel(action: str) -> bool:
    """Whether the answer to ``action`` is posted for the channel (else only the asker)."""
    return action in IN_CHANNEL
