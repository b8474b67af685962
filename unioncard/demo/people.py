"""Realistic demo people (members), deterministic from a seed.

``make_people(n, seed, today=...)`` returns ``n`` :class:`Person` records. The same
``(seed, today)`` always gives the same people, and a shorter list is a prefix of a longer
one (people are drawn one after the other from one ``random.Random(seed)``).

What the data contains (rates are approximate):

* ~95 % 身份证 holders: 18-digit numbers with a correct GB 11643 check digit (about one in
  eleven ends in ``X``), region codes mostly from Shanghai (310101, 310104, 310110,
  310115 …), some from other provinces and a few from abolished districts (310103 former
  卢湾区, 310108 former 闸北区, 310230 former 崇明县). Birth date and gender (17th digit:
  odd = 男) agree with the number.
* ~5 % other ID types (护照, 港澳居民来往内地通行证（香港）/（澳门）, 台湾居民来往大陆通行证,
  外国人居留许可证, 户口簿, 其他) with a matching country/region; the first seven such
  people cycle through all seven types.
* ~2 % names with rare characters (𠮷 outside the BMP and GBK, 䶮 CJK Ext A, 珺 堃 喆 昇
  in GBK but not GB 2312); the first six cover each character once.
* ~2 % minority names with the middle dot U+00B7 (阿不都热依木·买买提, 扎西·多吉 …),
  some longer than 15 characters.
* Every other name (surname by realistic frequency, including a few 欧阳 / 司马 / 诸葛,
  plus one or two given characters) is encodable in GB 2312.
* Birth dates from 1 Jan of ``today.year - 64`` to 31 Dec of ``today.year - 21`` (1962 to
  2005 for 2026); ID expiry mostly in the future, some 长期 (2099-12-31), a few expired;
  unique 11-digit mobiles with real prefixes; Shanghai work addresses of 6–20 characters;
  join dates after the 18th birthday and before ``today``.

Generating 100 000 people takes well under three seconds.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from datetime import date

from .people_data import (
    _ENGLISH,
    _FEMALE_GIVEN,
    _FIXED_MINORITY,
    _FRENCH,
    _GERMAN,
    _JAPANESE,
    _KOREAN,
    _MALE_GIVEN,
    _MOBILE_PREFIXES,
    _MOBILE_SPACE,
    _REGIONS,
    _SURNAMES,
    _TIBET_REGIONS,
    _TIBETAN,
    _UYGHUR_REGIONS,
    FEMALE,
    MALE,
    RARE_CHARACTERS,
    _minority_name,
    _ordinary_name,
    _pick,
    _rare_name,
    _Weighted,
    _work_address,
)

__all__ = [
    "ID_TYPES",
    "LONG_TERM_EXPIRY",
    "Person",
    "make_people",
]

ID_CARD = "身份证"
PASSPORT = "护照"
HOUSEHOLD = "户口簿"
RESIDENCE = "外国人居留许可证"
HK_PERMIT = "港澳居民来往内地通行证（香港）"
MO_PERMIT = "港澳居民来往内地通行证（澳门）"
TW_PERMIT = "台湾居民来往大陆通行证"
OTHER = "其他"

#: All ID types, in the order of the import template.
ID_TYPES = (ID_CARD, PASSPORT, HOUSEHOLD, RESIDENCE, HK_PERMIT, MO_PERMIT, TW_PERMIT, OTHER)

#: Expiry date standing for 长期 (no expiry).
LONG_TERM_EXPIRY = date(2099, 12, 31)


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    id_type: str
    id_number: str
    id_expiry: date
    country: str
    gender: str
    birth_date: date
    mobile: str
    work_address: str
    join_date: date


# --------------------------------------------------------------------------- helpers


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _id_sum(digits: str, first_position: int = 0) -> int:
    """GB 11643 weighted sum of ``digits`` placed from ``first_position`` (0-based)."""
    weights = _ID_WEIGHTS[first_position : first_position + len(digits)]
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True))


def _id_check_digit(first17: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of an 18-digit ID number.

    The generator uses the same sum split into precomputed parts (see ``_REGION_SUM``).
    """
    return _ID_CHECK[_id_sum(first17) % 11]


# --------------------------------------------------------------------------- other IDs

_OTHER_TYPES_CYCLE = (PASSPORT, HK_PERMIT, TW_PERMIT, RESIDENCE, MO_PERMIT, HOUSEHOLD, OTHER)
_OTHER_TYPES = _Weighted(
    [
        (PASSPORT, 30),
        (HK_PERMIT, 20),
        (MO_PERMIT, 8),
        (TW_PERMIT, 15),
        (RESIDENCE, 12),
        (HOUSEHOLD, 8),
        (OTHER, 7),
    ]
)

_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def _digits(rng: random.Random, k: int) -> str:
    return f"{int(rng.random() * 10**k):0{k}d}"


