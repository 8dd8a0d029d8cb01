"""Telling the bot's own channel that a trail bucket cannot be read, once an hour per bucket.

A trail bucket that is gone (NoSuchBucket) or closed to opsbot (AccessDenied: the inbox
role's s3:GetObject, the bucket policy, or the KMS key) means the audit history silently
misses every log file; a log line nobody reads is not enough. Only the error path loads this.
"""

from __future__ import annotations

import logging

from bot.render.notices import render_trail_unreadable
from bot.runtime import Runtime

log = logging.getLogger(__name__)

_SCOPE = "trail-bucket-unreadable"
QUIET_S = 3600  # one notice per bucket per hour
_KEEP_S = 2 * 86400


def report_unreadable_bucket(bucket: str, key: str, code: str, runtime: Runtime) -> bool:
    """Post that ``bucket`` cannot be read (``code``), unless that was said in the last hour.

    The claim is left running on purpose: its lease is the quiet hour, after which the next
    failure claims it again. True when a notice was posted.
    """
    state = runtime.state
    if not state.claim_once(_SCOPE, bucket, now=runtime.epoch(), lease_s=QUIET_S, keep_s=_KEEP_S):
        log.info("trail bucket %s unreadable (%s); already said within the hour", bucket, code)
        return False
    try:
        message = render_trail_unreadable(bucket, key, code, now=runtime.now())
        runtime.notifier.post(runtime.settings.channels.default, message)
    except Exception:
        state.release_once(_SCOPE, bucket)
        raise
    return True
