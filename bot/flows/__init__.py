"""The application flows: what opsbot does when something happens, one package per capability.

Each flow orchestrates the pure decisions (bot.domain), the renderers (bot.render) and the
adapters (bot.aws, and Slack through the runtime's notifier). `functions/` and the Slack
worker call them; nothing here parses a Lambda event's transport or a Slack request.
"""
