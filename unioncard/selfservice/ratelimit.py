"""Fixed-window rate limits on the kvstore (Redis in production, shared by every worker)."""

from __future__ import annotations

import time

from ..errors import TooManyRequests
from ..kvstore import store

MESSAGE = "操作过于频繁，请稍后再试"
clock = time.time  # seconds since the epoch (tests pin it)


class RateLimited(TooManyRequests):
    """429 with the seconds until the window ends (``retry_after``)."""

    def __init__(self, retry_after: int, message: str = MESSAGE):
        self.retry_after = retry_after
        super().__init__(message)


def hit(bucket: str, ident: str | int, limit: int, window: int, message: str = MESSAGE) -> None:
    """Count one request of ``ident`` in ``bucket``; raise ``RateLimited`` over ``limit``."""
    now = clock()
    slot = int(now // window)
    count = store().incr(f"rl:{bucket}:{ident}:{slot}", ttl=window + 1)
    if count > limit:
        raise RateLimited(max(1, int(window - now % window)), message)
