"""COPY text format: what the import streams into PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_sqlite_values_store_dates_as_the_driver_would(ctx):
    """Prepared rows hold what the sqlite3 driver would have made of each value."""
    import sqlite3

    from unioncard.bulk import is_postgres, sqlite_values
    from unioncard.imports.pipeline import FIXED_COLUMNS, ROW_COLUMNS
    from unioncard.members.models import Member

    if is_postgres():
        return
    now = datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)
    fixed = sqlite_values(Member.__table__, FIXED_COLUMNS)(
        ("企业内", MemberStatus.ACTIVE.value, "正常", 7, now, now, None)
    )
    assert fixed == ("企业内", "正常", "正常", 7, now.isoformat(" "), now.isoformat(" "), None)
    plain = sqlite3.connect(":memory:")
    assert plain.execute("SELECT ?", (now,)).fetchone()[0] == fixed[4]
    row = sqlite_values(Member.__table__, ROW_COLUMNS)(
        ("王伟", "身份证", date(2030, 1, 2), "中国", "男", date(1990, 1, 1), "", None, True)
        + ("", "s", "i", "m", "b")
    )
    assert row[2] == "2030-01-02" and row[5] == "1990-01-01" and row[7] is None and row[8] == 1
    assert plain.execute("SELECT ?", (date(2030, 1, 2),)).fetchone()[0] == row[2]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from('ab0f"\\,{} 王𠮷'), max_size=5) | st.integers(-5, 10**12),
        max_size=6,
    )
)
def test_array_literal_fast_path_gives_the_escaped_form(values):
    """Strings with nothing to escape skip the per-element quoting: the same text."""
    from unioncard.bulk import array_literal, escaped_array_literal

    expected = escaped_array_literal(values)
    assert array_literal(values) == expected
    assert array_literal(iter(values)) == expected


def test_each_of_finds_what_among_finds(ctx):
    """``each_of`` (one probe per value on PostgreSQL) narrows a query as ``among`` does:
    the query's own conditions kept, a value given twice or not stored finds nothing more."""
    from sqlalchemy import insert, select

    from unioncard.bulk import among, each_of
    from unioncard.cards.models import BankReceipt
    from unioncard.extensions import db

    db.session.execute(insert(BankReceipt), [
        {"kind": kind, "external_id": key, "member_no": f"M{n}", "payload": {}}
        for n, (kind, key) in enumerate(
            [("result", "a1"), ("result", 'say "hi"'), ("event", "a1"), ("result", "b\\2")]
        )
    ])  # fmt: skip
    query = select(BankReceipt.external_id, BankReceipt.member_no).where(
        BankReceipt.kind == "result"
    )
    wanted = ["a1", 'say "hi"', "b\\2", "a1", "absent"]
    found = sorted(db.session.execute(each_of(query, BankReceipt.external_id, wanted)))
    expected = sorted(db.session.execute(query.where(among(BankReceipt.external_id, wanted))))
    assert found == expected == [("a1", "M0"), ("b\\2", "M3"), ('say "hi"', "M1")]
    assert db.session.execute(each_of(query, BankReceipt.external_id, [])).all() == []
