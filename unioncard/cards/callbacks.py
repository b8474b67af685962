"""The bank's callbacks: card results and card events, idempotent by their ids.

Results may arrive before our worker has recorded that the batch was sent, twice, or in
pieces; events may arrive before the result they follow or out of order. Each result and
event id is applied once (``BankReceipt``); an event for a card whose result has not
arrived is kept and applied when the result comes; an older event never moves a card back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, literal, select, update

from ..bulk import among, each_of
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..security.crypto import keyring
from ..security.masking import mask_card_no
from . import result_writes
from .log import BANK, entry, log, move, moved
from .models import (
    BankReceipt,
    BatchStatus,
    CardBatch,
    CardBatchMember,
    CardStatus,
    Channel,
    MemberCard,
)
from .result_writes import ResultWrites
from .rules import BANK_CHANNEL_REASON, LIFECYCLE, is_behind

EVENT_TARGETS = {
    "produced": CardStatus.PRODUCED,
    "delivered": CardStatus.DELIVERED,
    "activated": CardStatus.ACTIVATED,
}
NAME_CHARSET = "NAME_CHARSET"
# never kept in a receipt's payload: the card number, and the ids a bank may build from it
PRIVATE = frozenset({"card_no", "result_id", "event_id"})


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


def receipt_key(kind: str, bank_id: str, ring=None) -> str:
    """The bank's result or event id as we keep it: a keyed hash (banks may build their ids
    from card numbers; the sandbox's event ids do), so a receipt holds no personal data."""
    return receipt_keys(kind, [bank_id], ring)[0]


def receipt_keys(kind: str, bank_ids: list, ring=None) -> list[str]:
    """``receipt_key`` of each id, hashed in one pass (a callback carries thousands)."""
    return (ring or keyring()).blind_indexes(f"bank_{kind}", [str(i) for i in bank_ids])


def _seen(kind: str, ids: list[str]) -> set[str]:
    """The bank ids among ``ids`` already received."""
    return _seen_keys(kind, dict(zip(receipt_keys(kind, ids), ids, strict=True)))


def _seen_keys(kind: str, keys: dict[str, str]) -> set[str]:
    """The bank ids already received, given ``{receipt key: bank id}``."""
    if not keys:
        return set()
    stored = db.session.scalars(
        each_of(
            select(BankReceipt.external_id).where(BankReceipt.kind == kind),
            BankReceipt.external_id,
            list(keys),
        )
    )
    return {keys[k] for k in stored}


def apply_results(body: dict) -> dict:
    """Apply one callback of results in a few statements: the links with their cards read
    in one query, then every change written at once (``ResultWrites``; a callback carries up
    to 5,000 results). On PostgreSQL the write itself keeps each result applied once (a link
    is answered only while still open and unanswered under its row lock, a receipt key
    written once), so callbacks of one batch run side by side and wait for each other only
    to add to the batch's counts, at the end; elsewhere the batch row is locked first."""
    results = body["results"]
    ring = keyring()
    ids = [r["result_id"] for r in results]
    keys = dict(zip(ids, receipt_keys("result", ids, ring), strict=True))
    query = select(CardBatch).where(CardBatch.batch_no == body["batch_no"])
    batch = db.session.scalar(query if result_writes.guarded() else query.with_for_update())
    if batch is None:
        raise NotFound("未知的批次号")
    feedback_at = _when(body.get("feedback_at"))
    seen = _seen_keys("result", {key: bank_id for bank_id, key in keys.items()})
    fresh, taken = [], set(seen)  # a result id repeated in this callback: a duplicate too
    for r in results:
        if r["result_id"] not in taken:
            taken.add(r["result_id"])
            fresh.append(r)
    counts = {"applied": 0, "duplicates": len(results) - len(fresh), "ignored": 0}
    if not fresh:
        return counts
    links = {
        row.member_no: row
        for row in db.session.execute(
            each_of(
                select(
                    CardBatchMember.id,
                    CardBatchMember.member_no,
                    CardBatchMember.member_id,
                    CardBatchMember.result,
                    MemberCard.id.label("card_id"),
                    MemberCard.status,
                    MemberCard.channel,
                )
                .outerjoin(MemberCard, MemberCard.member_id == CardBatchMember.member_id)
                .where(CardBatchMember.batch_id == batch.id),
                CardBatchMember.member_no,
                {r["member_no"] for r in fresh},
            )
        )
    }
    revoked = batch.status == BatchStatus.REVOKED
    answered: set[int] = set()  # links answered by an earlier result of this callback
    writes = ResultWrites()
    for result in fresh:
        link = links.get(result["member_no"])
        row = {
            "key": keys[result["result_id"]],
            "member_no": result["member_no"],
            "applied": link is not None
            and link.result is None
            and link.id not in answered
            and not revoked,
            "payload": {k: v for k, v in result.items() if k not in PRIVATE},
        }
        if row["applied"]:
            answered.add(link.id)
            _apply_result(batch.id, link, result, row, feedback_at, writes)
        writes.rows.append(row)
    numbered = [row for row in writes.rows if "card_no" in row]
    bidx = ring.blind_indexes("card_no", [row["card_no"] for row in numbered])  # in one pass
    for row, value in zip(numbered, bidx, strict=True):
        row["bidx"] = value
    outcome = writes.execute(feedback_at)
    issued = [
        row["member_no"]
        for row in writes.rows
        if outcome.applied.get(row.get("link_id")) == "success"
    ]
    late = outcome.late  # results another callback received meanwhile
    counts["applied"] = len(outcome.applied)
    counts["duplicates"] += late
    counts["ignored"] = len(fresh) - late - len(outcome.applied)
    if issued:
        _apply_deferred_events(issued)
    if outcome.applied:
        _count_answers(batch, outcome.applied, feedback_at)
    return counts


