"""The member registry: list, detail, create, edit, status changes and audited reveals."""

from __future__ import annotations

import unicodedata
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..orgs.models import Org, OrgLevel, in_subtree
from ..security.crypto import blind_index
from . import numbers
from .idcard import free_text, normalise_id_number, normalise_text
from .models import Member, MemberSource, MemberStatus, MemberStatusChange
from .rules import clean_identity, clean_mobile, next_status
from .search import name_matches

EDITABLE = (
    "name",
    "id_type",
    "id_number",
    "id_expiry",
    "country",
    "gender",
    "birth_date",
    "mobile",
    "work_address",
    "join_date",
    "source",
    "remark",
    "wants_card",
    "insurance_status",
    "social_card_status",
    "employment_status",
)
REVEALABLE = ("id_number", "mobile")


def list_members(scope: Scope, f: dict):
    """The seeds' filters: name, 证件号码 (exact), 手机 (exact), 地址, 性别, 状态, 来源, 编号, 入会时间."""
    stmt = select(Member).where(scope.owned_by(Member.org_id))
    if f.get("org_id"):
        org = scope.get_org(f["org_id"])
        stmt = stmt.where(in_subtree(Member.org_id, org.id, org.path, org.level))
    if f.get("name"):
        stmt = stmt.where(name_matches(f["name"]))
    if f.get("id_number"):
        stmt = stmt.where(
            Member.id_number_bidx == blind_index("id_number", normalise_id_number(f["id_number"]))
        )
    if f.get("mobile"):
        stmt = stmt.where(Member.mobile_bidx == blind_index("mobile", normalise_text(f["mobile"])))
    if f.get("member_no"):
        stmt = stmt.where(Member.member_no.startswith(f["member_no"], autoescape=True))
    if f.get("address"):
        stmt = stmt.where(Member.work_address.contains(f["address"], autoescape=True))
    for key in ("gender", "status", "source", "id_type"):
        if f.get(key):
            stmt = stmt.where(getattr(Member, key) == f[key])
    if f.get("joined_from"):
        stmt = stmt.where(Member.join_date >= f["joined_from"])
    if f.get("joined_to"):
        stmt = stmt.where(Member.join_date <= f["joined_to"])
    if f.get("has_member_no") is not None:
        col = Member.member_no
        stmt = stmt.where(col.is_not(None) if f["has_member_no"] else col.is_(None))
    # the page's orgs in one statement, not one per row (org_name in every row)
    return stmt.order_by(Member.id.desc()).options(_with_org())


@cache
def _with_org():
    """The loader option, built once (options are immutable)."""
    return joinedload(Member.org, innerjoin=True)


def get_member(scope: Scope, member_id: int) -> Member:
    return scope.get(Member, member_id, message="未找到该会员，或不在您的管辖范围内")


def _check_unique(scope: Scope, member_id, id_bidx=None, mobile_bidx=None) -> None:
    if id_bidx:
        other = db.session.scalar(select(Member).where(Member.id_number_bidx == id_bidx))
        if other is not None and other.id != member_id:
            if scope.contains_path(other.org.path):
                message = f"该证件号码在【{other.org.name}】中已存在！"
            else:  # do not name a union outside the caller's scope
                message = "该会员身份证已存在于其他工会"
            raise Conflict(message, {"id_number": [message]})
    if mobile_bidx:
        other_id = db.session.scalar(select(Member.id).where(Member.mobile_bidx == mobile_bidx))
        if other_id is not None and other_id != member_id:
            raise Conflict("该手机号码已被其他会员使用，请核对！", {"mobile": ["手机号码已被使用"]})


IDENTITY = frozenset({"id_type", "id_number", "gender", "birth_date", "country"})


def _clean(data: dict) -> dict:
    out = clean_identity(data) if IDENTITY & data.keys() else dict(data)
    if out.get("mobile"):
        out["mobile"] = clean_mobile(out["mobile"])
    if "name" in out:
        out["name"] = normalise_text(out["name"])
        if not out["name"]:
            raise ValidationFailed("姓名不能为空！", {"name": ["姓名不能为空！"]})
    if out.get("work_address"):
        out["work_address"] = free_text(out["work_address"])
    return out


def activate(member: Member, org: Org) -> None:
    """Give the member a number when they become active (正常)."""
    if member.member_no is None:
        member.member_no = numbers.allocate(numbers.district_code_of(org), 1)[0]


