"""App Home: refreshed each time a user opens it (the ack path queues a `home` work item)."""

from __future__ import annotations

from bot.aws.replicas import describe_home, watched_tables
from bot.domain.errors import OpsbotError
from bot.domain.replicas import home_capacity, parse_watched_table
from bot.render.home import render_home, render_home_error
from bot.slack.capabilities import Request, home_renderer


@home_renderer
def publish_home(request: Request) -> None:
    """Describe the watched tables and publish the viewer's Home tab."""
    runtime, settings = request.runtime, request.runtime.settings
    configured = [parse_watched_table(t) for t in settings.home_tables]
    source = "configured in opsbot.toml" if configured else "tagged opsbot:watch"
    try:
        tables = watched_tables(runtime.client, configured, settings.regions)
        view = describe_home(
            runtime.client,
            tables,
            request.now,
            max_backup_age=settings.backup_max_age,
            capacity=home_capacity(),
        )
    except OpsbotError as exc:
        # The Home tab has no thread to answer in: show the problem where the user looks.
        runtime.notifier.publish_home(
            request.user, render_home_error(exc.message, request.now, source=source)
        )
        return
    blocks = render_home(view, request.now, source=source, max_backup_age=settings.backup_max_age)
    runtime.notifier.publish_home(request.user, blocks)