# country → (ISO alpha-3, passport-number maker, names or None for Chinese names)
_PASSPORT_COUNTRIES = _Weighted(
    [
        (("中国", "CHN", lambda r: "E" + _digits(r, 8), None), 15),
        (("美国", "USA", lambda r: _digits(r, 9), _ENGLISH), 15),
        (("日本", "JPN", lambda r: _pick(r, ("TK", "TR", "TZ")) + _digits(r, 7), _JAPANESE), 15),
        (("韩国", "KOR", lambda r: "M" + _digits(r, 8), _KOREAN), 12),
        (("新加坡", "SGP", lambda r: "E" + _digits(r, 7) + _pick(r, _LETTERS), None), 6),
        (("英国", "GBR", lambda r: _digits(r, 9), _ENGLISH), 7),
        (("德国", "DEU", lambda r: "C" + _digits(r, 8), _GERMAN), 7),
        (
            (
                "法国",
                "FRA",
                lambda r: _digits(r, 2) + _pick(r, _LETTERS) + _pick(r, _LETTERS) + _digits(r, 5),
                _FRENCH,
            ),
            5,
        ),
        (("加拿大", "CAN", lambda r: "AB" + _digits(r, 6), _ENGLISH), 5),
        (("澳大利亚", "AUS", lambda r: _pick(r, "NP") + _digits(r, 7), _ENGLISH), 5),
    ]
)


# --------------------------------------------------------------------------- main


# Partial weighted sums, so that the hot path adds three numbers instead of 17 products.
_REGION_SUM = {
    region: _id_sum(region) for region in (*_REGIONS.items, *_UYGHUR_REGIONS, *_TIBET_REGIONS)
}
_SEQ_STR = tuple(f"{seq:03d}" for seq in range(1000))
_SEQ_SUM = tuple(_id_sum(seq, 14) for seq in _SEQ_STR)
_MOBILE_PREFIX_BASE = tuple(int(prefix) * 100_000_000 for prefix in _MOBILE_PREFIXES)


