"""Card issuance (会员服务卡办理): each member's card, batches to the bank, the outbox,
revocations, the card log and the bank's callback receipts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..members.models import Member
from ..models_base import TimestampMixin, UTCDateTime, enum_column, utcnow
from ..orgs.models import Org
from ..security.crypto import Encrypted


class CardStatus(enum.StrEnum):
    NONE = "未办卡"
    PENDING = "待办中"
    IN_PROGRESS = "办理中"
    ISSUED = "已办卡"
    FAILED = "办卡失败"
    PRODUCED = "已制卡"
    DELIVERED = "已送达单位"
    HANDED_OUT = "已发放"
    ACTIVATED = "已激活"


class Channel(enum.StrEnum):
    NORMAL = "普通"
    SPECIAL = "特殊"


class Verification(enum.StrEnum):
    UNCHECKED = "未校验"
    CHECKING = "校验中"
    PASSED = "已通过"
    FAILED = "未通过"


class BatchStatus(enum.StrEnum):
    QUEUED = "待发送"
    SENT = "已发送"
    ANSWERED = "已反馈"
    REVOKING = "撤销中"
    REVOKED = "已撤销"


class RevocationStatus(enum.StrEnum):
    REVIEWING = "审核中"
    APPROVED = "审核通过"
    REJECTED = "审核不通过"
    REFUSED_BY_BANK = "银行已反馈，撤销未成功"


class OutboxKind(enum.StrEnum):
    BATCH = "batch"
    REVOKE = "revoke"


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class MemberCard(TimestampMixin, db.Model):
    """One member's service card and application (会员服务卡), one row per member."""

    __tablename__ = "member_card"
    # 待办会员 of a whole city or district, oldest first, read in order from the index
    __table_args__ = (
        Index("ix_member_card_org_status", "org_id", "status"),
        Index("ix_member_card_status_pending", "status", "pending_since", "member_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    status: Mapped[CardStatus] = enum_column(CardStatus, "card_status", default=CardStatus.NONE)
    channel: Mapped[Channel] = enum_column(Channel, "card_channel", default=Channel.NORMAL)
    channel_reason: Mapped[str | None] = mapped_column(String(100))
    verification: Mapped[Verification] = enum_column(
        Verification, "card_verification", default=Verification.UNCHECKED
    )
    verification_reasons: Mapped[list] = mapped_column(JSON, default=list)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    info_complete: Mapped[bool] = mapped_column(Boolean, default=False)  # 特殊通道：信息完善
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 加入待办时间
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 申办时间
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("card_batch.id"))
    card_no: Mapped[str | None] = mapped_column(Encrypted("card_no"))
    card_no_bidx: Mapped[str | None] = mapped_column(String(32), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(20))
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    individual: Mapped[bool] = mapped_column(Boolean, default=False)  # 个人申请（小程序）

    member: Mapped[Member] = relationship()


class CardBatch(TimestampMixin, db.Model):
    """A batch of applications sent to the bank (办卡批次)."""

    __tablename__ = "card_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_no: Mapped[str] = mapped_column(String(30), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    channel: Mapped[Channel] = enum_column(Channel, "batch_channel")
    status: Mapped[BatchStatus] = enum_column(BatchStatus, "batch_status")
    branch_code: Mapped[str] = mapped_column(String(20))
    branch_name: Mapped[str] = mapped_column(String(100))
    branch_address: Mapped[str] = mapped_column(String(200))
    total: Mapped[int] = mapped_column(Integer, default=0)
    success_count: Mapped[int] = mapped_column(Integer, default=0)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    submitted_by_name: Mapped[str | None] = mapped_column(String(50))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feedback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation: Mapped[RevocationStatus | None] = enum_column(
        RevocationStatus, "batch_revocation", nullable=True
    )


class CardBatchMember(db.Model):
    """A member in a batch, with the bank's answer (批次明细).

    ``open_member_id`` holds the member id while the batch is open and NULL once the bank
    answered or the batch was revoked: its unique constraint is what keeps a member in one
    open batch at a time, even when two clerks submit at the same moment.

    Its indexes are few on purpose: every bank answer updates the row and, as it clears
    ``open_member_id``, writes an entry into each index (no HOT update). The unique index
    holds only open links (an answered or revoked one has no entry); ``(batch_id,
    member_id)`` also serves a batch's rows; ``(batch_id, member_no)`` finds a callback's
    links, one probe each.
    """

    __tablename__ = "card_batch_member"
    __table_args__ = (
        UniqueConstraint("batch_id", "member_id"),
        Index("ix_card_batch_member_batch_member_no", "batch_id", "member_no"),
        Index("ix_card_batch_member_open_member_id", "open_member_id", unique=True,
              postgresql_where=text("open_member_id IS NOT NULL"),
              sqlite_where=text("open_member_id IS NOT NULL")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("card_batch.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    open_member_id: Mapped[int | None] = mapped_column(Integer)
    member_no: Mapped[str] = mapped_column(String(10))
    result: Mapped[str | None] = mapped_column(String(10))  # success / failure
    reason_code: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    result_id: Mapped[str | None] = mapped_column(String(80))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BankOutbox(TimestampMixin, db.Model):
    """A message to the bank written in the same transaction as its cause (发送队列)."""

    __tablename__ = "bank_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = enum_column(OutboxKind, "outbox_kind")
    batch_id: Mapped[int] = mapped_column(ForeignKey("card_batch.id"), index=True)
    status: Mapped[OutboxStatus] = enum_column(
        OutboxStatus, "outbox_status", default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BatchRevocation(TimestampMixin, db.Model):
    """A request to withdraw a batch, reviewed by the upper union (撤销办卡批次申请)."""

    __tablename__ = "batch_revocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("card_batch.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    status: Mapped[RevocationStatus] = enum_column(RevocationStatus, "revocation_status")
    applicant_name: Mapped[str] = mapped_column(String(50))
    applicant_phone: Mapped[str] = mapped_column(Encrypted("mobile"))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    reviewer_name: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    # what the reviewer sees of the request: the batch and the union that asks
    batch: Mapped[CardBatch] = relationship(lazy="joined")
    org: Mapped[Org] = relationship(lazy="joined")


class CardLogEntry(db.Model):
    """One event of a member's card (办卡日志): when, who, what, detail."""

    __tablename__ = "card_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(50))  # a staff name, 银行, 系统
    action: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str | None] = mapped_column(String(10))
    detail: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(Integer)


class BankReceipt(db.Model):
    """An inbound result or event id already applied: repeats change nothing (回调幂等)."""

    __tablename__ = "bank_receipt"
    __table_args__ = (
        UniqueConstraint("kind", "external_id"),
        # only the receipts not applied (an event waiting for its card's result, an ignored
        # result): the one query by member_no looks for waiting events, and a callback's
        # applied results then write no entry here
        Index("ix_bank_receipt_member_no_waiting", "member_no",
              postgresql_where=text("applied IS false"), sqlite_where=text("applied IS 0")),
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # result / event
    external_id: Mapped[str] = mapped_column(String(120))
    member_no: Mapped[str] = mapped_column(String(10))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # no personal data
    applied: Mapped[bool] = mapped_column(Boolean, default=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
