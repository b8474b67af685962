"""Working days by China's official calendar (法定节假日与调休), not Monday to Friday.

The ``chinese-calendar`` package carries the State Council's schedule for each year it
knows. A year it does not know yet falls back to Monday–Friday without the holidays whose
dates the law fixes (全国年节及纪念日放假办法: 元旦 1-1, 劳动节 5-1 and 5-2, 国庆节 10-1 to
10-3), corrected by the ``EXTRA_HOLIDAYS`` / ``EXTRA_WORKDAYS`` settings (ISO dates) so that
operators can enter a newly published schedule (the lunar holidays, the make-up working
days) before the package is updated.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar
from flask import current_app, has_app_context

log = logging.getLogger(__name__)
FIXED_HOLIDAYS = {(1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3)}  # (month, day) by law


def _overrides() -> tuple[set[str], set[str]]:
    if not has_app_context():
        return set(), set()
    cfg = current_app.config
    return set(cfg.get("EXTRA_HOLIDAYS", ())), set(cfg.get("EXTRA_WORKDAYS", ()))


def is_workday(day: date) -> bool:
    holidays, workdays = _overrides()
    if day.isoformat() in holidays:
        return False
    if day.isoformat() in workdays:
        return True
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("no official calendar for %s; counting Monday to Friday", day.year)
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def add_workdays(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if is_workday(current):
            left -= 1
    return current


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_workday(current)
    return count
