"""The tests' clock: the whole process's time (``datetime``, ``date``, ``time.time``, every
thread, the loopback sandboxes included), moved with time-machine.

- ``freeze_today(time_machine, day)`` pins a test to ``day`` at 10:00 in Shanghai; the clock
  keeps ticking from there, so timeouts and orderings behave as on any other day.
- ``UNIONCARD_TEST_TODAY`` moves the whole session (see ``session_destination``): a date
  (``2027-12-31``, 10:00 Shanghai) or a moment (``2027-12-31T23:50``, Shanghai unless it has
  an offset). A test that pins its own day wins over it for as long as it runs.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORKDAY_MORNING = time(10, 0)


def shanghai(day: date, at: time = WORKDAY_MORNING) -> datetime:
    """``day`` at ``at`` o'clock in Asia/Shanghai, as an aware datetime."""
    return datetime.combine(day, at, SHANGHAI)


def freeze_today(time_machine, day: date, at: time = WORKDAY_MORNING) -> None:
    """Move this test's clock to ``day`` (Shanghai); undone when the test ends."""
    time_machine.move_to(as_utc(shanghai(day, at)), tick=True)


def as_utc(moment: datetime) -> datetime:
    """Given to time-machine in UTC: a ZoneInfo destination would also set the process's TZ,
    and the servers run in whatever zone their host has (UTC here), not in Shanghai's."""
    return moment.astimezone(UTC)


def session_destination(raw: str | None = None) -> datetime | None:
    """Where ``UNIONCARD_TEST_TODAY`` moves the session's clock, or ``None`` to leave it."""
    raw = (os.environ.get("UNIONCARD_TEST_TODAY", "") if raw is None else raw).strip()
    if not raw:
        return None
    if len(raw) == 10:
        return as_utc(shanghai(date.fromisoformat(raw)))
    moment = datetime.fromisoformat(raw)
    return as_utc(moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI))
