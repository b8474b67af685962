"""After issue: the union hands cards out (已发放) within 5 working days; the card log."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict
from ..extensions import db
from ..members.idcard import today_in_china
from ..members.models import Member
from ..models_base import utcnow
from ..workdays import add_workdays
from .log import move
from .models import CardLogEntry, CardStatus, MemberCard
from .pending import card_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def hand_out(scope: Scope, member_id: int, *, ip=None) -> MemberCard:
    scope.require("member.write")
    member = scope.get(Member, member_id, message="未找到该会员，或不在您的管辖范围内")
    card = card_of(member)
    if card.status != CardStatus.DELIVERED:
        raise Conflict(f"办理状态为「{card.status.value}」，卡片送达单位后才能登记发放")
    move(card, CardStatus.HANDED_OUT, scope.account_name, "单位已将卡片发给会员")
    card.handed_out_at = utcnow()
    audit.record(scope, "card.hand_out", target_type="member", target_ids=[member.id], ip=ip)
    return card


def overdue(scope: Scope, *, today=None):
    """Cards delivered to the union and not handed out within the working-day limit."""
    today = today or today_in_china()
    limit = current_app.config["CARD_HANDOUT_WORKING_DAYS"]
    # the latest delivery day that is already overdue today, found by walking back
    day = today
    while add_workdays(day, limit) >= today:
        day -= timedelta(days=1)
    cutoff = datetime.combine(day + timedelta(days=1), time.min, SHANGHAI).astimezone(UTC)
    return (
        select(Member, MemberCard)
        .join(MemberCard, MemberCard.member_id == Member.id)
        .where(
            scope.owned_by(Member.org_id),
            MemberCard.status == CardStatus.DELIVERED,
            MemberCard.delivered_at < cutoff,
        )
        .order_by(MemberCard.delivered_at)
    )


def card_log(scope: Scope, member_id: int) -> list[CardLogEntry]:
    member = scope.get(Member, member_id, message="未找到该会员，或不在您的管辖范围内")
    return list(
        db.session.scalars(
            select(CardLogEntry)
            .where(CardLogEntry.member_id == member.id)
            .order_by(CardLogEntry.id)
        )
    )


def card_summary(member_id: int) -> MemberCard | None:
    return db.session.scalar(select(MemberCard).where(MemberCard.member_id == member_id))
