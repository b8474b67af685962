"""卡片信息管理 and 待办会员列表: choosing members, the two channels, fixing data."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import func, or_, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..members.idcard import ID_TYPES, normalise_id_number, normalise_text, today_in_china
from ..members.models import Member, MemberSource, MemberStatus
from ..members.search import name_matches
from ..models_base import utcnow
from ..security.crypto import blind_index
from .log import log, move
from .models import CardBatch, CardStatus, Channel, MemberCard, RevocationStatus, Verification
from .rules import choose_channel

SELECTABLE = (CardStatus.NONE, CardStatus.FAILED)


def card_info(scope: Scope, f: dict):
    """Members of related enterprises (企业内, 正常) with their card: rows of (Member, card)."""
    stmt = (
        select(Member, MemberCard)
        .outerjoin(MemberCard, MemberCard.member_id == Member.id)
        .where(
            scope.owned_by(Member.org_id),
            Member.status == MemberStatus.ACTIVE,
            Member.source == MemberSource.ENTERPRISE,
        )
    )
    if f.get("org_id"):
        stmt = stmt.where(Member.org_id == scope.get_org(f["org_id"]).id)
    if f.get("name"):
        stmt = stmt.where(name_matches(f["name"]))
    if f.get("id_number"):
        bidx = blind_index("id_number", normalise_id_number(f["id_number"]))
        stmt = stmt.where(Member.id_number_bidx == bidx)
    if f.get("address"):
        stmt = stmt.where(Member.work_address.contains(f["address"], autoescape=True))
    if f.get("gender"):
        stmt = stmt.where(Member.gender == f["gender"])
    if f.get("card_status"):
        status = CardStatus(f["card_status"])
        cond = MemberCard.status == status
        stmt = stmt.where(or_(cond, MemberCard.id.is_(None)) if status == CardStatus.NONE else cond)
    if f.get("channel"):
        stmt = stmt.where(MemberCard.channel == Channel(f["channel"]))
    if f.get("applied_from"):
        stmt = stmt.where(MemberCard.applied_at >= f["applied_from"])
    if f.get("applied_to"):
        stmt = stmt.where(MemberCard.applied_at <= f["applied_to"])
    if f.get("card_status") == CardStatus.DELIVERED.value:
        # cards to hand out: the longest waiting (the overdue ones) first
        return stmt.order_by(MemberCard.delivered_at, Member.id)
    # numbered members by number, then the unnumbered by id: NULLS LAST walks the index on
    # member_no (a sort on "member_no IS NULL" would sort a whole city's members first)
    return stmt.order_by(Member.member_no.asc().nulls_last(), Member.id)


def card_of(member: Member) -> MemberCard:
    card = db.session.scalar(select(MemberCard).where(MemberCard.member_id == member.id))
    if card is None:
        card = MemberCard(
            member_id=member.id,
            org_id=member.org_id,
            status=CardStatus.NONE,
            channel=Channel.NORMAL,
            verification=Verification.UNCHECKED,
        )
        db.session.add(card)
        db.session.flush()
    return card


def refusal(member: Member, card: MemberCard | None) -> str | None:
    """Why this member cannot be added to the pending list (the seed's two cases, and more)."""
    if member.member_no is None:
        return "会员编号尚未生成，请等待编号生成后再添加"
    if member.status != MemberStatus.ACTIVE:
        return f"会员状态为「{member.status.value}」，不能办卡"
    status = card.status if card else CardStatus.NONE
    if status == CardStatus.IN_PROGRESS and card.batch_id:
        return _waiting_for_bank(db.session.get(CardBatch, card.batch_id))
    if status not in SELECTABLE:
        return f"办理状态为「{status.value}」，无需添加"
    return None


def _waiting_for_bank(batch: CardBatch) -> str:
    """Why a member of a batch at the bank cannot be added again (and until when)."""
    if batch.revocation == RevocationStatus.REJECTED:
        return (
            f"所在批次 {batch.batch_no} 的撤销申请未通过，批次照常办理，"
            "该会员正在等待银行的办卡结果，无需添加"
        )
    if batch.revocation == RevocationStatus.REVIEWING:
        return f"所在批次 {batch.batch_no} 正在申请撤销（审核中），请等待审核结果，无需添加"
    if batch.revocation == RevocationStatus.APPROVED:
        return f"所在批次 {batch.batch_no} 的撤销已获批准，正在等待银行确认撤销，确认后即可重新添加"
    return f"已随批次 {batch.batch_no} 提交办卡，正在等待银行的办卡结果，无需添加"


def _add(scope: Scope, member: Member, card: MemberCard | None) -> MemberCard:
    card = card or card_of(member)
    cfg = current_app.config
    channel, reason = choose_channel(
        member.id_type,
        member.name,
        charset=cfg["CARD_NAME_CHARSET"],
        max_length=cfg["CARD_NAME_MAX_LENGTH"],
        current=(card.channel, card.channel_reason),
    )
    detail = f"{channel.value}通道" + (f"（{reason}）" if reason else "")
    move(card, CardStatus.PENDING, scope.account_name, detail)
    card.channel, card.channel_reason = channel, reason
    card.verification, card.verification_reasons = Verification.UNCHECKED, []
    card.info_complete = False
    card.pending_since = card.applied_at = utcnow()
    card.failure_code = card.failure_reason = None
    return card


def add_to_pending(
    scope: Scope, member_ids: list[int] | None, *, org_id: int | None = None, ip=None
) -> dict:
    """Add the selected members, or (``member_ids`` None) every selectable one of a union."""
    scope.require("member.write")
    stmt = (
        select(Member, MemberCard)
        .outerjoin(MemberCard, MemberCard.member_id == Member.id)
        .where(scope.owned_by(Member.org_id))
    )
    if member_ids is not None:
        if not member_ids:
            raise ValidationFailed("请勾选要添加的会员", {"member_ids": ["请至少选择一名会员"]})
        stmt = stmt.where(Member.id.in_(member_ids))
    else:
        org = scope.get_org(org_id or scope.org_id)
        stmt = stmt.where(
            Member.org_id == org.id,
            Member.status == MemberStatus.ACTIVE,
            Member.source == MemberSource.ENTERPRISE,
            Member.member_no.is_not(None),
            or_(MemberCard.id.is_(None), MemberCard.status.in_(SELECTABLE)),
        )
    rows = db.session.execute(stmt.with_for_update(of=Member)).all()
    found = {member.id for member, _ in rows}
    refused = [
        {"member_id": mid, "name": None, "reason": "未找到该会员，或不在您的管辖范围内"}
        for mid in (member_ids or [])
        if mid not in found
    ]
    added = []
    for member, card in rows:
        reason = refusal(member, card)
        if reason:
            refused.append({"member_id": member.id, "name": member.name, "reason": reason})
            continue
        added.append(_add(scope, member, card).member_id)
    if added:
        audit.record(scope, "card.pending_add", target_type="member", target_ids=added, ip=ip)
    return {"added": len(added), "refused": refused}


def pending(scope: Scope, f: dict):
    # the card's own org_id (a member never changes union): the (org_id, status) index of
    # member_card finds the pending cards, rather than every member of the union
    stmt = (
        select(Member, MemberCard)
        .join(MemberCard, MemberCard.member_id == Member.id)
        .where(scope.owned_by(MemberCard.org_id), MemberCard.status == CardStatus.PENDING)
    )
    if f.get("org_id"):
        stmt = stmt.where(MemberCard.org_id == scope.get_org(f["org_id"]).id)
    if f.get("channel"):
        stmt = stmt.where(MemberCard.channel == Channel(f["channel"]))
    if f.get("verification"):
        stmt = stmt.where(MemberCard.verification == Verification(f["verification"]))
    if f.get("info_complete") is not None:
        stmt = stmt.where(MemberCard.info_complete == f["info_complete"])
    if f.get("name"):
        stmt = stmt.where(name_matches(f["name"]))
    if f.get("id_number"):
        bidx = blind_index("id_number", normalise_id_number(f["id_number"]))
        stmt = stmt.where(Member.id_number_bidx == bidx)
    return stmt.order_by(MemberCard.pending_since, Member.id)


def summary(scope: Scope, org_id: int | None) -> dict:
    """The counts above each channel's list (待办会员共 N 人；校验通过 …；未通过 …)."""
    org = scope.get_org(org_id or scope.org_id)
    rows = db.session.execute(
        select(MemberCard.channel, MemberCard.verification, MemberCard.info_complete, func.count())
        .where(MemberCard.org_id == org.id, MemberCard.status == CardStatus.PENDING)
        .group_by(MemberCard.channel, MemberCard.verification, MemberCard.info_complete)
    ).all()
    out = {
        "org_id": org.id,
        "normal": {"total": 0, "passed": 0, "failed": 0, "unchecked": 0, "checking": 0},
        "special": {"total": 0, "complete": 0, "incomplete": 0},
    }
    keys = {
        Verification.PASSED: "passed",
        Verification.FAILED: "failed",
        Verification.UNCHECKED: "unchecked",
        Verification.CHECKING: "checking",
    }
    for channel, verification, complete, count in rows:
        if channel == Channel.NORMAL:
            out["normal"]["total"] += count
            out["normal"][keys[verification]] += count
        else:
            out["special"]["total"] += count
            out["special"]["complete" if complete else "incomplete"] += count
    return out


def _pending_card(scope: Scope, member_id: int) -> tuple[Member, MemberCard]:
    member = scope.get(Member, member_id, message="未找到该会员，或不在您的管辖范围内")
    card = db.session.scalar(
        select(MemberCard).where(MemberCard.member_id == member.id).with_for_update()
    )
    if card is None or card.status != CardStatus.PENDING:
        raise Conflict("该会员不在待办会员列表中")
    return member, card


def set_id_expiry(scope: Scope, member_id: int, expiry, *, ip=None) -> MemberCard:
    """修改证件到期日: the member's data changes, so the check must run again."""
    member, card = _pending_card(scope, member_id)
    if expiry <= today_in_china():
        raise ValidationFailed(
            "证件到期日须晚于今天", {"id_expiry": ["证件已过期，请核对证件到期日"]}
        )
    before = member.id_expiry
    member.id_expiry = expiry
    card.verification, card.verification_reasons = Verification.UNCHECKED, []

    log(card, scope.account_name, "修改证件到期日", f"{before or '未填写'} → {expiry}")
    audit.record(
        scope,
        "card.id_expiry",
        target_type="member",
        target_ids=[member.id],
        changes={"id_expiry": [str(before) if before else None, str(expiry)]},
        ip=ip,
    )
    return card


def remove(scope: Scope, member_id: int, *, ip=None) -> MemberCard:
    _member, card = _pending_card(scope, member_id)
    move(card, CardStatus.NONE, scope.account_name)
    card.pending_since = None
    audit.record(scope, "card.pending_remove", target_type="member", target_ids=[member_id], ip=ip)
    return card


def remove_unready(scope: Scope, org_id: int | None, channel: str, *, ip=None) -> int:
    """移除全部校验未通过及未校验会员 (普通) / 移除全部信息未完善会员 (特殊)."""
    org = scope.get_org(org_id or scope.org_id)
    ch = Channel(channel)
    unready = (
        MemberCard.verification.in_([Verification.FAILED, Verification.UNCHECKED])
        if ch == Channel.NORMAL
        else MemberCard.info_complete.is_(False)
    )
    cards = db.session.scalars(
        select(MemberCard)
        .join(Member, Member.id == MemberCard.member_id)
        .where(
            Member.org_id == org.id,
            MemberCard.status == CardStatus.PENDING,
            MemberCard.channel == ch,
            MemberCard.individual.is_(False),
            unready,
        )
        .with_for_update(of=MemberCard)
    ).all()
    for card in cards:
        move(card, CardStatus.NONE, scope.account_name, "批量移除未就绪会员")
        card.pending_since = None
    if cards:
        audit.record(
            scope,
            "card.pending_remove",
            target_type="member",
            target_ids=[c.member_id for c in cards],
            ip=ip,
        )
    return len(cards)


def switch_channel(scope: Scope, member_id: int, channel: str, *, ip=None) -> MemberCard:
    member, card = _pending_card(scope, member_id)
    target = Channel(channel)
    if card.channel == target:
        raise Conflict(f"该会员已在{target.value}通道")
    if target == Channel.NORMAL and member.id_type != "身份证":
        raise ValidationFailed(
            "非身份证会员只能走特殊通道", {"channel": ["非身份证会员只能走特殊通道"]}
        )

    log(card, scope.account_name, "切换通道", f"{card.channel.value} → {target.value}")
    card.channel, card.channel_reason = target, "经办人切换"
    card.verification, card.verification_reasons, card.info_complete = (
        Verification.UNCHECKED,
        [],
        False,
    )
    audit.record(
        scope,
        "card.channel",
        target_type="member",
        target_ids=[member.id],
        changes={
            "channel": [
                (Channel.NORMAL if target == Channel.SPECIAL else Channel.SPECIAL).value,
                target.value,
            ]
        },
        ip=ip,
    )
    return card


def complete_info(scope: Scope, member_id: int, data: dict, *, ip=None) -> MemberCard:
    """完善信息 for the special channel: ID type, ID expiry, nationality."""
    member, card = _pending_card(scope, member_id)
    if card.channel != Channel.SPECIAL:
        raise Conflict("只有特殊通道的会员需要完善信息")
    if data["id_type"] not in ID_TYPES:
        raise ValidationFailed("证件类型填写错误", {"id_type": ["证件类型填写错误"]})
    if data["id_expiry"] <= today_in_china():
        raise ValidationFailed("证件到期日须晚于今天", {"id_expiry": ["证件已过期，请核对"]})
    country = normalise_text(data["country"])
    if not country:
        raise ValidationFailed("请填写国籍", {"country": ["请填写国籍"]})
    before = {"id_type": member.id_type, "id_expiry": member.id_expiry, "country": member.country}
    member.id_type, member.id_expiry, member.country = data["id_type"], data["id_expiry"], country
    card.info_complete = True

    log(
        card,
        scope.account_name,
        "完善信息",
        f"{data['id_type']}，到期日 {data['id_expiry']}，{country}",
    )
    audit.record(
        scope,
        "card.complete_info",
        target_type="member",
        target_ids=[member.id],
        changes=audit.changes_between(
            before, {"id_type": member.id_type, "id_expiry": member.id_expiry, "country": country}
        ),
        ip=ip,
    )
    return card


def retry_failed(scope: Scope, member_id: int, *, ip=None) -> MemberCard:
    """办卡失败 → 待办中 once the clerk has fixed what the bank complained about."""
    member = scope.get(Member, member_id, message="未找到该会员，或不在您的管辖范围内")
    card = card_of(member)
    if card.status != CardStatus.FAILED:
        raise Conflict(f"办理状态为「{card.status.value}」，只有办卡失败的会员可以重新办理")
    reason = refusal(member, card)
    if reason:
        raise Conflict(reason)
    _add(scope, member, card)
    audit.record(scope, "card.retry", target_type="member", target_ids=[member.id], ip=ip)
    return card
