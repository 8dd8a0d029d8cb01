"""`/ddb replicas <table>` (worker side), and the replica and alarm risks `/ddb status` adds;
`/ddb replicas add|remove` goes on to bot/flows/replicas/commands.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.aws.replicas import ClientFactory, describe_replicas, scan_alarms
from bot.domain.commands import Replicas
from bot.domain.replicas import AlarmInfo, health_risks, throttle_alarm_gaps
from bot.domain.tables import TableStatus
from bot.flows.places import clients_in, label_of
from bot.flows.registry import Request, command
from bot.flows.resolve import locate_table
from bot.render.replicas import render_replicas
from bot.runtime import Runtime


@command(Replicas, account_aware=True)
def replicas(cmd: Replicas, request: Request) -> None:
    """Describe the table's replicas (in its account) and their lag, and reply; a change
    (add, remove) is checked and posted for confirmation."""
    if cmd.change:
        from bot.flows.replicas.commands import change_replica

        change_replica(cmd, request)
        return
    runtime = request.runtime
    table = locate_table(runtime, cmd.table).table
    regions = table.account.regions if table.account else runtime.settings.regions
    result = describe_replicas(
        clients_in(runtime, table.account), table.name, table.region, request.now
    )
    label = label_of(runtime, table.account)
    request.reply(render_replicas(result, request.now, other_regions=regions, account_label=label))


def status_health_risks(
    runtime: Runtime,
    status: TableStatus,
    now: datetime,
    *,
    clients: ClientFactory | None = None,
    alarms: Sequence[AlarmInfo] | None = None,
) -> tuple[str, ...]:
    """Replicas not ACTIVE or lagging, and missing throttling alarms, for `/ddb status`.

    Costs one DescribeAlarms scan (none when ``alarms`` has the region's alarms already),
    plus for a global table one DescribeTable and one GetMetricData per replica region.
    Legacy (2017.11.29) tables are not looked up here. ``clients`` reaches the table's
    account (default: opsbot's own).
    """
    client = clients or runtime.client
    if alarms is None:
        alarms = scan_alarms(client("cloudwatch", status.region))
    replication = None
    if status.replica_regions:
        replication = describe_replicas(client, status.name, status.region, now, check_legacy=False)
    return health_risks(replication, throttle_gaps=throttle_alarm_gaps(alarms, status.name))
