"""The README's examples are run, so they cannot rot."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config_sections import ConfigError
from bot.domain.command_parser import parse_command
from bot.settings import parse_settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def code_blocks(language: str | None = None) -> list[str]:
    """The fenced code blocks of the README (of one language when given)."""
    blocks = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.S)
    return [body for lang, body in blocks if language is None or lang == language]


def ddb_examples() -> list[str]:
    lines = [line.strip() for block in code_blocks() for line in block.splitlines()]
    return [line for line in lines if line.startswith("/ddb ")]


def test_quick_start_is_exactly_two_make_commands() -> None:
    (quick_start,) = [b for b in code_blocks("sh") if "make demo" in b]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^demo:", makefile, flags=re.M)
    assert re.search(r"^test:", makefile, flags=re.M)


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.parametrize("example", ddb_examples())
def test_every_readme_command_example_parses(example: str) -> None:
    command = parse_command(example.removeprefix("/ddb "), NOW)
    assert command is not None


def test_readme_has_command_examples() -> None:
    assert len(ddb_examples()) >= 8


def test_config_error_example_is_what_opsbot_says() -> None:
    (shown,) = [line for line in README.splitlines() if line.startswith("opsbot config:")]
    with pytest.raises(ConfigError) as error:
        parse_settings({"backups": {"max_age": "soon"}})
    assert str(error.value) == shown


@pytest.mark.parametrize("example", code_blocks("toml"))
def test_every_readme_config_example_is_valid(example: str) -> None:
    parse_settings(tomllib.loads(example))
