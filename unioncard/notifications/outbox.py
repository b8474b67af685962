"""Writing subscribe messages into the outbox, in the transaction of the change they report.

Hooks: ``card_changes`` (the card log's ``move`` and the bank callbacks' bulk writer),
``enrolments_changing`` (the insurance moves' bulk UPDATE, before it runs) and
``enrolment_event`` (payments: paid, refunded). Only members bound to a WeChat account
(``MemberUser.member_id``) get a row; ``(user_id, event_key)`` is unique, so a change
written twice (a retried task, a replayed callback) is still one message. Nothing is sent
here: ``after_commit`` queues the sender once per transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, String, cast, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from ..bulk import among
from ..extensions import db
from ..models_base import utcnow
from ..selfservice.models import MemberUser
from .models import MessageStatus, SubscribeMessage

CARD = "card"
INSURANCE = "insurance"

# Card statuses a member hears about (卡片状态 → the word in the message)
CARD_STATES = frozenset({"已办卡", "办卡失败", "已制卡", "已送达单位", "已发放"})
# Enrolment statuses a member hears about when the insurance moves change them
ENROLMENT_STATES = frozenset({"已完成", "已拒绝", "参保失败"})


def card_changes(rows: list[dict]) -> int:
    """Card log rows just written (dicts with member_id, to_status, detail, at): one message
    per bound member for each status in ``CARD_STATES``. Returns the rows queued."""
    wanted = [r for r in rows if r.get("to_status") in CARD_STATES]
    if not wanted:
        return 0
    users = _users_of({r["member_id"] for r in wanted})
    messages = []
    for row in wanted:
        user_id = users.get(row["member_id"])
        if user_id is None:
            continue
        at: datetime = row.get("at") or utcnow()
        messages.append(
            _row(user_id, row["member_id"], CARD, f"card:{row['to_status']}:{at.isoformat()}",
                 row["to_status"], row.get("detail"))
        )  # fmt: skip
    return _queue(messages)


def enrolments_changing(
    where: ColumnElement[bool], to_status: str, detail: str | None = None
) -> int:
    """Enrolments matching ``where`` are about to become ``to_status`` (called just before
    the UPDATE, with the same condition and the statuses allowed to move): one message per
    bound member, written with one INSERT … SELECT; ``detail`` is the reason, if any."""
    if to_status not in ENROLMENT_STATES:
        return 0
    to_status = str(to_status)
    from ..insurance.models import Enrolment

    now = utcnow()
    key = literal(f"enrolment:{to_status}:") + _text(Enrolment.id)
    query = (
        select(
            MemberUser.id,
            Enrolment.member_id,
            literal(INSURANCE),
            key,
            literal(to_status),
            literal(detail[:100] if detail else None, SubscribeMessage.detail.type),
            literal(MessageStatus.PENDING.value),
            literal(0),
            literal(now, SubscribeMessage.created_at.type),
            literal(now, SubscribeMessage.next_attempt_at.type),
        )
        .join(MemberUser, MemberUser.member_id == Enrolment.member_id)
        .where(where)
    )
    columns = ["user_id", "member_id", "topic", "event_key", "state", "detail", "status",
               "attempts", "created_at", "next_attempt_at"]  # fmt: skip
    statement = _dialect_insert().from_select(columns, query)
    count = db.session.execute(_ignore_duplicates(statement)).rowcount
    if count:
        _send_after_commit()
    return max(count, 0)


def enrolment_event(enrolment, state: str, detail: str | None = None) -> int:
    """One enrolment's own event (已支付, 已退款 …), for its member if bound to WeChat."""
    user_id = _users_of({enrolment.member_id}).get(enrolment.member_id)
    if user_id is None:
        return 0
    key = f"enrolment:{state}:{enrolment.id}"
    return _queue([_row(user_id, enrolment.member_id, INSURANCE, key, state, detail)])


def _text(column):
    return cast(column, String)


def _users_of(member_ids: set[int]) -> dict[int, int]:
    if not member_ids:
        return {}
    rows = db.session.execute(
        select(MemberUser.member_id, MemberUser.id).where(among(MemberUser.member_id, member_ids))
    )
    return dict(rows.all())


def _row(user_id, member_id, topic, key, state, detail) -> dict:
    now = utcnow()
    return {
        "user_id": user_id,
        "member_id": member_id,
        "topic": topic,
        "event_key": key[:120],
        "state": state,
        "detail": (detail or None) and detail[:100],
        "status": MessageStatus.PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


def _dialect_insert():
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(SubscribeMessage)
    return sqlite.insert(SubscribeMessage)


def _ignore_duplicates(statement):
    return statement.on_conflict_do_nothing(index_elements=["user_id", "event_key"])


def _queue(rows: list[dict]) -> int:
    if not rows:
        return 0
    for start in range(0, len(rows), 500):  # SQLite's limit of bound parameters
        statement = _ignore_duplicates(_dialect_insert().values(rows[start : start + 500]))
        db.session.execute(statement)
    _send_after_commit()
    return len(rows)


def _send_after_commit() -> None:
    from ..tasks_runtime import after_commit
    from .tasks import send_due

    pending = db.session.info.get("after_commit", [])
    if not any(task is send_due for task, _ in pending):
        after_commit(db.session, send_due)
