"""Member insurance (工会会员专享基本保障): plans and splits, campaigns, enrolments, unit
submissions, district batches, notices, register checks and benefit payouts.

Amounts are ``Money`` (exact NUMERIC(12, 2) decimals). Dates a clerk reads (windows,
coverage, deadlines) are plain calendar dates in Shanghai time.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..members.models import Member
from ..models_base import Money, TimestampMixin, UTCDateTime, enum_column, utcnow
from ..orgs.models import Org
from ..security.crypto import Encrypted
from ..storage.models import StoredFile


class EnrolmentKind(enum.StrEnum):
    """参保类型: how the member was enrolled."""

    CARD = "会员卡参保"  # collective, card channel
    SOCIAL = "社保卡参保"  # collective, social-security-card channel
    CARD_NO_COVER = "有卡无保"  # instant, by the unit
    NEW_CARD = "新办卡"  # instant, by the unit
    PERSONAL = "个人参保"  # instant, by the member in the mini-program

    @property
    def collective(self) -> bool:
        return self in (EnrolmentKind.CARD, EnrolmentKind.SOCIAL)


COLLECTIVE_KINDS = (EnrolmentKind.CARD, EnrolmentKind.SOCIAL)
INSTANT_KINDS = (EnrolmentKind.CARD_NO_COVER, EnrolmentKind.NEW_CARD, EnrolmentKind.PERSONAL)


class EnrolmentStatus(enum.StrEnum):
    """A member's enrolment for one coverage year."""

    AWAITING_PAYMENT = "待支付"  # personal: the WeChat Pay order is open
    SUBMITTED = "区局确认中"  # the unit (or the member, once paid) submitted; district to review
    RETURNED = "已退回"  # the district returned the unit's submission
    ACCEPTED = "待提交职保中心"  # in the district's 待提交参保列表
    SENT = "职保中心确认中"  # in a district batch submitted to 职保中心, awaiting payment
    COMPLETED = "已完成"  # 职保中心 confirmed the batch paid: covered
    FAILED = "参保失败"  # unpaid by the payment deadline
    REFUSED = "已拒绝"  # an instant enrolment refused by the district
    CANCELLED = "已取消"  # personal: unpaid order closed, or refunded after refusal


# Statuses that hold the member's place for the year: no second enrolment beside them.
HOLDING = frozenset(
    {
        EnrolmentStatus.AWAITING_PAYMENT,
        EnrolmentStatus.SUBMITTED,
        EnrolmentStatus.ACCEPTED,
        EnrolmentStatus.SENT,
        EnrolmentStatus.COMPLETED,
    }
)


class SubmissionStatus(enum.StrEnum):
    """A unit's submission (one click of 提交至区局审核) as the district handles it."""

    SUBMITTED = "区局确认中"
    RETURNED = "已退回"
    ACCEPTED = "待提交职保中心"
    SENT = "职保中心确认中"
    COMPLETED = "已完成"
    FAILED = "参保失败"
    REFUSED = "已拒绝"


class BatchSource(enum.StrEnum):
    COLLECTIVE = "集中参保"
    INSTANT = "即时参保"


class InsuranceBatchStatus(enum.StrEnum):
    """参保批次 (a district's submission to 职保中心)."""

    AWAITING_PAYMENT = "待缴费"
    VOUCHER_UPLOADED = "已上传凭证"
    COMPLETED = "已完成"
    FAILED = "参保失败"


class NoticeKind(enum.StrEnum):
    UNIT = "基层单位告知书"
    DISTRICT = "区局告知书"


class CheckStatus(enum.StrEnum):
    WAITING = "查询中"
    ANSWERED = "已返回"
    FAILED = "查询失败"


class CoveragePlan(TimestampMixin, db.Model):
    """保障类型: one plan of a coverage year, set by 职保中心. fee = city + district + grassroots."""

    __tablename__ = "coverage_plan"
    __table_args__ = (
        UniqueConstraint("year", "name"),
        CheckConstraint(
            # round(): SQLite stores the amounts as binary floating point
            "round(fee - city_share - district_share - grassroots_share, 2) = 0",
            name="split_sums_to_fee",
        ),
        CheckConstraint(
            "fee > 0 AND city_share >= 0 AND district_share >= 0 AND grassroots_share >= 0"
            " AND individual_share >= 0",
            name="amounts_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the city
    year: Mapped[int] = mapped_column(Integer)  # 保障年度
    name: Mapped[str] = mapped_column(String(50))  # 保障类型名称
    fee: Mapped[Decimal] = mapped_column(Money)  # 参保费用（元/人）
    half_year_fee: Mapped[Decimal | None] = mapped_column(Money)  # coverage starting after 30 June
    city_share: Mapped[Decimal] = mapped_column(Money)  # 市总统一划拨
    district_share: Mapped[Decimal] = mapped_column(Money)  # 区局/各级工会默认缴纳
    grassroots_share: Mapped[Decimal] = mapped_column(Money)  # 基层单位默认缴纳
    individual_share: Mapped[Decimal] = mapped_column(Money)  # 个人参保时本人缴纳
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)  # 有效期开始
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime)  # 有效期结束
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by_name: Mapped[str | None] = mapped_column(String(50))


