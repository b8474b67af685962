"""Identity documents and mobiles: normalising what clerks type, and the GB 11643 check.

Pure functions, no I/O. The import engine calls them for every row, so the common path
(an ASCII string already in shape) is kept short.

- ``normalise_text``: undo what a person would not notice (full-width ASCII, ideographic and
  no-break spaces, zero-width characters, surrounding blanks, numbers read from Excel), for
  numbers, codes and names; ``free_text`` for prose (reasons, remarks, addresses), kept as typed.
- ``parse_resident_id``: the 18-character resident identity number (居民身份证号码) with its
  ISO 7064 MOD 11-2 check character, birth date and gender. Region codes are a hint only:
  numbers issued under codes that were later abolished stay valid for life.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple

__all__ = [
    "ID_TYPES",
    "RESIDENT_ID",
    "InvalidIdNumber",
    "ResidentId",
    "free_text",
    "is_valid_mobile",
    "is_valid_resident_id",
    "normalise_id_number",
    "normalise_id_type",
    "normalise_text",
    "parse_resident_id",
    "resident_id_check_char",
    "resident_id_facts",
    "today_in_china",
]

RESIDENT_ID = "身份证"
ID_TYPES: tuple[str, ...] = (
    RESIDENT_ID,
    "护照",
    "户口簿",
    "外国人居留许可证",
    "港澳居民来往内地通行证（香港）",
    "港澳居民来往内地通行证（澳门）",
    "台湾居民来往大陆通行证",
    "其他",
)
_ID_TYPE_ALIASES = {"居民身份证": RESIDENT_ID}

_CHINA_TZ = timezone(timedelta(hours=8))  # Asia/Shanghai, no daylight saving since 1991

# Full-width ASCII variants (U+FF01..U+FF5E) map to ASCII exactly as NFKC would; CJK text is
# left alone. Blanks a person cannot see become a plain space, zero-width characters go.
_TEXT_TABLE: dict[int, int | None] = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_TEXT_TABLE.update({0x3000: 0x20, 0xA0: 0x20, 0x2007: 0x20, 0x202F: 0x20})
_TEXT_TABLE.update({0x200B: None, 0x200C: None, 0x200D: None, 0x2060: None, 0xFEFF: None})
_NEEDS_TABLE = re.compile("[" + "".join(f"\\u{cp:04x}" for cp in sorted(_TEXT_TABLE)) + "]")

# ISO 7064 MOD 11-2: the weight of digit i (0-based) is 2**(17-i) mod 11, so the weighted
# sum is 2 * P(2) mod 11, P being the digits read as a polynomial. 13 = 2 (mod 11), hence
# P(2) = int(digits, 13) (mod 11): one C call instead of a Python loop over 17 digits.
_CHECK_CHARS = "10X98765432"
_MIN_BIRTH = date(1900, 1, 1)
_BIRTH_DATES: dict[str, date] = {}  # "19840531" -> date, a cache of valid birth dates

# First two digits of the region code (GB/T 2260), for display only.
PROVINCES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江", "31": "上海", "32": "江苏",
    "33": "浙江", "34": "安徽", "35": "福建", "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西",
    "46": "海南", "50": "重庆", "51": "四川", "52": "贵州", "53": "云南",
    "54": "西藏", "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏",
    "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门", "83": "台湾",
}  # fmt: skip


def today_in_china() -> date:
    """Today's date in Asia/Shanghai, whatever the server's time zone."""
    return datetime.now(_CHINA_TZ).date()


_INVISIBLE = {cp: None for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)}


def free_text(value: object) -> str:
    """What a person typed as prose (a reason, a remark, an address, a note), kept as typed:
    full-width punctuation and letters stay (「批次无误，照常办理」); only the blanks around
    it and zero-width characters go. ``normalise_text`` is for numbers, codes and names."""
    if not isinstance(value, str):  # a number or date from a spreadsheet cell
        return normalise_text(value)
    return value.translate(_INVISIBLE).strip()


def normalise_text(value: object) -> str:
    """The text a person meant: half-width ASCII, plain spaces, no surrounding blanks.

    ``None`` gives ""; integral numbers (Excel hands over 13812345678.0) give their integer
    text; other numbers give ``str``. CJK characters are never changed.
    """
    if value is None:
        return ""
    if type(value) is str:
        if value.isascii() or _NEEDS_TABLE.search(value) is None:
            return value.strip()
        return value.translate(_TEXT_TABLE).strip()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).translate(_TEXT_TABLE).strip()


def normalise_id_number(value: object) -> str:
    """``normalise_text`` without any inner whitespace, with a lower-case x made upper-case."""
    text = normalise_text(value)
    if not text.isalnum():  # blanks inside (or punctuation, which stays)
        text = "".join(text.split())
    if text.endswith("x"):
        text = text[:-1] + "X"
    return text


def normalise_id_type(value: object) -> str | None:
    """The canonical ID type for what was typed (half-width brackets accepted), else None."""
    text = "".join(normalise_text(value).split())
    text = text.replace("(", "（").replace(")", "）")
    if text in ID_TYPES:
        return text
    return _ID_TYPE_ALIASES.get(text)


def is_valid_mobile(value: str) -> bool:
    """A mainland mobile: 11 ASCII digits, 1 then 3-9."""
    return (
        type(value) is str
        and len(value) == 11
        and value.isascii()
        and value.isdigit()
        and value[0] == "1"
        and value[1] in "3456789"
    )


class InvalidIdNumber(ValueError):
    """A resident ID that fails GB 11643. ``reason``: length, letter_o, checksum, birth_date."""

    REASONS = ("length", "letter_o", "checksum", "birth_date")

    def __init__(self, reason: str):
        if reason not in self.REASONS:
            raise ValueError(reason)
        self.reason = reason
        super().__init__(reason)


class ResidentId(NamedTuple):
    """A checked 18-character resident identity number and what it says."""

    number: str
    birth_date: date
    gender: str  # "男" / "女"
    region_code: str  # six digits; a hint only, never checked against a current list

    @property
    def province(self) -> str | None:
        return PROVINCES.get(self.region_code[:2])


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character (0-9 or X) for 17 digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("17 digits expected")
    return _CHECK_CHARS[2 * int(first17, 13) % 11]


def parse_resident_id(number: str, *, today: date | None = None) -> ResidentId:
    """Check an already normalised 18-character number; raise ``InvalidIdNumber`` if bad.

    Order of reasons: length, then the letter O where a digit belongs, then the check
    character (and any other stray character), then the birth date (a real day between
    1900-01-01 and ``today``, which defaults to today in China).
    """
    birth, gender = resident_id_facts(number, today or today_in_china())
    return ResidentId(number, birth, gender, number[:6])


def resident_id_facts(number: str, today: date) -> tuple[date, str]:
    """``parse_resident_id`` for hot loops: (birth date, gender), no object built."""
    if len(number) != 18:
        raise InvalidIdNumber("length")
    body = number[:17]
    if not (body.isdigit() and body.isascii()):
        raise InvalidIdNumber("letter_o" if "O" in number or "o" in number else "checksum")
    last = number[17]
    if _CHECK_CHARS[2 * int(body, 13) % 11] != last:  # body is ASCII digits only
        raise InvalidIdNumber("letter_o" if last in "Oo" else "checksum")
    ymd = number[6:14]
    birth = _BIRTH_DATES.get(ymd)
    if birth is None:
        try:
            birth = date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
        except ValueError:
            raise InvalidIdNumber("birth_date") from None
        if not _MIN_BIRTH <= birth <= today:
            raise InvalidIdNumber("birth_date")
        _BIRTH_DATES[ymd] = birth  # only real days from 1900 to today: ~46,000 at most
    elif birth > today:  # cached under a later ``today``
        raise InvalidIdNumber("birth_date")
    return birth, "男" if number[16] in "13579" else "女"


def is_valid_resident_id(number: str, *, today: date | None = None) -> bool:
    """True if ``number`` (already normalised) passes ``parse_resident_id``."""
    try:
        parse_resident_id(number, today=today)
    except InvalidIdNumber:
        return False
    return True
