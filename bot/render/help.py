"""Help, usage errors, denials and the short replies of the ack path."""

from __future__ import annotations

from bot.domain.command_usage import SPECS
from bot.domain.errors import UsageError
from bot.render.message import Message, code, context, escape_keeping_markup, header, section

NOT_AVAILABLE = "is not available in this version of opsbot yet."


def render_help(topic: str | None = None, *, available: frozenset[str] | None = None) -> Message:
    """The command list, or one command's usage and details."""
    if topic is not None:
        spec = SPECS[topic]
        lines = [f"`{spec.usage}`", spec.summary]
        if spec.details:
            lines.append(spec.details)
        if available is not None and topic not in available and topic != "help":
            lines.append(f"_`/ddb {topic}` {NOT_AVAILABLE}_")
        text = "\n".join(lines)
        return Message(text=text, blocks=(section(text),), ephemeral=True)
    rows = []
    for name, spec in SPECS.items():
        marker = "" if available is None or name in available or name == "help" else " _(soon)_"
        rows.append(f"`{spec.usage}`{marker}\n      {spec.summary}")
    body = "\n".join(rows)
    return Message(
        text="opsbot commands:\n" + "\n".join(spec.usage for spec in SPECS.values()),
        blocks=(
            header("opsbot — DynamoDB operations"),
            section(body),
            context(
                "`/ddb help <command>` explains one. Tables may carry a region: `orders@us-west-2`."
            ),
        ),
        ephemeral=True,
    )


def render_usage_error(error: UsageError) -> Message:
    """A usage error: what is wrong, then the usage line."""
    # The grammar quotes the user's own words in backticks (bot.domain.typed.quoted, which
    # replaces a backtick in them); escaping keeps those backticks and stops `<!channel>` (a
    # mention's reply is a public thread post).
    text = f":warning: {escape_keeping_markup(error.message)}"
    if error.usage:
        text += f"\nUsage: `{error.usage}`"
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_error(message: str) -> Message:
    """An error the user can act on (the text is ours; any AWS text inside is escaped)."""
    # Error text is mrkdwn we build (it may mention the requester); adapters escape what
    # they quote from AWS (bot.aws.errors.translate).
    text = f":x: {message}"
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_denied(message: str) -> Message:
    """A denial that says which role is needed."""
    text = f":no_entry: {message}"
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_not_available(command: str) -> Message:
    """A command whose capability is not built yet."""
    text = f"{code(command)} {NOT_AVAILABLE} Try `/ddb help` for what works today."
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_working(command: str, *, checking_role: bool = False) -> Message:
    """The ack of a command whose work runs after the ack."""
    what = "Checking your role, then working on" if checking_role else "Working on"
    text = f":hourglass_flowing_sand: {what} {code(command)}…"
    return Message(text=text, ephemeral=True)


def render_late(command: str, waited_s: float) -> Message:
    """A command that started too late to run safely: nothing was done."""
    minutes = max(int(waited_s // 60), 1)
    text = (
        f":warning: {code(command)} waited {minutes} min before it could start, so I did not "
        "run it: nothing was done. Please run it again."
    )
    return Message(text=text, blocks=(section(text),), ephemeral=True)


def render_not_started(command: str) -> Message:
    """The ack when the slow part of a command could not be handed off."""
    text = (
        f":x: I could not start {code(command)}: opsbot's work queue is unavailable. "
        "Nothing was done. Please try again in a minute."
    )
    return Message(text=text, blocks=(section(text),), ephemeral=True)
