"""The tests' own clock (tests/clock.py): where it moves the process, and what it leaves."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

from tests.clock import freeze_today, session_destination
from unioncard.members.idcard import today_in_china


def test_session_destination_reads_dates_and_moments_in_shanghai():
    assert session_destination("") is None
    assert session_destination("2027-12-31T23:50") == datetime(2027, 12, 31, 15, 50, tzinfo=UTC)
    assert session_destination("2028-02-29") == datetime(2028, 2, 29, 2, 0, tzinfo=UTC)
    assert session_destination("2028-01-01T00:10+00:00") == datetime(2028, 1, 1, 0, 10, tzinfo=UTC)


def test_freeze_today_moves_the_whole_process_and_keeps_ticking(time_machine):
    zone = time.tzname
    freeze_today(time_machine, date(2027, 12, 31))
    assert today_in_china() == date(2027, 12, 31)
    assert abs(datetime.now(UTC) - datetime(2027, 12, 31, 2, 0, tzinfo=UTC)) < timedelta(seconds=5)
    first = time.time()
    time.sleep(0.01)
    assert time.time() > first  # ticking: waits and timeouts behave
    assert time.tzname == zone  # the host's zone is left alone
