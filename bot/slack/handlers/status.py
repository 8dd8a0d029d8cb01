"""`/ddb status <table>`: the worker side."""

from __future__ import annotations

from bot.aws.tables import describe_status
from bot.domain.commands import Status
from bot.render.status import render_status
from bot.slack.capabilities import Request, command
from bot.slack.handlers.replicas import status_health_risks
from bot.slack.places import clients_in, label_of
from bot.slack.resolve import resolve_table


@command(Status, account_aware=True)
def status(cmd: Status, request: Request) -> None:
    """Describe the table (in its account and region) and reply with its status."""
    runtime, settings = request.runtime, request.runtime.settings
    table = resolve_table(runtime, cmd.table)
    client = clients_in(runtime, table.account)
    result = describe_status(
        client("dynamodb", table.region),
        client("cloudwatch", table.region),
        table.name,
        table.region,
    )
    extra = status_health_risks(runtime, result, request.now, clients=client)
    request.reply(
        render_status(
            result,
            request.now,
            max_backup_age=settings.backup_max_age,
            extra_risks=extra,
            account_label=label_of(runtime, result.account or table.account),
        )
    )
