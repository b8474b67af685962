"""The annual review (年审): one per grassroots union per year, its marks, results and reminders."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models_base import TimestampMixin, UTCDateTime, enum_column, utcnow
from ..orgs.models import Org


class ReviewStatus(enum.StrEnum):
    IN_PROGRESS = "进行中"
    SUBMITTED = "待审核"
    RETURNED = "已退回"
    APPROVED = "已通过"


class FailReason(enum.StrEnum):
    """Why a member fails the review; each is also the member status they move to."""

    RETIRED = "退休"
    LEFT = "离职"
    DECEASED = "死亡"


class MarkSource(enum.StrEnum):
    LIST = "列表"
    FILE = "文件"


class AnnualReview(TimestampMixin, db.Model):
    """A grassroots union's review of one year (年审): unit information, then members."""

    __tablename__ = "annual_review"
    __table_args__ = (UniqueConstraint("org_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed through the unique (org_id, year) constraint, which org_id leads.
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    year: Mapped[int] = mapped_column(Integer, index=True)  # business year, Asia/Shanghai
    status: Mapped[ReviewStatus] = enum_column(ReviewStatus, "review_status")
    started_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    started_by_name: Mapped[str | None] = mapped_column(String(50))
    # Step 1: the unit information as confirmed (a snapshot, kept with the year's review).
    unit_info: Mapped[dict | None] = mapped_column(JSON)
    unit_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unit_confirmed_by_name: Mapped[str | None] = mapped_column(String(50))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    submitted_by_name: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(50))
    decision_reason: Mapped[str | None] = mapped_column(Text)  # the latest rejection's reason
    # Filled on approval: how many active members were reviewed, how many failed.
    reviewed_count: Mapped[int | None] = mapped_column(Integer)
    failed_count: Mapped[int | None] = mapped_column(Integer)

    org: Mapped[Org] = relationship()

    # Not a column: the services attach the live counts for the detail view.
    counts = None


class AnnualReviewMark(db.Model):
    """A member marked as failing the review, with the reason (年审不通过人员)."""

    __tablename__ = "annual_review_mark"
    __table_args__ = (UniqueConstraint("review_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("annual_review.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    reason: Mapped[FailReason] = enum_column(FailReason, "review_fail_reason")
    source: Mapped[MarkSource] = enum_column(MarkSource, "review_mark_source")
    remark: Mapped[str | None] = mapped_column(String(200))
    marked_by_name: Mapped[str | None] = mapped_column(String(50))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnualReviewResult(db.Model):
    """The year's snapshot, written on approval: each member reviewed and the outcome (年审结果)."""

    __tablename__ = "annual_review_result"
    __table_args__ = (UniqueConstraint("review_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("annual_review.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    # None: passed; otherwise why the member failed (and left the union).
    reason: Mapped[FailReason | None] = enum_column(
        FailReason, "review_result_reason", nullable=True
    )


class ReviewReminder(db.Model):
    """A reminder from an upper union to a unit that has not finished its review (年审提醒)."""

    __tablename__ = "review_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the unit reminded
    year: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    sender_org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    sent_by_name: Mapped[str | None] = mapped_column(String(50))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org: Mapped[Org] = relationship(foreign_keys=[org_id])
    sender_org: Mapped[Org] = relationship(foreign_keys=[sender_org_id])
