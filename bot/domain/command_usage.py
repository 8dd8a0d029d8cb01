"""Each `/ddb` command's usage line and help text: what `/ddb help` prints, and the usage line a
UsageError shows under the problem.
"""

from __future__ import annotations

from bot.domain.records import frozen
from bot.domain.times import TIME_FORM


@frozen
class CommandSpec:
    """One command's name, usage line and help text."""

    name: str
    usage: str
    summary: str
    details: str = ""


SPECS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec("help", "/ddb help [command]", "List the commands, or explain one of them."),
        CommandSpec(
            "status",
            "/ddb status <table> [--region R]",
            "Table status, billing, size, PITR window, newest backup, deletion protection, "
            "alarms firing, and the last hour's load: capacity used against provisioned for "
            "the table and each GSI, throttle events, average latency.",
            "A table may carry its region: `orders@us-west-2`.",
        ),
        CommandSpec(
            "backups",
            "/ddb backups <table> [--since 30d] [--type user|system|aws-backup|all] [--region R]",
            "List the table's backups, newest first, with totals and monthly cost.",
        ),
        CommandSpec(
            "backup",
            "/ddb backup <table> [--name NAME]",
            "Take an on-demand backup (operator).",
            "The default name is `<table>-<UTC yyyymmdd-hhmm>`.",
        ),
        CommandSpec(
            "prune",
            "/ddb prune <table>|--all [--keep-last N] [--keep-hourly N] [--keep-daily N] "
            "[--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--keep-within 30d] [--apply]",
            "Show which backups a retention policy keeps and deletes; `--apply` deletes them "
            "after you confirm (operator).",
            "Without flags the table's configured policy applies; typed rules replace it for "
            "the table named, and with `--all` apply only to tables without a policy of their "
            "own. Only user backups are ever deleted, and never a table's newest backup.",
        ),
        CommandSpec(
            "restore",
            "/ddb restore <table> (--at TIME | --latest | --backup NAME|ARN) [--to NEW_TABLE]",
            "Restore to a new table from a point in time or a backup (operator, confirmed).",
            f"TIME is {TIME_FORM}. A restore never overwrites an existing table.",
        ),
        CommandSpec("restores", "/ddb restores", "Restores in progress and recent ones."),
        CommandSpec(
            "pitr",
            "/ddb pitr <table> [on|off]",
            "Point-in-time recovery status and window; `on` (operator), `off` (admin).",
        ),
        CommandSpec(
            "who-changed",
            "/ddb who-changed <table> [--since 7d] [--limit N]",
            "Who changed the table, newest first, from the audit history.",
        ),
        CommandSpec(
            "alarms",
            "/ddb alarms [table] | /ddb alarms recommend <table>",
            'Alarms firing (all, or for one table) and who pressed "I\'m on it"; `recommend` '
            "creates the recommended set (operator).",
        ),
        CommandSpec(
            "replicas",
            "/ddb replicas <table> | /ddb replicas add|remove <table> <region>",
            "Global table replicas with their status and replication lag; `add` (operator) and "
            "`remove` (admin) change them after you confirm.",
            "A replica region must be one opsbot manages. Adding needs version 2019.11.21, "
            "on-demand or auto-scaled writes and streams on with new and old images; "
            "replicated writes are billed in every region.",
        ),
        CommandSpec(
            "export",
            "/ddb export <table> --to s3://BUCKET/PREFIX [--at TIME] [--format dynamodb|ion] "
            "[--incremental --from TIME [--until TIME]]",
            "Export a table to S3 from its point-in-time window (operator, confirmed).",
            f"TIME is {TIME_FORM}. PITR must be on and TIME inside its window; the bucket must "
            "be one of `[exports] buckets`. An incremental export covers 15 min to 24 h of "
            "changes. The confirmation shows the table's size and the estimated cost.",
        ),
        CommandSpec("exports", "/ddb exports [table]", "Exports in progress and recent ones."),
        CommandSpec(
            "import",
            "/ddb import s3://BUCKET/PREFIX --to NEW_TABLE (--like TABLE | --key NAME[:S|N|B] "
            "[--sort NAME[:S|N|B]]) [--format dynamodb|ion|csv]",
            "Import S3 data into a new table (operator, confirmed).",
            "Never into an existing table; the bucket must be one of `[exports] buckets`. "
            "`--like` copies another table's key. A prefix holding one export imports its data "
            "folder. The confirmation shows the source's size and the estimated cost.",
        ),
        CommandSpec(
            "drill",
            "/ddb drill <table> [--backup NAME|ARN | --latest-backup | --pitr [--at TIME]]",
            "Prove a backup restores: restore it into a scratch table, check the copy, delete "
            "it (operator, confirmed).",
            "By default the newest user backup, else the latest PITR point. The scratch table "
            "is named `opsbot-drill-<table>-<time>`; the source is only read. The confirmation "
            f"shows the size and the estimated cost. TIME is {TIME_FORM}.",
        ),
    )
}
