"""The member's own path in the mini-program (会员自助): WeChat users, join applications,
personal card applications and the Idempotency-Key records of their POSTs."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..members.models import Member
from ..models_base import TimestampMixin, UTCDateTime, enum_column, utcnow
from ..orgs.models import Org
from ..security.crypto import Encrypted


class Channel(enum.StrEnum):
    """Where the member last logged in from (登录渠道): their messages go that way."""

    MINIAPP = "小程序"
    HALL = "服务大厅"


class MemberUser(TimestampMixin, db.Model):
    """微信用户: one person on WeChat - their openid in the mini-program and/or in the
    service hall's official account, one row linked by unionid when WeChat gives one -
    bound to at most one member and a member to at most one WeChat user. Mobile and ID
    number are encrypted and looked up by blind index; an ID number belongs to one WeChat
    user only."""

    __tablename__ = "member_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)  # mini-program
    oa_openid: Mapped[str | None] = mapped_column(String(64), unique=True)  # official account
    unionid: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[Channel] = enum_column(Channel, "member_channel", default=Channel.MINIAPP)
    mobile: Mapped[str | None] = mapped_column(Encrypted("mobile"))
    mobile_bidx: Mapped[str | None] = mapped_column(String(32), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))  # 实名
    id_type: Mapped[str | None] = mapped_column(String(30))
    id_number: Mapped[str | None] = mapped_column(Encrypted("id_number"))
    id_number_bidx: Mapped[str | None] = mapped_column(String(32), unique=True)
    id_expiry: Mapped[date | None] = mapped_column(Date)
    country: Mapped[str | None] = mapped_column(String(50))
    gender: Mapped[str | None] = mapped_column(String(2))
    birth_date: Mapped[date | None] = mapped_column(Date)
    token_version: Mapped[int] = mapped_column(Integer, default=0)  # +1 revokes every token
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member: Mapped[Member | None] = relationship()


class JoinSource(enum.StrEnum):
    """How an individual joins (入会来源); the member's ``source`` once approved."""

    FLEXIBLE = "灵活就业"
    OUTSIDE = "企业外入会"


class JoinStatus(enum.StrEnum):
    PENDING = "待审核"
    APPROVED = "已通过"
    REJECTED = "已驳回"
    WITHDRAWN = "已撤回"


class JoinApplication(TimestampMixin, db.Model):
    """入会申请: a WeChat user asks a union that accepts individuals to take them in.

    ``org_id`` is the union (it owns the row for the staff's data scope). ``open_user_id``
    equals ``user_id`` while the application is 待审核 and NULL after: its unique constraint
    keeps one open application per user, even for two taps at once."""

    __tablename__ = "join_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("member_user.id"), index=True)
    open_user_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    source: Mapped[JoinSource] = enum_column(JoinSource, "join_source")
    work_unit_address: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[JoinStatus] = enum_column(JoinStatus, "join_status", default=JoinStatus.PENDING)
    reason: Mapped[str | None] = mapped_column(String(200))  # 驳回原因
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))

    user: Mapped[MemberUser] = relationship()
    org: Mapped[Org] = relationship()


class CardApplicationStatus(enum.StrEnum):
    """个人办卡申请 as the member sees it; the card itself moves in ``MemberCard``."""

    CHECKING = "校验中"  # in the pending list, the registers being asked
    CHECK_FAILED = "校验未通过"  # the registers or our checks refused: fix and apply again
    SUBMITTED = "已提交银行"  # a batch of one in the outbox; the card's status tells the rest
    CANCELLED = "已取消"


class CardApplication(TimestampMixin, db.Model):
    """个人办卡申请 (小程序): branch, mailing address and ID expiry the member gave; the
    card goes through the same pipeline as the collective one (``MemberCard.individual``)."""

    __tablename__ = "card_application"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("member_user.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    status: Mapped[CardApplicationStatus] = enum_column(
        CardApplicationStatus, "card_application_status"
    )
    branch_code: Mapped[str] = mapped_column(String(20))
    branch_name: Mapped[str] = mapped_column(String(100))
    mailing_address: Mapped[str] = mapped_column(String(200))
    id_expiry: Mapped[date] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("card_batch.id"))
    reasons: Mapped[str | None] = mapped_column(Text)  # why the checks failed, for the member
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyState(enum.StrEnum):
    PROCESSING = "处理中"
    DONE = "已完成"


class IdempotencyRecord(db.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` (per user and key).

    The row is reserved (处理中) in its own committed transaction before the work, and
    completed (已完成, status and body) in the SAME transaction as the work: a stored
    answer means the work was committed, and a reservation whose work rolled back is
    deleted (or, after a crash, taken over once ``locked_until`` has passed)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("member_user.id"))
    key: Mapped[str] = mapped_column(String(100))
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of method, path and body
    state: Mapped[IdempotencyState] = enum_column(IdempotencyState, "idempotency_state")
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
