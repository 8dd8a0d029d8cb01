"""`/ddb status <table>`: the worker side."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from bot.aws.metrics import table_load
from bot.aws.replicas import scan_alarms
from bot.aws.tables import describe_status
from bot.domain.commands import Status
from bot.flows.drills.views import status_drill_block
from bot.flows.places import clients_in, label_of
from bot.flows.registry import Request, command
from bot.flows.resolve import locate_table
from bot.flows.tables.replicas import status_health_risks
from bot.render.status import render_status


@command(Status, account_aware=True)
def status(cmd: Status, request: Request) -> None:
    """Describe the table (in its account and region) and reply with its status and its load
    over the last hour."""
    runtime, settings = request.runtime, request.runtime.settings
    located = locate_table(runtime, cmd.table)
    table = located.table
    client = clients_in(runtime, table.account)
    cloudwatch = client("cloudwatch", table.region)
    # One scan of the region's alarms, once the table is found, serves both the alarms
    # firing and the throttling alarms missing.
    alarms = cache(lambda: scan_alarms(cloudwatch))
    result = describe_status(
        client("dynamodb", table.region),
        cloudwatch,
        table.name,
        table.region,
        alarms=alarms,
        description=located.description,
    )
    extra = status_health_risks(runtime, result, request.now, clients=client, alarms=alarms())
    load = table_load(cloudwatch, table.name, result.index_names, now=request.now)
    message = render_status(
        result,
        request.now,
        max_backup_age=settings.backup_max_age,
        extra_risks=extra,
        account_label=label_of(runtime, result.account or table.account),
        load=load,
    )
    member = table.account.id if table.account and not table.account.is_home else ""
    drills = status_drill_block(runtime, member, table.region, table.name, request.now)
    if drills is not None:
        message = replace(message, blocks=(*message.blocks, drills))
    request.reply(message)
