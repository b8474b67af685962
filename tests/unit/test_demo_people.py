"""Demo people: realistic, deterministic, valid where it matters."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from datetime import date

import pytest

from unioncard.demo.people import ID_TYPES, LONG_TERM_EXPIRY, Person, make_people

TODAY = date(2026, 3, 1)
RARE = ("𠮷", "䶮", "珺", "堃", "喆", "昇")
DOT = "\u00b7"
COUNTRY_OF = {
    "港澳居民来往内地通行证（香港）": "中国香港",
    "港澳居民来往内地通行证（澳门）": "中国澳门",
    "台湾居民来往大陆通行证": "中国台湾",
    "身份证": "中国",
    "户口簿": "中国",
}
CITIZEN_TYPES = ("身份证", "户口簿")


def gb11643_check(first17: str) -> str:
    """Independent ISO 7064 MOD 11-2: sum of digit * 2^(17-i) mod 11."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    return "10X98765432"[total % 11]


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@pytest.fixture(scope="module")
def people() -> list[Person]:
    return make_people(500, today=TODAY)


def test_deterministic():
    assert make_people(200, 7, today=TODAY) == make_people(200, 7, today=TODAY)
    assert make_people(200, 7, today=TODAY) != make_people(200, 8, today=TODAY)


def test_shorter_list_is_a_prefix(people):
    assert make_people(120, today=TODAY) == people[:120]


def test_zero_and_negative():
    assert make_people(0, today=TODAY) == []
    with pytest.raises(ValueError):
        make_people(-1, today=TODAY)


def test_person_is_frozen(people):
    with pytest.raises(dataclasses.FrozenInstanceError):
        people[0].name = "x"  # type: ignore[misc]


def test_ids_and_mobiles_unique(people):
    assert len({p.id_number for p in people}) == len(people)
    assert len({p.mobile for p in people}) == len(people)


def test_fields_well_formed(people):
    for p in people:
        assert p.id_type in ID_TYPES
        assert p.gender in ("男", "女")
        assert re.fullmatch(r"1[3-9]\d{9}", p.mobile), p.mobile
        assert 6 <= len(p.work_address) <= 20, p.work_address
        assert len(re.findall(r"[\u4e00-\u9fff]", p.work_address)) >= 6, p.work_address
        assert p.name and p.name == p.name.strip()
        assert isinstance(p.id_expiry, date)


def test_citizen_ids_valid(people):
    citizens = [p for p in people if p.id_type in CITIZEN_TYPES]
    assert citizens
    for p in citizens:
        n = p.id_number
        assert re.fullmatch(r"[1-9]\d{16}[\dX]", n), n
        assert gb11643_check(n[:17]) == n[17], n
        assert date(int(n[6:10]), int(n[10:12]), int(n[12:14])) == p.birth_date
        assert p.gender == ("男" if int(n[16]) % 2 else "女")
        assert p.country == "中国"
    assert any(p.id_number.endswith("X") for p in citizens)
    assert any(p.id_number.startswith("310103") for p in make_people(3000, today=TODAY))


def test_mostly_id_cards_some_others(people):
    counts = Counter(p.id_type for p in people)
    assert 0.90 <= counts["身份证"] / len(people) <= 0.99
    assert set(counts) == set(ID_TYPES)  # every type appears in 500 people


def test_other_id_types_are_consistent(people):
    others = [p for p in people if p.id_type != "身份证"]
    for p in others:
        if p.id_type in COUNTRY_OF:
            assert p.country == COUNTRY_OF[p.id_type], p
        if p.id_type == "外国人居留许可证":
            assert p.country not in ("中国", "中国香港", "中国澳门", "中国台湾")
        if p.id_type == "港澳居民来往内地通行证（香港）":
            assert re.fullmatch(r"H\d{8}", p.id_number)
        if p.id_type == "港澳居民来往内地通行证（澳门）":
            assert re.fullmatch(r"M\d{8}", p.id_number)
        if p.id_type == "台湾居民来往大陆通行证":
            assert re.fullmatch(r"\d{8}", p.id_number)
        if p.id_type == "护照":
            assert re.fullmatch(r"[A-Z0-9]{7,9}", p.id_number), p.id_number
    assert all("（" in t and "）" in t for t in ID_TYPES if "通行证（" in t)


def test_rare_characters_present(people):
    names = "".join(p.name for p in people)
    for ch in RARE:
        assert ch in names, ch
    # 𠮷 is outside the BMP: one code point, two UTF-16 units
    assert len("𠮷") == 1
    with pytest.raises(UnicodeEncodeError):
        "𠮷".encode("gbk")


def test_minority_names_present(people):
    minority = [p.name for p in people if DOT in p.name and p.id_type == "身份证"]
    assert len(minority) >= 5
    assert "阿不都热依木·买买提" in minority
    assert "扎西·多吉" in minority
    assert any(len(n) > 15 for n in minority)
    for name in minority:
        assert not name.startswith(DOT) and not name.endswith(DOT)
        assert DOT + DOT not in name


def test_ordinary_names_fit_gb2312(people):
    ordinary = [p.name for p in people if DOT not in p.name and not set(p.name) & set(RARE)]
    assert len(ordinary) > 400
    for name in ordinary:
        name.encode("gb2312")
        assert 2 <= len(name) <= 4


def test_surnames_realistic():
    crowd = make_people(5000, today=TODAY)
    surnames = Counter(p.name[0] for p in crowd if p.id_type == "身份证" and DOT not in p.name)
    top = [s for s, _ in surnames.most_common(5)]
    assert set(top) <= {"王", "李", "张", "刘", "陈", "杨"}
    assert any(p.name.startswith(("欧阳", "司马", "诸葛")) for p in crowd)


def test_ages_and_dates_plausible(people):
    for p in people:
        age = age_on(p.birth_date, TODAY)
        assert 20 <= age <= 64, (p.birth_date, age)
        assert 1962 <= p.birth_date.year <= 2005
        assert age_on(p.birth_date, p.join_date) >= 17
        assert p.join_date < TODAY
    future = sum(p.id_expiry > TODAY for p in people)
    assert future / len(people) >= 0.9
    assert any(p.id_expiry == LONG_TERM_EXPIRY for p in people)
    assert any(p.id_expiry < TODAY for p in people)  # a few expired, for the checks


def test_genders_mixed(people):
    counts = Counter(p.gender for p in people)
    assert counts["男"] > 150 and counts["女"] > 150


def test_birth_window_follows_today():
    for p in make_people(300, today=date(2040, 6, 30)):
        assert 2040 - 64 <= p.birth_date.year <= 2040 - 21


def test_twenty_thousand_are_unique():
    crowd = make_people(20_000, today=TODAY)
    assert len({p.id_number for p in crowd}) == len(crowd)
    assert len({p.mobile for p in crowd}) == len(crowd)


@pytest.mark.parametrize(
    "id_number", ["11010519491231002X", "440524188001010014", "341181199001016754"]
)
def test_private_check_digit_matches_reference(id_number):
    from unioncard.demo.people import _id_check_digit

    assert _id_check_digit(id_number[:17]) == gb11643_check(id_number[:17]) == id_number[17]
