"""Delivering the outbox to the bank exactly once per batch.

A batch and its outbox row are written in one transaction. The task sends the batch
(signed) and then marks the row sent. If the worker dies between the two, or the bank
is down, the row stays pending and is sent again later with the same ``batch_no``; the
bank treats a known batch_no as already received, so the bank sees one batch.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..members.models import Member
from ..models_base import utcnow
from .batches import release
from .log import BANK
from .models import (
    BankOutbox,
    BatchRevocation,
    BatchStatus,
    CardBatch,
    CardBatchMember,
    OutboxKind,
    OutboxStatus,
    RevocationStatus,
)

log = logging.getLogger(__name__)


def payload(batch: CardBatch) -> dict:
    """The contract's batch body; personal data is decrypted only here, to be sent."""
    members = db.session.scalars(
        select(Member)
        .join(CardBatchMember, CardBatchMember.member_id == Member.id)
        .where(CardBatchMember.batch_id == batch.id)
        .order_by(CardBatchMember.id)
    )
    return {
        "batch_no": batch.batch_no,
        "channel": batch.channel.value,
        "branch_code": batch.branch_code,
        "submitted_at": batch.submitted_at.isoformat(),
        "members": [
            {
                "member_no": m.member_no,
                "name": m.name,
                "id_type": m.id_type,
                "id_number": m.id_number,
                "id_expiry": m.id_expiry.isoformat() if m.id_expiry else None,
                "gender": m.gender,
                "birth_date": m.birth_date.isoformat(),
                "country": m.country,
                "mobile": m.mobile,
                "address": m.work_address,
            }
            for m in members
        ],
    }


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


def claim(outbox_id: int) -> BankOutbox | None:
    """Lock the row (other workers skip it) if it is still due."""
    stmt = select(BankOutbox).where(
        BankOutbox.id == outbox_id, BankOutbox.status == OutboxStatus.PENDING
    )
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return db.session.scalar(stmt)


def deliver(outbox_id: int, bank) -> str:
    """Send one outbox message; returns 'sent', 'retry', 'failed' or 'skipped'. Commits."""
    from integrations.bank.client import BankRejected, BankRevocationRefused, BankUnavailable

    message = claim(outbox_id)
    if message is None:
        db.session.rollback()
        return "skipped"
    batch = db.session.get(CardBatch, message.batch_id)
    message.attempts += 1
    try:
        if message.kind == OutboxKind.BATCH:
            bank.submit_batch(payload(batch))
            # conditional: a callback may already have answered the batch meanwhile
            db.session.execute(
                update(CardBatch)
                .where(CardBatch.id == batch.id, CardBatch.status == BatchStatus.QUEUED)
                .values(status=BatchStatus.SENT)
            )
            db.session.execute(
                update(CardBatch)
                .where(CardBatch.id == batch.id, CardBatch.sent_at.is_(None))
                .values(sent_at=utcnow())
            )
        else:
            bank.revoke_batch(batch.batch_no)
            release(batch, BANK)
            _revocation(batch).status = RevocationStatus.APPROVED
    except BankUnavailable as exc:
        return _later(message, str(exc))
    except BankRevocationRefused:
        batch.revocation = RevocationStatus.REFUSED_BY_BANK
        _revocation(batch).status = RevocationStatus.REFUSED_BY_BANK
        if batch.status == BatchStatus.REVOKING:
            batch.status = BatchStatus.ANSWERED if batch.feedback_at else BatchStatus.SENT
        return _done(message, "failed", "银行已反馈，撤销未成功")
    except BankRejected as exc:
        log.error("bank rejected outbox %s: %s", outbox_id, exc)
        return _done(message, "failed", f"银行拒绝：{exc}")
    return _done(message, "sent")


def _revocation(batch: CardBatch) -> BatchRevocation:
    return db.session.scalar(
        select(BatchRevocation)
        .where(BatchRevocation.batch_id == batch.id)
        .order_by(BatchRevocation.id.desc())
    )


def _later(message: BankOutbox, error: str) -> str:
    message.last_error = error[:1000]
    if message.attempts >= current_app.config["BANK_OUTBOX_MAX_ATTEMPTS"]:
        return _done(message, "failed", error)
    message.next_attempt_at = utcnow() + backoff(message.attempts)
    db.session.commit()
    return "retry"


def _done(message: BankOutbox, outcome: str, error: str | None = None) -> str:
    message.status = OutboxStatus.SENT if outcome == "sent" else OutboxStatus.FAILED
    message.sent_at = utcnow() if outcome == "sent" else None
    message.last_error = error
    db.session.commit()
    return outcome


def due() -> list[int]:
    """Pending messages whose time has come (the beat's safety net after crashes/outages)."""
    return list(
        db.session.scalars(
            select(BankOutbox.id)
            .where(
                BankOutbox.status == OutboxStatus.PENDING, BankOutbox.next_attempt_at <= utcnow()
            )
            .order_by(BankOutbox.id)
            .limit(200)
        )
    )
