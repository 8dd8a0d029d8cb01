"""The capability catalog the ack path reads instead of importing the capability modules."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import bot.flows
from bot.domain.commands import COMMAND_TYPES
from bot.flows import registry
from bot.flows.catalog import AVAILABLE_COMMANDS, CAPABILITIES

ROOT = Path(__file__).resolve().parents[2]


def test_every_flow_module_that_registers_a_handler_is_listed() -> None:
    for module in pkgutil.walk_packages(bot.flows.__path__, "bot.flows."):
        importlib.import_module(module.name)
    handlers = [
        *registry.COMMANDS.values(),
        *(spec.handler for spec in registry.ACTIONS.values()),
        *registry.PLANS.values(),
        *registry.HOME,
    ]
    assert {handler.__module__ for handler in handlers} == set(CAPABILITIES)


def test_the_manifest_names_exactly_the_commands_each_module_registers() -> None:
    registry.load_handlers()
    registered: dict[str, set[str]] = {name: set() for name in CAPABILITIES}
    names = {kind: name for name, kind in COMMAND_TYPES.items()}
    for kind, handler in registry.COMMANDS.items():
        registered[handler.__module__].add(names[kind])
    assert registered == {name: set(commands) for name, commands in CAPABILITIES.items()}
    assert set(COMMAND_TYPES) - AVAILABLE_COMMANDS == {"help"}


# A fresh interpreter: the Lambda handler's module plus a cold `/ddb help` and a command's
# availability check, then which of our modules got loaded.
_COLD_ACK = """
import json, sys
from datetime import UTC, datetime
import functions.slack_http
from bot.runtime import Runtime
from bot.settings import parse_settings
from bot.slack.listeners.commands import handle_command
runtime = Runtime(parse_settings({}), clock=lambda: datetime(2026, 11, 22, tzinfo=UTC))
answer = handle_command({"text": "help", "user_id": "U1", "channel_id": "C1"}, runtime)
assert "/ddb status" in json.dumps(answer)
print(json.dumps(sorted(m for m in sys.modules if m.startswith("bot."))))
"""


def test_a_cold_ack_loads_no_capability_module() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _COLD_ACK], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert not loaded & set(CAPABILITIES)
    # Nor the worker's side: capability registry, confirmations, AWS adapters beyond the
    # client factory and the state table.
    assert not loaded & {"bot.flows.registry", "bot.flows.worker", "bot.aws.plans"}
    assert not {m for m in loaded if m.startswith("bot.aws.")} - {
        "bot.aws.clients",
        "bot.aws.errors",
        "bot.aws.state",
        "bot.aws.work_queue",
    }
