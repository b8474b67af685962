"""COPY text format: what the import streams into PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from unioncard.bulk import _copy_text
from unioncard.members.models import MemberStatus


def test_values_in_copy_text_format():
    assert _copy_text(None) == "\\N"
    assert _copy_text(True) == "t" and _copy_text(False) == "f"
    assert _copy_text(7) == "7"
    assert _copy_text(date(2020, 1, 2)) == "2020-01-02"
    assert _copy_text(datetime(2020, 1, 2, 3, 4, tzinfo=UTC)) == "2020-01-02T03:04:00+00:00"
    assert _copy_text(MemberStatus.ACTIVE) == "正常"


def test_specials_are_escaped_so_a_value_cannot_break_the_row():
    assert _copy_text("a\tb") == "a\\tb"
    assert _copy_text("x\\N") == "x\\\\N"
    assert _copy_text("line\nnext\r") == "line\\nnext\\r"
    assert _copy_text("𠮷田·春") == "𠮷田·春"
