"""Checking one member row on its own (no duplicates, no database): the per-row rules.

Called for every row of a file of up to 100,000, so the common case (strings already in
shape, a valid resident ID) runs without normalising what needs no normalising.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ..members.idcard import (
    RESIDENT_ID,
    InvalidIdNumber,
    normalise_id_number,
    normalise_id_type,
    normalise_text,
    resident_id_facts,
)
from . import messages as msg
from .results import CellError, ImportedRow
from .template import GENDERS, NO, YES

DEFAULT_COUNTRY = "中国"
LONG_TERM = frozenset({"长期", "长期有效"})  # a resident ID for people over 46 never expires

_ID_REASON_MESSAGES = {
    "length": msg.ID_LENGTH,
    "letter_o": msg.ID_LETTER_O,
    "checksum": msg.ID_INVALID,
    "birth_date": msg.ID_INVALID,
}
_DATE_TEXT = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?",
    re.ASCII,
)
_DATE_DIGITS = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_CJK_RANGES = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NOT_CJK = re.compile(f"[^{_CJK_RANGES}]+")
_NOT_ASCII_NOR_CJK = re.compile(f"[^\\x00-\\x7f{_CJK_RANGES}]")
_EXACT_FLOAT_LIMIT = 1e15  # integral floats below this hold every digit exactly
_MIN_DATE = date(1900, 1, 1)

_BAD = object()  # a date cell that is not a date


def to_date(value: object) -> date | None | object:
    """A date from an Excel date cell or text like 2030-01-31, 2030/1/31, 20300131;
    None for a blank cell; ``_BAD`` for anything else."""
    t = type(value)
    if t is date:
        return value
    if t is datetime:
        return value.date()
    if t is str:
        text = normalise_text(value)
        if not text:
            return None
        m = _DATE_TEXT.fullmatch(text) or _DATE_DIGITS.fullmatch(text)
    elif t is float or t is int:
        m = _DATE_DIGITS.fullmatch(normalise_text(value))
    else:
        return None if value is None else _BAD
    if m is None:
        return _BAD
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return _BAD


def count_cjk(text: str) -> int:
    """Number of CJK ideographs in ``text``."""
    if _NOT_ASCII_NOR_CJK.search(text) is None:  # the usual address: ideographs and ASCII
        return len(text) - len(text.encode("ascii", "ignore"))
    return len(_NOT_CJK.sub("", text))


def _text(value: object) -> str:
    """Surrounding blanks trimmed; anything but a string normalised (numbers, dates)."""
    if value == "":
        return ""
    return value.strip() if type(value) is str else normalise_text(value)


def _date(value: object) -> date | None | object:
    t = type(value)
    if t is date:
        return value
    return None if value == "" else to_date(value)


class RowChecker:
    """The per-row rules; ``today`` fixes what counts as future or expired."""

    def __init__(self, today: date):
        self.today = today

    def check(
        self, row: int, cells: list, mobile_formula: str | None
    ) -> tuple[ImportedRow | None, list[CellError], str | None, str | None, str]:
        """(member or None, errors, ID key, mobile key, name) for one non-blank row.

        The keys are the normalised ID number and mobile when they are well formed (else
        None): the engine checks them for duplicates in the file and in the database.
        """
        today = self.today
        errors: list[CellError] = []
        err = errors.append

        name = cells[1]
        name = name.strip() if type(name) is str else normalise_text(name)
        if not name:
            err(CellError(row, "B", "姓名", msg.NAME_REQUIRED))
        elif len(name) > 100:
            err(CellError(row, "B", "姓名", msg.NAME_TOO_LONG))

        # 证件类型: blank means 身份证
        id_type = cells[2]
        type_given = type_known = True
        if id_type != RESIDENT_ID:
            if id_type == "" or not normalise_text(id_type):
                id_type, type_given = RESIDENT_ID, False
            else:
                id_type = normalise_id_type(id_type) or ""
                if not id_type:
                    type_known = False
                    err(CellError(row, "C", "证件类型", msg.ID_TYPE_INVALID))

        # 证件号码: a float from Excel keeps only 15 significant digits
        id_number = cells[3]
        lossy = False
        if type(id_number) is str:
            if not (len(id_number) == 18 and id_number.isalnum() and id_number.isascii()):
                id_number = normalise_id_number(id_number)
            elif id_number[17] == "x":
                id_number = id_number[:17] + "X"
        else:
            if isinstance(id_number, float):
                lossy = not id_number.is_integer() or abs(id_number) >= _EXACT_FLOAT_LIMIT
            id_number = normalise_id_number(id_number)

        country = _text(cells[5])
        if len(country) > 50:
            err(CellError(row, "F", "国家/地区", msg.COUNTRY_TOO_LONG))
        gender = _text(cells[6])
        gender_ok = not gender or gender in GENDERS
        if not gender_ok:
            err(CellError(row, "G", "性别", msg.GENDER_INVALID))
        birth = _date(cells[7])
        if birth is _BAD:
            err(CellError(row, "H", "出生日期", msg.BIRTH_DATE_FORMAT))
        elif birth is not None and not (_MIN_DATE <= birth <= today):
            err(CellError(row, "H", "出生日期", msg.BIRTH_DATE_FUTURE))

        id_key = None
        if id_type == RESIDENT_ID:
            facts = None
            if not id_number:
                err(CellError(row, "D", "证件号码", msg.ID_NUMBER_REQUIRED))
            elif lossy:
                err(CellError(row, "D", "证件号码", msg.ID_LENGTH))
            else:
                try:
                    facts = resident_id_facts(id_number, today)
                except InvalidIdNumber as exc:
                    err(CellError(row, "D", "证件号码", _ID_REASON_MESSAGES[exc.reason]))
            if facts is not None:
                id_key = id_number
                if gender and gender_ok and gender != facts[1]:
                    err(CellError(row, "G", "性别", msg.GENDER_MISMATCH))
                if birth is not None and birth is not _BAD and birth != facts[0]:
                    err(CellError(row, "H", "出生日期", msg.BIRTH_DATE_MISMATCH))
                birth, gender = facts
                country = country or DEFAULT_COUNTRY
            elif id_number:
                _non_resident_required(row, err, country, type_given, birth)
        elif type_known:
            if not id_number:
                err(CellError(row, "D", "证件号码", msg.ID_NUMBER_REQUIRED))
            elif lossy:
                err(CellError(row, "D", "证件号码", msg.ID_NUMBER_AS_NUMBER))
            elif len(id_number) > 30:
                err(CellError(row, "D", "证件号码", msg.ID_NUMBER_TOO_LONG))
            else:
                id_number = id_number.upper()
                id_key = id_number
            _non_resident_required(row, err, country, True, birth)
            if not gender:
                err(CellError(row, "G", "性别", msg.GENDER_REQUIRED))

        expiry = cells[4]
        if expiry == "":
            expiry = None
        else:
            expiry = None if _text(expiry) in LONG_TERM else to_date(expiry)
            if expiry is _BAD:
                err(CellError(row, "E", "证件到期日", msg.EXPIRY_FORMAT))
            elif expiry is not None and expiry < today:
                err(CellError(row, "E", "证件到期日", msg.EXPIRED))

        mobile_key = None
        if mobile_formula is not None:
            mobile = ""
            err(CellError(row, "I", "手机号码", msg.mobile_formula(mobile_formula)))
        else:
            mobile = cells[8]
            if not (type(mobile) is str and len(mobile) == 11 and mobile.isascii()):
                mobile = normalise_text(mobile)
                if " " in mobile:
                    mobile = mobile.replace(" ", "")
            if (
                len(mobile) == 11
                and mobile.isdigit()
                and mobile.isascii()
                and mobile[0] == "1"
                and mobile[1] in "3456789"
            ):
                mobile_key = mobile  # is_valid_mobile, inline
            elif not mobile:
                err(CellError(row, "I", "手机号码", msg.MOBILE_REQUIRED))
            else:
                err(CellError(row, "I", "手机号码", msg.mobile_invalid(mobile)))

        wants_card = cells[11]
        if wants_card == YES:
            wants_card = True
        elif wants_card == "" or wants_card == NO:
            wants_card = False
        else:
            text = normalise_text(wants_card)
            wants_card = text == YES
            if text not in (YES, NO, ""):
                err(CellError(row, "L", "是否办理会员服务卡", msg.WANTS_CARD_INVALID))

        address = cells[9]
        if address != "":
            address = normalise_text(address)
        if wants_card:
            if len(address) > 20 or count_cjk(address) < 6:
                err(CellError(row, "J", "工作单位详细地址", msg.ADDRESS_INVALID))
        elif len(address) > 100:
            err(CellError(row, "J", "工作单位详细地址", msg.ADDRESS_TOO_LONG))

        join = _date(cells[10])
        if join is _BAD:
            err(CellError(row, "K", "入会时间", msg.JOIN_DATE_FORMAT))
        elif join is not None and join > today:
            err(CellError(row, "K", "入会时间", msg.JOIN_DATE_FUTURE))

        remark = _text(cells[12])
        if len(remark) > 200:
            err(CellError(row, "M", "备注", msg.REMARK_TOO_LONG))

        if errors:
            return None, errors, id_key, mobile_key, name
        member = ImportedRow(
            row, name, id_type, id_number, expiry, country, gender, birth, mobile,
            address, join, wants_card, remark,
        )  # fmt: skip
        return member, errors, id_key, mobile_key, name


def _non_resident_required(row: int, err, country: str, type_given: bool, birth) -> None:
    """An invalid resident ID or another ID type: the fields the ID cannot supply."""
    if not country:
        err(CellError(row, "F", "国家/地区", msg.COUNTRY_REQUIRED))
    if not type_given:
        err(CellError(row, "C", "证件类型", msg.ID_TYPE_REQUIRED))
    if birth is None:
        err(CellError(row, "H", "出生日期", msg.BIRTH_DATE_REQUIRED))
