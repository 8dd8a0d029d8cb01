"""Moves the wall clock of every Python process started with this folder on PYTHONPATH.

Set OPSBOT_WALL_CLOCK to an ISO 8601 instant (``2027-07-14T23:56:00Z``): the process starts
there and its clock ticks on, subprocesses included (they inherit PYTHONPATH and the variable).
`make clock-test` uses it to prove the suite does not depend on the date or the time of day.
"""

import os

_AT = os.environ.get("OPSBOT_WALL_CLOCK")
if _AT:
    import time_machine

    time_machine.travel(_AT, tick=True).start()