def _count_answers(batch: CardBatch, answers: dict[int, str], feedback_at: datetime) -> None:
    """Add the applied results to the batch's counts, last (the row lock is then held only
    until the commit), in one UPDATE that reads the counts it adds to."""
    successes = sum(result == "success" for result in answers.values())
    open_statuses = (BatchStatus.QUEUED, BatchStatus.SENT, BatchStatus.REVOKING)
    table = CardBatch.__table__  # a Core UPDATE: the ORM's bulk machinery is not needed here
    db.session.execute(
        update(table)
        .where(table.c.id == batch.id)
        .values(
            success_count=table.c.success_count + successes,
            failure_count=table.c.failure_count + (len(answers) - successes),
            feedback_at=func.coalesce(table.c.feedback_at, literal(feedback_at, UTCDateTime())),
            status=case((table.c.status.in_(open_statuses), BatchStatus.ANSWERED),
                        else_=table.c.status),
        )
    )  # fmt: skip
    db.session.expire(batch)


def _apply_result(batch_id, link, result, row, feedback_at, writes) -> None:
    """One applied result: the link answered (with the result's receipt key, never the
    bank's id), the card's change, its log row; ``row`` gets the changes."""
    if link.card_id is None:
        raise LookupError(f"member {link.member_id} has no card")
    row |= {
        "link_id": link.id,
        "card_id": link.card_id,
        "member_id": link.member_id,
        "result": result["status"],
    }
    if result["status"] == "success":
        card_no = str(result.get("card_no") or "").strip()
        if not card_no.isdigit():
            raise ValidationFailed(f"{result['member_no']} 的卡号无效")
        writes.log.append(
            moved(
                link.member_id,
                link.status,
                CardStatus.ISSUED,
                BANK,
                f"卡号 {mask_card_no(card_no)}",
                batch_id=batch_id,
                at=feedback_at,
            )
        )
        row |= {"status": CardStatus.ISSUED, "card_no": card_no}  # its "bidx" comes after
        return
    code, reason = result.get("reason_code") or "OTHER", result.get("reason") or "银行未说明原因"
    writes.log.append(
        moved(
            link.member_id,
            link.status,
            CardStatus.FAILED,
            BANK,
            f"{code}：{reason}",
            batch_id=batch_id,
            at=feedback_at,
        )
    )
    row |= {"status": CardStatus.FAILED, "code": code, "reason": reason}
    if code == NAME_CHARSET and link.channel != Channel.SPECIAL:
        row |= {"channel": Channel.SPECIAL, "channel_reason": BANK_CHANNEL_REASON}
        writes.log.append(entry(link.member_id, BANK, "转入特殊通道", reason, batch_id=batch_id))


def apply_events(body: dict) -> dict:
    events = body["events"]
    seen = _seen("event", [e["event_id"] for e in events])
    fresh = [e for e in events if e["event_id"] not in seen]
    counts = {"applied": 0, "duplicates": len(events) - len(fresh), "deferred": 0, "ignored": 0}
    cards = _cards_by_member_no([e["member_no"] for e in fresh])
    for event in fresh:
        outcome = _apply_event(cards.get(event["member_no"]), event)
        counts[outcome] += 1
        db.session.add(
            BankReceipt(
                kind="event",
                external_id=receipt_key("event", event["event_id"]),
                member_no=event["member_no"],
                applied=outcome != "deferred",
                payload={k: v for k, v in event.items() if k not in PRIVATE}
                | {"card_no_bidx": keyring().blind_index("card_no", str(event["card_no"]))},
            )
        )
    return counts


def _cards_by_member_no(member_nos: list[str]) -> dict[str, MemberCard]:
    from ..members.models import Member

    if not member_nos:
        return {}
    rows = db.session.execute(
        select(Member.member_no, MemberCard)
        .join(MemberCard, MemberCard.member_id == Member.id)
        .where(among(Member.member_no, member_nos))
    ).all()
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
    waiting = db.session.scalars(
        select(BankReceipt).where(
            BankReceipt.kind == "event",
            BankReceipt.applied.is_(False),
            among(BankReceipt.member_no, member_nos),
        )
    ).all()
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