class PlanSplit(TimestampMixin, db.Model):
    """A district's own split of a plan for its subtree (保障金额设置 by 区局).

    The city's allocation is fixed; district + grassroots = fee - city."""

    __tablename__ = "plan_split"
    __table_args__ = (
        UniqueConstraint("plan_id", "org_id"),
        CheckConstraint("district_share >= 0 AND grassroots_share >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coverage_plan.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the district
    district_share: Mapped[Decimal] = mapped_column(Money)
    grassroots_share: Mapped[Decimal] = mapped_column(Money)
    updated_by_name: Mapped[str | None] = mapped_column(String(50))

    plan: Mapped[CoveragePlan] = relationship()


class Campaign(TimestampMixin, db.Model):
    """集中参保: the year's collective enrolment opened by 职保中心, with its windows.

    Every window is inclusive on both days (Shanghai calendar dates)."""

    __tablename__ = "insurance_campaign"
    __table_args__ = (
        CheckConstraint("split_from <= split_to", name="split_window"),
        CheckConstraint("unit_from <= unit_to", name="unit_window"),
        CheckConstraint("district_from <= district_to", name="district_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the city
    year: Mapped[int] = mapped_column(Integer, unique=True)  # the coverage year
    split_from: Mapped[date] = mapped_column(Date)  # 区局保障金额设置
    split_to: Mapped[date] = mapped_column(Date)
    unit_from: Mapped[date] = mapped_column(Date)  # 基层单位提交
    unit_to: Mapped[date] = mapped_column(Date)
    payment_deadline: Mapped[date] = mapped_column(Date)  # 参保费用划入区局账户截止
    district_from: Mapped[date] = mapped_column(Date)  # 区局提交至职保中心
    district_to: Mapped[date] = mapped_column(Date)
    opened_by_name: Mapped[str | None] = mapped_column(String(50))


class UnionPlanChoice(db.Model):
    """同一保障年度只能选择一个保障类型: the plan a union's first submission fixed."""

    __tablename__ = "union_plan_choice"

    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coverage_plan.id"))
    fixed_by_kind: Mapped[EnrolmentKind] = enum_column(EnrolmentKind, "enrolment_kind")
    fixed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[CoveragePlan] = relationship()


class CollectiveConfirmation(db.Model):
    """集中参保待确认名单: a 人保状态 待确认 member the clerk confirmed for the year."""

    __tablename__ = "collective_confirmation"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    confirmed_by_name: Mapped[str | None] = mapped_column(String(50))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SocialSecurityCheck(db.Model):
    """获取社保卡和就业状态: one request to the social-security register for a union."""

    __tablename__ = "social_security_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    status: Mapped[CheckStatus] = enum_column(CheckStatus, "ss_check_status")
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    answered_count: Mapped[int] = mapped_column(Integer, default=0)
    expected_by: Mapped[date] = mapped_column(Date)  # the next working day
    requested_by_name: Mapped[str | None] = mapped_column(String(50))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class InsuranceBatch(TimestampMixin, db.Model):
    """参保批次: what a district submitted to 职保中心 in one go, paid with one voucher."""

    __tablename__ = "insurance_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_no: Mapped[str] = mapped_column(String(30), unique=True)  # 批次编号
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the district
    year: Mapped[int] = mapped_column(Integer, index=True)
    source: Mapped[BatchSource] = enum_column(BatchSource, "batch_source")
    status: Mapped[InsuranceBatchStatus] = enum_column(InsuranceBatchStatus, "ins_batch_status")
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    card_count: Mapped[int] = mapped_column(Integer, default=0)  # 会员卡参保人数
    social_count: Mapped[int] = mapped_column(Integer, default=0)  # 社保卡参保人数
    fee_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    city_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    district_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    grassroots_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    payment_deadline: Mapped[date | None] = mapped_column(Date)
    handler_name: Mapped[str | None] = mapped_column(String(50))  # 经办人
    handler_phone: Mapped[str | None] = mapped_column(Encrypted("handler_phone"))
    handler_email: Mapped[str | None] = mapped_column(String(100))
    submitted_by_name: Mapped[str | None] = mapped_column(String(50))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    voucher_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id"))
    voucher_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voucher_uploaded_by_name: Mapped[str | None] = mapped_column(String(50))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 职保中心确认时间
    confirmed_by_name: Mapped[str | None] = mapped_column(String(50))
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    org: Mapped[Org] = relationship()
    voucher: Mapped[StoredFile | None] = relationship()


class UnitSubmission(TimestampMixin, db.Model):
    """A unit's submission to its district (提交至区局审核), or a member's paid personal one."""

    __tablename__ = "unit_submission"
    __table_args__ = (Index("ix_unit_submission_district_status", "district_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # the unit
    district_id: Mapped[int] = mapped_column(ForeignKey("org.id"))  # who reviews it
    year: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coverage_plan.id"))
    kind: Mapped[EnrolmentKind] = enum_column(EnrolmentKind, "enrolment_kind")
    status: Mapped[SubmissionStatus] = enum_column(SubmissionStatus, "submission_status")
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    fee_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    city_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    district_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    grassroots_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    submitted_by_name: Mapped[str | None] = mapped_column(String(50))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_name: Mapped[str | None] = mapped_column(String(50))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(String(500))  # 退回原因
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_batch.id"), index=True)

    org: Mapped[Org] = relationship(foreign_keys=[org_id])
    plan: Mapped[CoveragePlan] = relationship()
    batch: Mapped[InsuranceBatch | None] = relationship()


class Enrolment(TimestampMixin, db.Model):
    """参保记录: one member's enrolment for one coverage year, with its amounts frozen.

    ``holding_member_id`` equals ``member_id`` while the status holds the member's place
    (``HOLDING``) and is NULL otherwise: the unique (year, holding_member_id) is the rule
    "enrolled at most once a year", enforced by the database under concurrency."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("year", "holding_member_id"),
        Index("ix_enrolment_org_year_status", "org_id", "year", "status"),
        CheckConstraint("start_date <= end_date", name="coverage_dates"),
        CheckConstraint(
            "round(fee - city_share - district_share - grassroots_share - individual_share, 2) = 0",
            name="shares_sum_to_fee",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    holding_member_id: Mapped[int | None] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))  # the member's union then
    year: Mapped[int] = mapped_column(Integer)
    plan_id: Mapped[int] = mapped_column(ForeignKey("coverage_plan.id"))
    kind: Mapped[EnrolmentKind] = enum_column(EnrolmentKind, "enrolment_kind")
    status: Mapped[EnrolmentStatus] = enum_column(EnrolmentStatus, "enrolment_status")
    start_date: Mapped[date] = mapped_column(Date)  # 起保日期
    end_date: Mapped[date] = mapped_column(Date)  # 终保日期
    half_year: Mapped[bool] = mapped_column(Boolean, default=False)  # 半年/全年
    fee: Mapped[Decimal] = mapped_column(Money)
    city_share: Mapped[Decimal] = mapped_column(Money)
    district_share: Mapped[Decimal] = mapped_column(Money)
    grassroots_share: Mapped[Decimal] = mapped_column(Money)
    individual_share: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("unit_submission.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_batch.id"), index=True)
    failed_reason: Mapped[str | None] = mapped_column(String(200))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
    plan: Mapped[CoveragePlan] = relationship()
    submission: Mapped[UnitSubmission | None] = relationship()


class Notice(db.Model):
    """告知书: every issued notice, stored immutably (a database trigger refuses changes)."""

    __tablename__ = "insurance_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)  # addressed to
    kind: Mapped[NoticeKind] = enum_column(NoticeKind, "notice_kind")
    year: Mapped[int] = mapped_column(Integer)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("unit_submission.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("insurance_batch.id"))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id"))
    figures: Mapped[dict] = mapped_column(JSON)  # the counts, amounts and dates printed
    issued_by_name: Mapped[str | None] = mapped_column(String(50))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file: Mapped[StoredFile] = relationship()


class Payout(db.Model):
    """给付信息: a benefit paid to a member under their coverage, recorded by 职保中心."""

    __tablename__ = "insurance_payout"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(
        String(40), unique=True
    )  # 给付编号: re-import is a no-op
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolment.id"))
    item: Mapped[str] = mapped_column(String(50))  # 给付项目
    amount: Mapped[Decimal] = mapped_column(Money)
    paid_on: Mapped[date] = mapped_column(Date)
    remark: Mapped[str | None] = mapped_column(String(200))
    recorded_by_name: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship()
