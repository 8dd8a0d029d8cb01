"""`/ddb replicas <table>` (worker side), and the replica and alarm risks `/ddb status` adds."""

from __future__ import annotations

from datetime import datetime

from bot.aws.replicas import describe_replicas, scan_alarms
from bot.domain.commands import Replicas
from bot.domain.replicas import health_risks, throttle_alarm_gaps
from bot.domain.tables import TableStatus
from bot.render.replicas import render_replicas
from bot.runtime import Runtime
from bot.slack.capabilities import Request, command


@command(Replicas)
def replicas(cmd: Replicas, request: Request) -> None:
    """Describe the table's replicas and their lag, and reply."""
    settings = request.runtime.settings
    table = cmd.table.in_region(settings.default_region)
    assert table.region is not None
    result = describe_replicas(request.runtime.client, table.name, table.region, request.now)
    request.reply(render_replicas(result, request.now, other_regions=settings.regions))


def status_health_risks(runtime: Runtime, status: TableStatus, now: datetime) -> tuple[str, ...]:
    """Replicas not ACTIVE or lagging, and missing throttling alarms, for `/ddb status`.

    Costs one DescribeAlarms scan, plus for a global table one DescribeTable and one
    GetMetricData per replica region. Legacy (2017.11.29) tables are not looked up here.
    """
    alarms = scan_alarms(runtime.client("cloudwatch", status.region))
    replication = None
    if status.replica_regions:
        replication = describe_replicas(
            runtime.client, status.name, status.region, now, check_legacy=False
        )
    return health_risks(replication, throttle_gaps=throttle_alarm_gaps(alarms, status.name))
