"""The capability catalog: which flow module handles which `/ddb` commands.

Each module listed registers its command, button and plan handlers with `bot.flows.registry`
when imported. The ack path reads this catalog to answer "not available in this version" and
to list `/ddb help` without importing the modules (they bring in the AWS adapters and
renderers a cold ack does not need); the worker imports the modules it names. A test checks
the catalog against what the modules actually register.
"""

from __future__ import annotations

from collections.abc import Mapping

CAPABILITIES: Mapping[str, tuple[str, ...]] = {
    "bot.flows.alarms.acks": (),
    "bot.flows.alarms.commands": ("alarms",),
    "bot.flows.audit.commands": ("who-changed",),
    "bot.flows.backups.commands": ("backups", "backup"),
    "bot.flows.backups.prune": ("prune",),
    "bot.flows.exports.commands": ("export", "exports", "import"),
    "bot.flows.tables.home": (),
    "bot.flows.tables.replicas": ("replicas",),
    "bot.flows.replicas.commands": (),  # `replicas add|remove`, via the `replicas` handler
    "bot.flows.restores.commands": ("restore", "restores", "pitr"),
    "bot.flows.tables.status": ("status",),
    "bot.flows.drills.commands": ("drill",),
}

AVAILABLE_COMMANDS = frozenset(name for names in CAPABILITIES.values() for name in names)
