"""Capability modules: each registers its command, button and plan handlers with
`bot.slack.capabilities` when imported.

`CAPABILITIES` says which commands each module handles, so the ack path can answer "not
available in this version" and list `/ddb help` without importing them (they bring in the
AWS adapters and renderers a cold ack does not need). A test checks it against what the
modules actually register.
"""

from __future__ import annotations

from collections.abc import Mapping

CAPABILITIES: Mapping[str, tuple[str, ...]] = {
    "alarms": ("alarms",),
    "audit": ("who-changed",),
    "backups": ("backups", "backup", "prune"),
    "home": (),
    "replicas": ("replicas",),
    "restores": ("restore", "restores", "pitr"),
    "status": ("status",),
}

AVAILABLE_COMMANDS = frozenset(name for names in CAPABILITIES.values() for name in names)
