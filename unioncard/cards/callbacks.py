"""The bank's callbacks: card results and card events, idempotent by their ids.

Results may arrive before our worker has recorded that the batch was sent, twice, or in
pieces; events may arrive before the result they follow or out of order. Each result and
event id is applied once (``BankReceipt``); an event for a card whose result has not
arrived is kept and applied when the result comes; an older event never moves a card back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..security.crypto import keyring
from ..security.masking import mask_card_no
from .log import BANK, log, move
from .models import (
    BankReceipt,
    BatchStatus,
    CardBatch,
    CardBatchMember,
    CardStatus,
    Channel,
    MemberCard,
)
from .rules import LIFECYCLE, is_behind

EVENT_TARGETS = {"produced": CardStatus.PRODUCED, "delivered": CardStatus.DELIVERED,
                 "activated": CardStatus.ACTIVATED}
NAME_CHARSET = "NAME_CHARSET"


def _when(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed("时间格式应为 ISO 8601") from None
    if moment.tzinfo is None:
        raise ValidationFailed("时间须带时区")
    return moment


def _seen(kind: str, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    return set(db.session.scalars(select(BankReceipt.external_id).where(
        BankReceipt.kind == kind, BankReceipt.external_id.in_(ids))))


def apply_results(body: dict) -> dict:
    batch = db.session.scalar(select(CardBatch).where(CardBatch.batch_no == body["batch_no"])
                              .with_for_update())
    if batch is None:
        raise NotFound("未知的批次号")
    feedback_at = _when(body.get("feedback_at"))
    results = body["results"]
    seen = _seen("result", [r["result_id"] for r in results])
    fresh = [r for r in results if r["result_id"] not in seen]
    counts = {"applied": 0, "duplicates": len(results) - len(fresh), "ignored": 0}
    if not fresh:
        return counts
    links = {link.member_no: link for link in db.session.scalars(select(CardBatchMember).where(
        CardBatchMember.batch_id == batch.id,
        CardBatchMember.member_no.in_([r["member_no"] for r in fresh])))}
    cards = {c.member_id: c for c in db.session.scalars(select(MemberCard).where(
        MemberCard.member_id.in_([link.member_id for link in links.values()])))}
    ring = keyring()
    issued = []
    for result in fresh:
        link = links.get(result["member_no"])
        applied = link is not None and link.result is None and batch.status != BatchStatus.REVOKED
        if applied:
            card = cards[link.member_id]
            _apply_result(batch, link, card, result, feedback_at, ring)
            if result["status"] == "success":
                issued.append(result["member_no"])
            counts["applied"] += 1
        else:
            counts["ignored"] += 1
        db.session.add(BankReceipt(kind="result", external_id=result["result_id"],
                                   member_no=result["member_no"], applied=applied,
                                   payload={k: v for k, v in result.items() if k != "card_no"}))
    if counts["applied"]:
        batch.feedback_at = batch.feedback_at or feedback_at
        if batch.status in (BatchStatus.QUEUED, BatchStatus.SENT, BatchStatus.REVOKING):
            batch.status = BatchStatus.ANSWERED
    db.session.flush()
    if issued:
        _apply_deferred_events(issued)
    return counts


def _apply_result(batch, link, card, result, feedback_at, ring) -> None:
    link.open_member_id = None
    link.result, link.answered_at, link.result_id = result["status"], feedback_at, result["result_id"]
    card.feedback_at = feedback_at
    if result["status"] == "success":
        card_no = str(result.get("card_no") or "").strip()
        if not card_no.isdigit():
            raise ValidationFailed(f"{result['member_no']} 的卡号无效")
        move(card, CardStatus.ISSUED, BANK, f"卡号 {mask_card_no(card_no)}",
             batch_id=batch.id, at=feedback_at)
        card.card_no, card.card_no_bidx = card_no, ring.blind_index("card_no", card_no)
        batch.success_count += 1
        return
    code, reason = result.get("reason_code") or "OTHER", result.get("reason") or "银行未说明原因"
    link.reason_code, link.reason = code, reason
    move(card, CardStatus.FAILED, BANK, f"{code}：{reason}", batch_id=batch.id, at=feedback_at)
    card.failure_code, card.failure_reason = code, reason
    batch.failure_count += 1
    if code == NAME_CHARSET and card.channel != Channel.SPECIAL:
        card.channel, card.channel_reason = Channel.SPECIAL, "银行反馈姓名含无法打印的字符"
        log(card, BANK, "转入特殊通道", reason, batch_id=batch.id)


def apply_events(body: dict) -> dict:
    events = body["events"]
    seen = _seen("event", [e["event_id"] for e in events])
    fresh = [e for e in events if e["event_id"] not in seen]
    counts = {"applied": 0, "duplicates": len(events) - len(fresh), "deferred": 0, "ignored": 0}
    cards = _cards_by_member_no([e["member_no"] for e in fresh])
    for event in fresh:
        outcome = _apply_event(cards.get(event["member_no"]), event)
        counts[outcome] += 1
        db.session.add(BankReceipt(kind="event", external_id=event["event_id"],
                                   member_no=event["member_no"], applied=outcome != "deferred",
                                   payload={k: v for k, v in event.items() if k != "card_no"}
                                   | {"card_no_bidx": keyring().blind_index("card_no",
                                                                            str(event["card_no"]))}))
    return counts


def _cards_by_member_no(member_nos: list[str]) -> dict[str, MemberCard]:
    from ..members.models import Member

    if not member_nos:
        return {}
    rows = db.session.execute(select(Member.member_no, MemberCard)
                              .join(MemberCard, MemberCard.member_id == Member.id)
                              .where(Member.member_no.in_(member_nos))).all()
    return dict(rows)


def _apply_event(card: MemberCard | None, event: dict) -> str:
    target = EVENT_TARGETS.get(event["type"])
    if card is None or target is None:
        return "ignored"
    if card.status not in LIFECYCLE:
        return "deferred" if card.status == CardStatus.IN_PROGRESS else "ignored"
    if card.card_no_bidx != keyring().blind_index("card_no", str(event["card_no"])):
        return "ignored"
    at = _when(event.get("at"))
    if is_behind(card.status, target):
        log(card, BANK, f"{target.value}（迟到的通知，状态不变）", None, at=at)
        return "applied"
    move(card, target, BANK, None, at=at)
    if target == CardStatus.DELIVERED:
        card.delivered_at = at
    elif target == CardStatus.ACTIVATED:
        card.activated_at = at
    return "applied"


def _apply_deferred_events(member_nos: list[str]) -> None:
    waiting = db.session.scalars(select(BankReceipt).where(
        BankReceipt.kind == "event", BankReceipt.applied.is_(False),
        BankReceipt.member_no.in_(member_nos))).all()
    if not waiting:
        return
    cards = _cards_by_member_no(member_nos)
    order = {"produced": 0, "delivered": 1, "activated": 2}
    for receipt in sorted(waiting, key=lambda r: order.get(r.payload.get("type"), 9)):
        card = cards.get(receipt.member_no)
        event = dict(receipt.payload)
        if card is None or card.card_no_bidx != event.get("card_no_bidx"):
            continue
        target = EVENT_TARGETS.get(event.get("type"))
        if target and not is_behind(card.status, target):
            move(card, target, BANK, "（先于办卡结果到达的通知）", at=_when(event.get("at")))
            if target == CardStatus.DELIVERED:
                card.delivered_at = _when(event.get("at"))
            elif target == CardStatus.ACTIVATED:
                card.activated_at = _when(event.get("at"))
        receipt.applied = True
