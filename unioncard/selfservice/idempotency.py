"""Idempotency-Key for the member's POSTs: a repeat returns the first answer, never the work.

Stored in the database (``IdempotencyRecord``), not in Redis: a Redis flush or failover must
not let a payment or an application be made twice. The protocol:

1. ``begin``: INSERT the (user, key) row as 处理中 in its OWN transaction, committed at
   once. The unique (user_id, key) makes exactly one concurrent request the owner.
   A request that finds the row 已完成 gets the stored answer; one that finds it 处理中
   waits up to ``WAIT_SECONDS`` for it to finish, else answers 409 请求正在处理中.
2. The owner does the work in the request's transaction; ``complete`` writes the answer
   into the row in THAT transaction, so the answer is stored if and only if the work is
   committed.
3. An error answer (nothing was committed) deletes the reservation (``abandon``): the same
   key may be sent again once the request is corrected. A reservation left by a crashed
   worker is taken over after ``LEASE_SECONDS``: its work had rolled back.

The same key with a different method, path or body is refused (422). Keys live 24 hours.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from .models import IdempotencyRecord, IdempotencyState

HEADER = "Idempotency-Key"
LEASE_SECONDS = 120
WAIT_SECONDS = 5.0
KEEP = timedelta(hours=24)
T = IdempotencyRecord.__table__


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(method.encode() + b"\n" + path.encode() + b"\n" + body).hexdigest()


def check_key(key: str) -> str:
    key = key.strip()
    if not 1 <= len(key) <= 100 or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            "Idempotency-Key 应为 1 到 100 个可打印的英文字符",
            {HEADER: ["请使用 1 到 100 个可打印的英文字符，如 UUID"]},
        )
    return key


class Replay(Exception):
    """The first answer, to be sent again."""

    def __init__(self, status: int, body: str):
        self.status, self.body = status, body


def begin(user_id: int, key: str, print_: str) -> int:
    """Reserve the key; returns the record id. Raises ``Replay`` or a 409/422."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        record_id = _reserve(user_id, key, print_)
        if record_id is not None:
            return record_id
        row = _load(user_id, key)
        if row is None:  # deleted meanwhile (the other request failed): try again
            continue
        if row.fingerprint != print_:
            raise ValidationFailed(
                "该 Idempotency-Key 已用于另一个请求，请为新的操作换一个 Key",
                {HEADER: ["已用于另一个请求"]},
            )
        if row.state == IdempotencyState.DONE:
            raise Replay(row.status_code, row.body)
        if row.locked_until < utcnow() and _take_over(row.id):
            return row.id
        if time.monotonic() > deadline:
            raise Conflict("请求正在处理中，请稍后再试")
        time.sleep(0.05)


def _reserve(user_id: int, key: str, print_: str) -> int | None:
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            delete(T).where(T.c.user_id == user_id, T.c.key == key, T.c.created_at < now - KEEP)
        )
    try:
        with db.engine.begin() as conn:
            return conn.execute(
                insert(T)
                .values(
                    user_id=user_id,
                    key=key,
                    fingerprint=print_,
                    state=IdempotencyState.PROCESSING,
                    locked_until=now + timedelta(seconds=LEASE_SECONDS),
                    created_at=now,
                )
                .returning(T.c.id)
            ).scalar_one()
    except IntegrityError:
        return None


def _load(user_id: int, key: str):
    with db.engine.connect() as conn:
        return conn.execute(select(T).where(T.c.user_id == user_id, T.c.key == key)).first()


def _take_over(record_id: int) -> bool:
    with db.engine.begin() as conn:
        taken = conn.execute(
            update(T)
            .where(
                T.c.id == record_id,
                T.c.state == IdempotencyState.PROCESSING,
                T.c.locked_until < utcnow(),  # of two takers, one wins
            )
            .values(locked_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
        )
        return taken.rowcount == 1


def complete(record_id: int, status: int, body: str) -> None:
    """Store the answer in the request's own transaction (committed with the work)."""
    db.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == record_id)
        .values(state=IdempotencyState.DONE, status_code=status, body=body)
    )


def abandon(record_id: int) -> None:
    """The work failed and rolled back: free the key."""
    with db.engine.begin() as conn:
        conn.execute(delete(T).where(T.c.id == record_id, T.c.state == IdempotencyState.PROCESSING))
