"""COPY text format: what the import streams into PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from unioncard.bulk import copy_text
from unioncard.members.models import MemberStatus


def test_values_incopy_text_format():
    assert copy_text(None) == "\\N"
    assert copy_text(True) == "t" and copy_text(False) == "f"
    assert copy_text(7) == "7"
    assert copy_text(date(2020, 1, 2)) == "2020-01-02"
    assert copy_text(datetime(2020, 1, 2, 3, 4, tzinfo=UTC)) == "2020-01-02T03:04:00+00:00"
    assert copy_text(MemberStatus.ACTIVE) == "正常"


def test_specials_are_escaped_so_a_value_cannot_break_the_row():
    assert copy_text("a\tb") == "a\\tb"
    assert copy_text("x\\N") == "x\\\\N"
    assert copy_text("line\nnext\r") == "line\\nnext\\r"
    assert copy_text("𠮷田·春") == "𠮷田·春"


def test_array_literal_quotes_and_escapes_every_element():
    from unioncard.bulk import array_literal

    assert array_literal(["ab12", 'say "hi"', "back\\slash", 7]) == (
        '{"ab12","say \\"hi\\"","back\\\\slash",7}'
    )
    assert array_literal([]) == "{}"
