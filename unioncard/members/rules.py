"""Member data rules shared by the registry, the import and the mini-program."""

from __future__ import annotations

from datetime import date

from ..errors import InvalidTransition, ValidationFailed
from ..imports import messages as msg
from .idcard import (
    ID_TYPES,
    RESIDENT_ID,
    InvalidIdNumber,
    is_valid_mobile,
    normalise_id_number,
    normalise_id_type,
    normalise_text,
    parse_resident_id,
)
from .models import MemberStatus

# The seed's wording (seed 004), kept once in imports/messages.py for every form and file.
ID_MESSAGES = {
    "length": msg.ID_LENGTH,
    "letter_o": msg.ID_LETTER_O,
    "checksum": msg.ID_INVALID,
    "birth_date": msg.ID_INVALID,
}

# The member status machine: which status may follow which.
STATUS_TRANSITIONS: dict[MemberStatus, frozenset[MemberStatus]] = {
    MemberStatus.UNREVIEWED: frozenset({MemberStatus.ACTIVE}),
    MemberStatus.ACTIVE: frozenset(
        {MemberStatus.TRANSFERRING, MemberStatus.RETIRED, MemberStatus.LEFT, MemberStatus.DECEASED}
    ),
    MemberStatus.TRANSFERRING: frozenset({MemberStatus.ACTIVE, MemberStatus.LEFT}),
    MemberStatus.RETIRED: frozenset({MemberStatus.ACTIVE}),
    MemberStatus.LEFT: frozenset({MemberStatus.ACTIVE}),
    MemberStatus.DECEASED: frozenset(),
}


def next_status(current: MemberStatus, target: MemberStatus) -> MemberStatus:
    """The one transition function of member status; raises on a duplicate or invalid change."""
    if current == target:
        raise InvalidTransition(f"会员状态已是「{current.value}」，无需变更")
    if target not in STATUS_TRANSITIONS[current]:
        raise InvalidTransition(f"会员状态不能从「{current.value}」变更为「{target.value}」")
    return target


def clean_identity(data: dict, *, today: date | None = None) -> dict:
    """Normalise and check ID type, number, gender, birth date and country.

    For a 身份证 the gender and birth date come from the number; for any other ID type they
    are required, with the country/region.
    """
    out = dict(data)
    errors: dict[str, list[str]] = {}
    id_type = normalise_id_type(out.get("id_type") or RESIDENT_ID)
    if id_type is None:
        errors["id_type"] = ["证件类型填写错误，请填写：" + "、".join(ID_TYPES)]
    out["id_type"] = id_type
    number = normalise_id_number(out.get("id_number"))
    out["id_number"] = number
    if not number:
        errors["id_number"] = ["请填写证件号码"]
    elif id_type == RESIDENT_ID:
        try:
            rid = parse_resident_id(number, today=today)
        except InvalidIdNumber as exc:
            errors["id_number"] = [ID_MESSAGES[exc.reason]]
        else:
            if out.get("gender") and out["gender"] != rid.gender:
                errors["gender"] = ["性别与身份证号码不一致！"]
            if out.get("birth_date") and out["birth_date"] != rid.birth_date:
                errors["birth_date"] = ["出生日期与身份证号码不一致！"]
            out["gender"], out["birth_date"] = rid.gender, rid.birth_date
            out["country"] = normalise_text(out.get("country")) or "中国"
    elif id_type is not None:
        if not normalise_text(out.get("country")):
            errors["country"] = ["证件号码无效或者为非居民身份证时，国家/地区必填！"]
        if not out.get("birth_date"):
            errors["birth_date"] = ["证件号码无效或者为非居民身份证时，出生日期必填！"]
        if out.get("gender") not in ("男", "女"):
            errors["gender"] = ["非居民身份证时，性别必填！"]
        out["country"] = normalise_text(out.get("country"))
    if errors:
        raise ValidationFailed("会员信息有误，请按提示修改", errors)
    return out


def clean_mobile(value) -> str:
    mobile = normalise_text(value).replace(" ", "")
    if not is_valid_mobile(mobile):
        raise ValidationFailed(
            f"手机号码：{mobile}为无效手机号，请填写长度为11位数字的有效手机号码。",
            {"mobile": ["请填写长度为11位数字的有效手机号码"]},
        )
    return mobile
