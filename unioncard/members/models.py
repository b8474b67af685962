"""The member registry (会员信息)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin, UTCDateTime, enum_column, utcnow
from ..orgs.models import Org
from ..security.crypto import Encrypted


class MemberStatus(enum.StrEnum):
    ACTIVE = "正常"
    UNREVIEWED = "未审核"
    TRANSFERRING = "转会中"
    RETIRED = "退休"
    LEFT = "离职"
    DECEASED = "死亡"


class MemberSource(enum.StrEnum):
    ENTERPRISE = "企业内"
    FLEXIBLE = "灵活就业"
    OUTSIDE = "企业外入会"


class InsuranceStatus(enum.StrEnum):
    NORMAL = "正常"
    TO_CONFIRM = "待确认"


class SocialCardStatus(enum.StrEnum):
    NORMAL = "正常"
    SEALED = "封存"


class EmploymentStatus(enum.StrEnum):
    EMPLOYED = "在职"
    UNEMPLOYED = "不在职"


class Member(TimestampMixin, db.Model):
    """A union member (工会会员). ID number and mobile are encrypted, looked up by blind index."""

    __tablename__ = "member"
    # One union's members in the lists' orders: newest first (会员信息) and by 会员编号 (卡片信息),
    # read from the index without sorting a 50,000-member union; counts by status.
    __table_args__ = (
        Index("ix_member_org_status", "org_id", "status"),
        Index("ix_member_org_id", "org_id", "id"),
        Index("ix_member_org_member_no", "org_id", "member_no", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed through ix_member_org_status (org_id leads it).
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    member_no: Mapped[str | None] = mapped_column(String(10), unique=True)  # 会员编号
    # searched through members/search.py: GIN over its 2-character pieces (migration, PG only)
    name: Mapped[str] = mapped_column(String(100))
    id_type: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str] = mapped_column(Encrypted("id_number"))
    id_number_bidx: Mapped[str] = mapped_column(String(32), unique=True)
    id_expiry: Mapped[date | None] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(50), default="中国")
    gender: Mapped[str] = mapped_column(String(2))
    birth_date: Mapped[date] = mapped_column(Date)
    mobile: Mapped[str | None] = mapped_column(Encrypted("mobile"))
    mobile_bidx: Mapped[str | None] = mapped_column(String(32), unique=True)
    work_address: Mapped[str | None] = mapped_column(String(100))
    join_date: Mapped[date | None] = mapped_column(Date)
    source: Mapped[MemberSource] = enum_column(MemberSource, "member_source")
    status: Mapped[MemberStatus] = enum_column(MemberStatus, "member_status")
    insurance_status: Mapped[InsuranceStatus] = enum_column(
        InsuranceStatus, "insurance_status", default=InsuranceStatus.NORMAL
    )
    social_card_status: Mapped[SocialCardStatus | None] = enum_column(
        SocialCardStatus, "social_card_status", nullable=True
    )
    employment_status: Mapped[EmploymentStatus | None] = enum_column(
        EmploymentStatus, "employment_status", nullable=True
    )
    retired_on: Mapped[date | None] = mapped_column(Date)  # 人保库退休日期
    social_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 最近一次社保核验
    wants_card: Mapped[bool] = mapped_column(Boolean, default=False)
    remark: Mapped[str | None] = mapped_column(String(200))
    # The import that brought the member in (no foreign key: bulk inserts stay cheap).
    import_job_id: Mapped[int | None] = mapped_column(Integer)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Org] = relationship()


class MemberStatusChange(db.Model):
    """One change of a member's status, with the reason (会员状态变更记录)."""

    __tablename__ = "member_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    actor_name: Mapped[str | None] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
