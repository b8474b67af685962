"""The valid rows as stored: ``member_lines`` (the fast COPY text) is ``copy_line`` of each
of ``member_rows``, for any row the engine can produce, including texts COPY must escape."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from unioncard.bulk import copy_line, parse_copy_line
from unioncard.imports.results import ImportedRow
from unioncard.imports.stored import member_lines, member_rows


class _Ring:
    """Deterministic stand-ins (the real encryption has a fresh nonce each time)."""

    def encrypt_many(self, kind, values):
        return [f"{kind}:sealed:{v}" for v in values]


class _Lookups:
    ring = _Ring()

    def indexes(self, kind, values):
        return [f"{kind}:index:{v}" for v in values]


SPECIALS = st.sampled_from(["\t", "\n", "\r", "\\", "\\N", "𠮷", " ", "x", "王", "\x00", "\x85"])
TEXT = st.text(max_size=6) | st.lists(SPECIALS, max_size=4).map("".join)
DATES = st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@st.composite
def imported_rows(draw):
    return ImportedRow(
        row=draw(st.integers(5, 100_004)),
        name=draw(TEXT),
        id_type=draw(TEXT),
        id_number=draw(st.text(alphabet="0123456789X", min_size=1, max_size=18)),
        id_expiry=draw(DATES),
        country=draw(TEXT),
        gender=draw(st.sampled_from(["男", "女", ""]) | TEXT),
        birth_date=draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 1, 1))),
        mobile=draw(st.text(alphabet="0123456789", min_size=11, max_size=11)),
        work_address=draw(TEXT),
        join_date=draw(DATES),
        wants_card=draw(st.booleans()),
        remark=draw(TEXT),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(imported_rows(), max_size=5))
def test_member_lines_is_copy_line_of_member_rows(members):
    lookups = _Lookups()
    expected = [copy_line(row) for row in member_rows(members, lookups)]
    assert member_lines(members, lookups) == expected


def test_a_usual_row_and_rows_with_specials_read_back():
    usual = ImportedRow(
        5, "欧阳娜娜", "身份证", "44030419900101123X", None, "中国", "女",
        date(1990, 1, 1), "13800138000", "深圳市福田区深南大道1号", date(2020, 5, 6), True, "",
    )  # fmt: skip
    tabbed = ImportedRow(
        6, "a\tb", "护照", "E1", date(2031, 2, 3), "x\\N", "男",
        date(1980, 2, 29), "13900139000", "l1\nl2\r", None, False, "\\",
    )  # fmt: skip
    lines = member_lines([usual, tabbed], _Lookups())
    assert lines[0] == (
        "欧阳娜娜\t身份证\t\\N\t中国\t女\t1990-01-01\t深圳市福田区深南大道1号\t2020-05-06\tt\t\t"
        "id_number:sealed:44030419900101123X\tid_number:index:44030419900101123X\t"
        "mobile:sealed:13800138000\tmobile:index:13800138000"
    )
    values = parse_copy_line(lines[1])
    assert values[:10] == [
        "a\tb", "护照", "2031-02-03", "x\\N", "男", "1980-02-29", "l1\nl2\r", None, "f", "\\",
    ]  # fmt: skip


def test_sqlite_flags():
    row = ImportedRow(
        5, "王伟", "身份证", "1", None, "中国", "男", date(1990, 1, 1), "2", "", None, True, ""
    )
    assert member_rows([row], _Lookups(), true=1, false=0)[0][8] == 1
    row.wants_card = False
    assert member_rows([row], _Lookups(), true=1, false=0)[0][8] == 0
