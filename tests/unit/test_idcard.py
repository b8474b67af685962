"""Resident ID (GB 11643), ID types, mobiles and the text normalisation clerks never notice."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unioncard.members.idcard import (
    ID_TYPES,
    RESIDENT_ID,
    InvalidIdNumber,
    is_valid_mobile,
    is_valid_resident_id,
    normalise_id_number,
    normalise_id_type,
    normalise_text,
    parse_resident_id,
    resident_id_check_char,
)

TODAY = date(2026, 1, 15)


def with_check(first17: str) -> str:
    return first17 + resident_id_check_char(first17)


def reason(number: str) -> str:
    with pytest.raises(InvalidIdNumber) as exc:
        parse_resident_id(number, today=TODAY)
    return exc.value.reason


def test_well_known_number_ending_in_x():
    rid = parse_resident_id("11010519491231002X", today=TODAY)
    assert rid.number == "11010519491231002X"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.gender == "女"  # 17th digit 2 is even
    assert rid.region_code == "110105"
    assert rid.province == "北京"


def test_gender_comes_from_the_17th_digit():
    male = with_check("44030419840531711")
    female = with_check("44030419840531712")
    assert parse_resident_id(male, today=TODAY).gender == "男"
    assert parse_resident_id(female, today=TODAY).gender == "女"
    assert parse_resident_id(male, today=TODAY).birth_date == date(1984, 5, 31)


@pytest.mark.parametrize(
    "first17, check",
    [
        ("11010519491231002", "X"),
        ("44030419840531712", "X"),
        ("31011519900307201", "2"),
        ("31011519900307202", "0"),
    ],
)
def test_check_character(first17, check):
    assert resident_id_check_char(first17) == check


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_character_matches_the_weighted_sum(first17):
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    assert resident_id_check_char(first17) == "10X98765432"[total % 11]


def test_wrong_check_digit():
    good = with_check("44030419840531712")
    bad = good[:17] + ("1" if good[17] != "1" else "2")
    assert reason(bad) == "checksum"
    assert not is_valid_resident_id(bad, today=TODAY)


@pytest.mark.parametrize(
    "number",
    [
        "11O10519491231002X",  # letter O among the digits
        "110105194912310o2X",  # lower-case o
        "44030419840531712O",  # O where the check character belongs
    ],
)
def test_letter_o_is_its_own_reason(number):
    assert reason(number) == "letter_o"


def test_letter_o_in_the_check_position_of_a_number_whose_check_is_zero():
    good = with_check("31011519900307202")
    assert good.endswith("0")
    assert reason(good[:17] + "O") == "letter_o"


@pytest.mark.parametrize(
    "number",
    ["1101051949123100", "11010519491231002", "11010519491231002X1", "110105491231002", ""],
)
def test_length(number):
    assert reason(number) == "length"


def test_other_stray_character_is_invalid():
    assert reason("1101051949123100AX") == "checksum"


def test_feb_29_of_a_non_leap_year():
    assert reason(with_check("44030419990229123")) == "birth_date"
    assert parse_resident_id(with_check("44030419960229123"), today=TODAY).birth_date == date(
        1996, 2, 29
    )


@pytest.mark.parametrize("birth", ["20260116", "20300101", "18991231", "19841301", "19840532"])
def test_impossible_or_future_birth_date(birth):
    assert reason(with_check(f"440304{birth}123")) == "birth_date"


def test_born_today_is_fine():
    assert is_valid_resident_id(with_check("44030420260115123"), today=TODAY)


@pytest.mark.parametrize("region", ["110103", "110104", "440301", "990101"])
def test_region_codes_that_no_longer_exist_stay_valid(region):
    # 崇文区/宣武区 were abolished in 2010; unknown codes are a hint, never a rejection.
    rid = parse_resident_id(with_check(f"{region}19700101123"), today=TODAY)
    assert rid.region_code == region


def test_full_width_digits_lower_x_and_blanks_are_normalised():
    typed = "\u3000１１０１０５ １９４９１２３１ ００２ｘ\u00a0"
    assert normalise_id_number(typed) == "11010519491231002X"
    assert normalise_id_number(" 11010519491231002x ") == "11010519491231002X"
    assert is_valid_resident_id(normalise_id_number(typed), today=TODAY)


def test_normalise_text():
    assert normalise_text(None) == ""
    assert normalise_text(13812345678.0) == "13812345678"
    assert normalise_text(60) == "60"
    assert normalise_text(2.5) == "2.5"
    assert normalise_text("\u3000 ＡＢＣ１２３\u00a0") == "ABC123"
    assert normalise_text("张\u200b三") == "张三"
    assert normalise_text("深圳市福田区") == "深圳市福田区"  # CJK untouched
    assert normalise_text("阿依古丽·买买提") == "阿依古丽·买买提"
    assert normalise_text(date(2030, 1, 31)) == "2030-01-31"


def test_id_types():
    assert ID_TYPES == (
        "身份证",
        "护照",
        "户口簿",
        "外国人居留许可证",
        "港澳居民来往内地通行证（香港）",
        "港澳居民来往内地通行证（澳门）",
        "台湾居民来往大陆通行证",
        "其他",
    )
    assert ID_TYPES[0] == RESIDENT_ID


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("身份证", "身份证"),
        (" 护照 ", "护照"),
        ("港澳居民来往内地通行证(香港)", "港澳居民来往内地通行证（香港）"),
        ("\u3000港澳居民来往内地通行证（澳门） ", "港澳居民来往内地通行证（澳门）"),
        ("居民身份证", "身份证"),
        ("驾驶证", None),
        ("", None),
    ],
)
def test_normalise_id_type(typed, canonical):
    assert normalise_id_type(typed) == canonical


@pytest.mark.parametrize(
    "mobile, ok",
    [
        ("13812345678", True),
        ("19912345678", True),
        ("16612345678", True),
        ("12812345678", False),
        ("1381234567", False),
        ("138123456789", False),
        ("23812345678", False),
        ("1381234567a", False),
        ("１３８１２３４５６７８", False),  # normalise first
        (13812345678, False),
    ],
)
def test_is_valid_mobile(mobile, ok):
    assert is_valid_mobile(mobile) is ok


def test_a_remembered_birth_date_is_still_checked_against_today():
    number = with_check("44030420260115123")
    assert is_valid_resident_id(number, today=TODAY)
    assert not is_valid_resident_id(number, today=date(2026, 1, 14))