class _Generator:
    """Draws people one after the other from one ``random.Random(seed)``."""

    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.today_ord = today.toordinal()
        self.birth_lo = date(today.year - 64, 1, 1).toordinal()
        self.birth_span = date(today.year - 21, 12, 31).toordinal() - self.birth_lo + 1
        # Every date a person can need (birth, join, expiry up to 20 years ahead), made once.
        self.dates = [date.fromordinal(o) for o in range(self.birth_lo, self.today_ord + 7302)]
        self.birth_info: dict[int, tuple[str, int]] = {}
        self.ids: set[str] = set()
        self.mobiles: set[str] = set()
        self.n_rare = 0
        self.n_minority = 0
        self.n_other = 0

    def day(self, ordinal: int) -> date:
        return self.dates[ordinal - self.birth_lo]

    def birth_ordinal(self) -> int:
        return self.birth_lo + int(self.random() * self.birth_span)

    def mobile(self) -> str:
        rand = self.random
        mobiles = self.mobiles
        while True:
            prefix, rest = divmod(int(rand() * _MOBILE_SPACE), 100_000_000)
            m = str(_MOBILE_PREFIX_BASE[prefix] + rest)
            if m not in mobiles:
                mobiles.add(m)
                return m

    def unique_id(self, make) -> str:
        while True:
            number = make(self.rng)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def citizen_id(self, region: str, birth_ord: int, gender: str) -> str | None:
        """A new 18-digit number, or None if this region and birth date look used up."""
        info = self.birth_info.get(birth_ord)
        if info is None:
            ymd = self.day(birth_ord).isoformat().replace("-", "")
            info = self.birth_info[birth_ord] = (ymd, _id_sum(ymd, 6))
        stem = region + info[0]
        stem_sum = _REGION_SUM[region] + info[1]
        odd = 1 if gender == MALE else 0
        rand = self.random
        ids = self.ids
        for _ in range(50):
            seq = int(rand() * 500) * 2 + odd
            number = stem + _SEQ_STR[seq] + _ID_CHECK[(stem_sum + _SEQ_SUM[seq]) % 11]
            if number not in ids:
                ids.add(number)
                return number
        return None

    def future(self, max_days: int) -> date:
        """Mostly a day in the next ``max_days`` days; 3 % already expired."""
        rand = self.random
        if rand() < 0.03:
            return self.day(self.today_ord - 1 - int(rand() * 700))
        return self.day(self.today_ord + 1 + int(rand() * max_days))

    def join_date(self, birth_ord: int) -> date:
        """After the 18th birthday, within the last 30 years, before today."""
        lo = max(birth_ord + 6575, self.today_ord - 10950)
        return self.day(lo + int(self.random() * (self.today_ord - lo)))

    def special_name(self, r: float) -> tuple[str, str, str]:
        """(name, gender, region code) of a rare-character (r < 0.02) or minority name."""
        rng = self.rng
        if r < 0.02:
            k = self.n_rare
            self.n_rare += 1
            rare = RARE_CHARACTERS[k] if k < len(RARE_CHARACTERS) else _pick(rng, RARE_CHARACTERS)
            gender = MALE if rng.random() < 0.5 else FEMALE
            return _rare_name(rng, gender, rare), gender, _REGIONS.pick(rng)
        k = self.n_minority
        self.n_minority += 1
        if k < len(_FIXED_MINORITY):
            name, gender = _FIXED_MINORITY[k]
        else:
            name, gender = _minority_name(rng)
        tibetan = any(name == t for t, _ in _TIBETAN)
        return name, gender, _pick(rng, _TIBET_REGIONS if tibetan else _UYGHUR_REGIONS)

    def citizen(self, id_type: str) -> Person:
        """A mainland person with an 18-digit citizen ID number (身份证 or 户口簿).

        The hot path of :func:`make_people`, hence written out in one piece.
        """
        rand = self.random
        r = rand()
        if r < 0.04:
            name, gender, region = self.special_name(r)
        else:
            gender = MALE if rand() < 0.52 else FEMALE
            chars = _MALE_GIVEN if gender == MALE else _FEMALE_GIVEN
            k = len(chars)
            name = _SURNAMES.items[bisect(_SURNAMES.cum, rand() * _SURNAMES.total)]
            name += chars[int(rand() * k)]
            if rand() < 0.7:
                name += chars[int(rand() * k)]
            region = _REGIONS.items[bisect(_REGIONS.cum, rand() * _REGIONS.total)]
        while True:
            birth_ord = self.birth_lo + int(rand() * self.birth_span)
            id_number = self.citizen_id(region, birth_ord, gender)
            if id_number is not None:
                break
        if id_type == HOUSEHOLD:
            expiry = LONG_TERM_EXPIRY
        else:
            age = (self.today_ord - birth_ord) // 365.2425  # close enough for the validity
            if age >= 46 and rand() < min(0.6, (age - 45) * 0.04):
                expiry = LONG_TERM_EXPIRY  # 长期: issued at 46 or older
            else:
                expiry = self.future(3650 if age < 26 else 7300)
        # positional: noticeably faster than keywords for 100 000 people
        return Person(
            name,
            id_type,
            id_number,
            expiry,
            "中国",
            gender,
            self.day(birth_ord),
            self.mobile(),
            _work_address(self.rng),
            self.join_date(birth_ord),
        )

    def non_citizen(self, id_type: str) -> Person:
        rng = self.rng
        names = None
        if id_type == PASSPORT:
            country, _, make, names = _PASSPORT_COUNTRIES.pick(rng)
            expiry = self.future(3650)
        elif id_type == RESIDENCE:
            country, alpha3, _, names = _PASSPORT_COUNTRIES.pick(rng)
            while country == "中国":
                country, alpha3, _, names = _PASSPORT_COUNTRIES.pick(rng)

            def make(r, alpha3=alpha3):
                return alpha3 + "31" + _digits(r, 10)

            expiry = self.future(1825)
        elif id_type == HK_PERMIT:
            country = "中国香港"

            def make(r):
                return "H" + _digits(r, 8)

            expiry = self.future(3650)
        elif id_type == MO_PERMIT:
            country = "中国澳门"

            def make(r):
                return "M" + _digits(r, 8)

            expiry = self.future(3650)
        elif id_type == TW_PERMIT:
            country = "中国台湾"

            def make(r):
                return _digits(r, 8)

            expiry = self.future(1825)
        else:  # OTHER, e.g. a military officer's card
            country = "中国"

            def make(r):
                return "JG" + _digits(r, 7)

            expiry = self.future(1825)
        if names is None:
            gender = MALE if rng.random() < 0.52 else FEMALE
            name = _ordinary_name(rng, gender)
        else:
            name, gender = _pick(rng, names)
        birth_ord = self.birth_ordinal()
        return Person(
            name=name,
            id_type=id_type,
            id_number=self.unique_id(make),
            id_expiry=expiry,
            country=country,
            gender=gender,
            birth_date=self.day(birth_ord),
            mobile=self.mobile(),
            work_address=_work_address(rng),
            join_date=self.join_date(birth_ord),
        )

    def person(self) -> Person:
        if self.random() < 0.95:
            return self.citizen(ID_CARD)
        k = self.n_other
        self.n_other += 1
        if k < len(_OTHER_TYPES_CYCLE):
            id_type = _OTHER_TYPES_CYCLE[k]
        else:
            id_type = _OTHER_TYPES.pick(self.rng)
        if id_type == HOUSEHOLD:
            return self.citizen(HOUSEHOLD)
        return self.non_citizen(id_type)


def make_people(n: int, seed: int = 2026, *, today: date) -> list[Person]:
    """``n`` demo people, deterministic from ``(seed, today)``.

    ``make_people(k, seed, today=t)`` is a prefix of ``make_people(m, seed, today=t)``
    for ``k <= m``. ID numbers and mobiles are unique within the list.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    gen = _Generator(seed, today)
    return [gen.person() for _ in range(n)]
