"""`/ddb status <table>`: the worker side."""

from __future__ import annotations

from bot.aws.tables import describe_status
from bot.domain.commands import Status
from bot.render.status import render_status
from bot.slack.capabilities import Request, command
from bot.slack.handlers.replicas import status_health_risks


@command(Status)
def status(cmd: Status, request: Request) -> None:
    """Describe the table and reply with its status."""
    settings = request.runtime.settings
    table = cmd.table.in_region(settings.default_region)
    assert table.region is not None
    result = describe_status(
        request.runtime.client("dynamodb", table.region),
        request.runtime.client("cloudwatch", table.region),
        table.name,
        table.region,
    )
    extra = status_health_risks(request.runtime, result, request.now)
    request.reply(
        render_status(
            result, request.now, max_backup_age=settings.backup_max_age, extra_risks=extra
        )
    )