def create_member(scope: Scope, data: dict, *, ip=None) -> Member:
    scope.require("member.write")
    org = scope.get_org(data.pop("org_id", None) or scope.org_id)
    if org.level != OrgLevel.GRASSROOTS:
        raise ValidationFailed("会员须登记在基层工会下", {"org_id": ["请选择基层工会"]})
    clean = _clean(data)
    id_bidx = blind_index("id_number", clean["id_number"])
    mobile_bidx = blind_index("mobile", clean["mobile"]) if clean.get("mobile") else None
    _check_unique(scope, None, id_bidx, mobile_bidx)
    member = Member(
        org_id=org.id,
        status=MemberStatus.ACTIVE,
        source=MemberSource(clean.pop("source", None) or MemberSource.ENTERPRISE),
        id_number_bidx=id_bidx,
        mobile_bidx=mobile_bidx,
        **clean,
    )
    db.session.add(member)
    activate(member, org)
    db.session.flush()
    audit.record(
        scope,
        "member.create",
        target_type="member",
        target_ids=[member.id],
        changes=audit.changes_between({}, {k: getattr(member, k) for k in clean}),
        ip=ip,
    )
    return member


def update_member(scope: Scope, member_id: int, data: dict, *, ip=None) -> Member:
    member = get_member(scope, member_id)
    identity_keys = IDENTITY
    merged = dict(data)
    if identity_keys & data.keys():
        for key in identity_keys:
            merged.setdefault(key, getattr(member, key))
        if "id_type" in data or "id_number" in data:
            # gender/birth come from a new resident ID; do not let the old ones contradict it
            for key in ("gender", "birth_date"):
                if key not in data:
                    merged.pop(key, None)
    clean = _clean(merged)
    changes = {k: v for k, v in clean.items() if k in data or k in identity_keys & clean.keys()}
    id_bidx = blind_index("id_number", changes["id_number"]) if "id_number" in changes else None
    mobile_bidx = blind_index("mobile", changes["mobile"]) if changes.get("mobile") else None
    _check_unique(scope, member.id, id_bidx, mobile_bidx)
    before = {k: getattr(member, k) for k in changes}
    for key, value in changes.items():
        setattr(member, key, value)
    if id_bidx:
        member.id_number_bidx = id_bidx
    if "mobile" in changes:
        member.mobile_bidx = mobile_bidx
    diff = audit.changes_between(before, changes)
    if diff:
        audit.record(
            scope,
            "member.update",
            target_type="member",
            target_ids=[member.id],
            changes=diff,
            ip=ip,
        )
    return member


def apply_status(
    scope: Scope, member: Member, target: MemberStatus, reason: str, *, at=None
) -> MemberStatus:
    """Move a member through the status machine and keep the change row; returns the old
    status. The caller checks the scope and writes the audit record."""
    old = member.status
    member.status = next_status(old, MemberStatus(target))
    member.status_changed_at = at or utcnow()
    if member.status == MemberStatus.ACTIVE:
        activate(member, member.org)
    db.session.add(
        MemberStatusChange(
            member_id=member.id,
            from_status=old.value,
            to_status=member.status.value,
            reason=reason,
            actor_id=scope.account_id,
            actor_name=scope.account_name,
            at=member.status_changed_at,
        )
    )
    return old


def change_status(scope: Scope, member_id: int, target: str, reason: str, *, ip=None) -> Member:
    member = get_member(scope, member_id)
    reason = free_text(reason)
    if not reason:
        raise ValidationFailed("请填写变更原因", {"reason": ["请填写变更原因"]})
    old = apply_status(scope, member, MemberStatus(target), reason)
    audit.record(
        scope,
        "member.status",
        target_type="member",
        target_ids=[member.id],
        changes={"status": [old.value, member.status.value]},
        detail={"reason": reason},
        ip=ip,
    )
    return member


def status_history(scope: Scope, member_id: int) -> list[MemberStatusChange]:
    member = get_member(scope, member_id)
    return list(
        db.session.scalars(
            select(MemberStatusChange)
            .where(MemberStatusChange.member_id == member.id)
            .order_by(MemberStatusChange.id)
        )
    )


REVEAL_REASON_MIN = 2


def visible_length(text: str) -> int:
    """Characters a person can see: no blanks, control or format characters (\\u0000, ZWSP)."""
    return sum(1 for c in text if not c.isspace() and unicodedata.category(c)[0] not in "CZ")


def reveal(scope: Scope, member_id: int, fields: list[str], reason: str, *, ip=None) -> dict:
    """Show personal numbers in full to an authorised role; every reveal is audited."""
    scope.require("member.reveal")
    reason = free_text(reason)
    if visible_length(reason) < REVEAL_REASON_MIN:
        text = f"请填写查看原因，至少 {REVEAL_REASON_MIN} 个文字（将记录在审计日志中）"
        raise ValidationFailed(text, {"reason": [text]})
    bad = [f for f in fields if f not in REVEALABLE]
    if bad or not fields:
        raise ValidationFailed(
            "只能查看证件号码或手机号码", {"fields": ["可选：id_number、mobile"]}
        )
    member = get_member(scope, member_id)
    audit.record(
        scope,
        "member.reveal",
        target_type="member",
        target_ids=[member.id],
        detail={"fields": fields, "reason": reason},
        ip=ip,
    )
    return {"id": member.id, **{f: getattr(member, f) for f in fields}}
