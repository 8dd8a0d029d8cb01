"""Replica changes: `/ddb replicas add|remove` (commands.py, called from the `/ddb replicas`
handler in bot/flows/tables/replicas.py) and their follower (watch.py).

A package of its own, not more of bot/flows/tables/replicas.py: the follow-up function
imports the follower without the listing and App Home code, and the Slack worker's listing
without the change's job records and renderers.
"""
