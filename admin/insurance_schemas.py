"""Schemas of the insurance admin routes (保障类型、集中参保、社保卡参保、即时参保、告知书)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from marshmallow import ValidationError, fields, validate

from unioncard.insurance import rules
from unioncard.insurance.models import (
    CheckStatus,
    EnrolmentKind,
    NoticeKind,
    SubmissionStatus,
)
from unioncard.members.idcard import today_in_china
from unioncard.webfields import Text, Timestamp

from .common import Base, Id, Masked, row_page

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = validate.Range(2000, 2100, error="保障年度应在2000至2100之间")


def AMOUNT(value) -> None:
    """0 to 1,000,000 yuan (a function, not Range: apispec would print Decimal bounds as text)."""
    if not 0 <= value <= 1_000_000:
        raise ValidationError("金额应在0至1000000元之间")


MAX_IDS = validate.Length(max=100_000, error="一次最多勾选100000人")


def Money(**kw):
    return fields.Decimal(allow_nan=False, validate=AMOUNT, **kw)


def MoneyOut(**kw):
    return fields.Decimal(as_string=True, **kw)


def _values(enum_cls):
    return [m.value for m in enum_cls]


def _next_year() -> int:
    return today_in_china().year + 1


# --- plans -----------------------------------------------------------------------------
class PlanIn(Base):
    year = fields.Integer(required=True, validate=YEAR, metadata={"description": "保障年度"})
    name = Text(required=True, validate=validate.Length(1, 50))
    fee = Money(required=True, metadata={"description": "参保费用（元/人）"})
    half_year_fee = Money(allow_none=True, metadata={"description": "半年参保费用（可空）"})
    city_share = Money(required=True, metadata={"description": "市总统一划拨"})
    district_share = Money(required=True, metadata={"description": "区局/各级工会默认缴纳"})
    grassroots_share = Money(required=True, metadata={"description": "基层单位默认缴纳"})
    individual_share = Money(required=True, metadata={"description": "个人参保时本人缴纳"})
    valid_from = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    valid_to = fields.AwareDateTime(required=True, default_timezone=SHANGHAI)
    active = fields.Boolean(load_default=True)


class PlanUpdateIn(Base):
    name = Text(validate=validate.Length(1, 50))
    fee = Money()
    half_year_fee = Money(allow_none=True)
    city_share = Money()
    district_share = Money()
    grassroots_share = Money()
    individual_share = Money()
    valid_from = fields.AwareDateTime(default_timezone=SHANGHAI)
    valid_to = fields.AwareDateTime(default_timezone=SHANGHAI)
    active = fields.Boolean()


class SharesOut(Base):
    fee = MoneyOut()
    city = MoneyOut(metadata={"description": "市总统一划拨"})
    district = MoneyOut(metadata={"description": "区局/各级工会缴纳"})
    grassroots = MoneyOut(metadata={"description": "基层单位缴纳"})
    individual = MoneyOut(metadata={"description": "个人缴纳"})


class PlanOut(Base):
    id = fields.Integer()
    year = fields.Integer()
    name = Text()
    fee = MoneyOut()
    half_year_fee = MoneyOut(allow_none=True)
    city_share = MoneyOut()
    district_share = MoneyOut()
    grassroots_share = MoneyOut()
    individual_share = MoneyOut()
    valid_from = Timestamp()
    valid_to = Timestamp()
    active = fields.Boolean()
    updated_by_name = Text(allow_none=True)
    updated_at = Timestamp()


class PlanWithSplitOut(Base):
    plan = fields.Nested(PlanOut)
    shares = fields.Nested(SharesOut, metadata={"description": "对本单位生效的分摊"})
    split_set = fields.Boolean(metadata={"description": "区局是否已设置本区局的分摊"})


class YearQuery(Base):
    year = fields.Integer(validate=YEAR)


class SplitIn(Base):
    plan_id = Id(required=True)
    district_share = Money(required=True)
    grassroots_share = Money(required=True)


class SplitQuery(Base):
    year = fields.Integer(validate=YEAR)
    plan_id = Id()


# --- campaigns -------------------------------------------------------------------------
class CampaignIn(Base):
    year = fields.Integer(required=True, validate=YEAR)
    split_from = fields.Date(required=True, metadata={"description": "区局保障金额设置开始"})
    split_to = fields.Date(required=True)
    unit_from = fields.Date(required=True, metadata={"description": "基层单位提交开始"})
    unit_to = fields.Date(required=True)
    payment_deadline = fields.Date(required=True, metadata={"description": "划款截止日"})
    district_from = fields.Date(required=True, metadata={"description": "区局提交开始"})
    district_to = fields.Date(required=True)


class CampaignUpdateIn(Base):
    split_from = fields.Date()
    split_to = fields.Date()
    unit_from = fields.Date()
    unit_to = fields.Date()
    payment_deadline = fields.Date()
    district_from = fields.Date()
    district_to = fields.Date()


class WindowOut(Base):
    state = Text(metadata={"description": "未开始/进行中/已结束"})
    days_left = fields.Integer(allow_none=True, metadata={"description": "进行中：含今天还剩几天"})
    days_to_start = fields.Integer(
        allow_none=True, metadata={"description": "未开始：还有几天开始"}
    )


class CampaignOut(CampaignIn):
    id = fields.Integer()
    opened_by_name = Text(allow_none=True)
    updated_at = Timestamp()
    today = fields.Date(metadata={"description": "服务器的今天（上海）"})
    split_window = fields.Nested(WindowOut, metadata={"description": "保障金额设置时间"})
    unit_window = fields.Nested(WindowOut, metadata={"description": "基层单位提交时间"})
    district_window = fields.Nested(WindowOut, metadata={"description": "区局提交时间"})


# --- collective ------------------------------------------------------------------------
class UnionYearQuery(Base):
    year = fields.Integer(validate=YEAR, load_default=_next_year)


class MemberFilter(UnionYearQuery):
    name = Text(validate=validate.Length(max=100))
    member_no = Text(validate=validate.Length(max=10))
    id_number = Text(validate=validate.Length(max=30))


class EligibleQuery(MemberFilter):
    retirement_warning = fields.Boolean(metadata={"description": "只看（或排除）退休预警会员"})


class StatsOut(Base):
    year = fields.Integer()
    total = fields.Integer(metadata={"description": "会员总人数"})
    with_card = fields.Integer(metadata={"description": "有卡总会员数"})
    submitted = fields.Integer(metadata={"description": "集中参保已提交人数"})
    without_card = fields.Integer(metadata={"description": "未办卡人数"})
    retired = fields.Integer(metadata={"description": "退休人数"})
    deceased = fields.Integer(metadata={"description": "死亡人数"})
    to_confirm = fields.Integer(metadata={"description": "待确认人数"})
    line = Text(metadata={"description": "统计行"})


class ConfirmIn(Base):
    year = fields.Integer(required=True, validate=YEAR)
    member_id = Id(required=True)


class ConfirmAllIn(Base):
    year = fields.Integer(required=True, validate=YEAR)


class CountOut(Base):
    count = fields.Integer()
    message = Text()


class MemberRowOut(Base):
    member_id = fields.Integer()
    org_id = fields.Integer()
    member_no = Text(allow_none=True)
    name = Text()
    gender = Text()
    birth_date = fields.Date()
    id_type = Text()
    id_number = Masked("id_number")
    card_no = Masked("card_no", metadata={"description": "会员卡号（脱敏）"})
    card_status = Text(allow_none=True)
    insurance_status = Text(metadata={"description": "人保状态"})
    social_card_status = Text(allow_none=True, metadata={"description": "社保卡状态"})
    employment_status = Text(allow_none=True, metadata={"description": "就业状态"})
    start_date = fields.Date(metadata={"description": "起保日期"})
    end_date = fields.Date(metadata={"description": "终保日期"})
    coverage = Text(metadata={"description": "半年/全年"})
    retirement_warning = fields.Boolean(
        metadata={"description": "按出生日期将于保障年度开始前达到法定退休年龄（人保库未报告）"}
    )
    reason = Text(allow_none=True, metadata={"description": "待校验原因"})


def _member_row(member, card, warning, coverage: rules.Coverage, reason=None) -> dict:
    return {
        "member_id": member.id,
        "org_id": member.org_id,
        "member_no": member.member_no,
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date,
        "id_type": member.id_type,
        "id_number": member.id_number,
        "card_no": card.card_no if card else None,
        "card_status": card.status.value if card else None,
        "insurance_status": member.insurance_status.value,
        "social_card_status": member.social_card_status.value
        if member.social_card_status
        else None,
        "employment_status": member.employment_status.value if member.employment_status else None,
        "start_date": coverage.start,
        "end_date": coverage.end,
        "coverage": coverage.label,
        "retirement_warning": bool(warning),
        "reason": reason,
    }


def present_collective(row) -> dict:
    member, card, warning, year = row
    return _member_row(member, card, warning, rules.collective_coverage(year))


def present_confirm(row) -> dict:
    member, warning, year = row
    return _member_row(member, None, warning, rules.collective_coverage(year))


def present_social(row) -> dict:
    from unioncard.insurance.social import reason_for

    member, warning, year = row
    state, reason = reason_for(member, year)
    return _member_row(
        member,
        None,
        warning,
        rules.collective_coverage(year),
        reason if state == "待校验" else None,
    )


def present_instant(row) -> dict:
    member, card, _warning, _year = row
    today = today_in_china()
    coverage = rules.instant_coverage(today)
    half = coverage.start.month > 6
    return _member_row(member, card, False, rules.Coverage(coverage.start, coverage.end, half))


CollectivePage = row_page(present_collective)
SocialPage = row_page(present_social)
InstantPage = row_page(present_instant)


class CollectiveSubmitIn(Base):
    kind = Text(
        required=True,
        validate=validate.OneOf([EnrolmentKind.CARD.value, EnrolmentKind.SOCIAL.value]),
        metadata={"description": "会员卡参保 / 社保卡参保"},
    )
    plan_id = Id(required=True, metadata={"description": "保障类型"})
    year = fields.Integer(required=True, validate=YEAR)
    member_ids = fields.List(
        Id(), validate=MAX_IDS, metadata={"description": "勾选的会员（社保卡参保必填）"}
    )
    exclude_member_ids = fields.List(
        Id(), validate=MAX_IDS, metadata={"description": "会员卡参保：手动排除的会员"}
    )


class SocialSubmitIn(Base):
    plan_id = Id(required=True)
    year = fields.Integer(required=True, validate=YEAR)
    member_ids = fields.List(Id(), required=True, validate=[MAX_IDS, validate.Length(min=1)])


class PreviewOut(Base):
    org_id = fields.Integer()
    year = fields.Integer()
    kind = Text()
    plan_id = fields.Integer()
    plan_name = Text()
    count = fields.Integer(metadata={"description": "可参保人数"})
    not_eligible = fields.Integer(metadata={"description": "勾选但已不符合条件的人数"})
    shares = fields.Nested(SharesOut)
    totals = fields.Nested(SharesOut)
    payment_deadline = fields.Date()
    start_date = fields.Date()
    end_date = fields.Date()
    unit_from = fields.Date()
    unit_to = fields.Date()
    in_window = fields.Boolean()
    fixed_plan_name = Text(allow_none=True, metadata={"description": "本年度已确定的保障类型"})
    fixed_plan_id = fields.Integer(allow_none=True)
    fixed_by_kind = Text(
        allow_none=True, metadata={"description": "确定保障类型的参保渠道（首次提交的渠道）"}
    )
    plan_conflict = Text(
        allow_none=True,
        metadata={
            "description": "所选保障类型与本年度已确定的不同：原因与应选的保障类型；提交将被拒绝"
        },
    )
    summary = Text()
    payment_text = Text()
    important = Text(metadata={"description": "【重要提示】"})
    stats = fields.Nested(StatsOut)
    stats_line = Text()
    confirm_text = Text()


class UnitSubmissionOut(Base):
    id = fields.Integer()
    submission_no = fields.Function(
        lambda s: f"TJ{s.submitted_at.astimezone(SHANGHAI):%Y%m%d}{s.id:06d}",
        metadata={"type": "string", "description": "批次编号"},
    )
    org_id = fields.Integer()
    org_name = Text(attribute="org.name")
    year = fields.Integer()
    plan_id = fields.Integer()
    plan_name = Text(attribute="plan.name")
    kind = Text(attribute="kind.value", metadata={"description": "参保类型"})
    status = Text(attribute="status.value", metadata={"description": "状态"})
    member_count = fields.Integer(metadata={"description": "参保人数"})
    fee_total = MoneyOut()
    city_total = MoneyOut()
    district_total = MoneyOut()
    grassroots_total = MoneyOut()
    submitted_by_name = Text(allow_none=True)
    submitted_at = Timestamp(metadata={"description": "提交时间"})
    updated_at = Timestamp(metadata={"description": "最后更新时间"})
    return_reason = Text(allow_none=True, metadata={"description": "退回原因"})
    notice_id = fields.Function(
        lambda s: getattr(getattr(s, "notice", None), "id", None),
        allow_none=True,
        metadata={"type": "integer", "description": "本次生成的告知书"},
    )


class SubmissionQuery(Base):
    org_id = Id()
    year = fields.Integer(validate=YEAR)
    kind = Text(validate=validate.OneOf(_values(EnrolmentKind)))
    status = Text(validate=validate.OneOf(_values(SubmissionStatus)))
    submitted_from = fields.AwareDateTime(default_timezone=SHANGHAI)
    submitted_to = fields.AwareDateTime(default_timezone=SHANGHAI)


class EnrolledOut(MemberRowOut):
    enrolment_id = fields.Integer()
    kind = Text()
    status = Text()
    fee = MoneyOut()


def present_enrolled(row) -> dict:
    enrolment, member, card = row
    coverage = rules.Coverage(enrolment.start_date, enrolment.end_date, enrolment.half_year)
    return _member_row(member, card, False, coverage) | {
        "enrolment_id": enrolment.id,
        "kind": enrolment.kind.value,
        "status": enrolment.status.value,
        "fee": enrolment.fee,
    }


EnrolledPage = row_page(present_enrolled)


# --- social checks ---------------------------------------------------------------------
class CheckIn(Base):
    year = fields.Integer(validate=YEAR, load_default=_next_year)


class CheckOut(Base):
    id = fields.Integer()
    org_id = fields.Integer()
    status = Text(attribute="status.value")
    member_count = fields.Integer()
    answered_count = fields.Integer()
    expected_by = fields.Date(metadata={"description": "预计返回日期（下一个工作日）"})
    requested_by_name = Text(allow_none=True)
    requested_at = Timestamp()
    answered_at = Timestamp(allow_none=True)
    error = Text(allow_none=True)


class CheckQuery(Base):
    org_id = Id()
    status = Text(validate=validate.OneOf(_values(CheckStatus)))


class SocialQuery(MemberFilter):
    social_card_status = Text(
        validate=validate.OneOf(["正常", "封存", "未获取"]), metadata={"description": "社保卡状态"}
    )


# --- instant ---------------------------------------------------------------------------
INSTANT_KINDS = [EnrolmentKind.CARD_NO_COVER.value, EnrolmentKind.NEW_CARD.value]


class InstantQuery(Base):
    kind = Text(validate=validate.OneOf(INSTANT_KINDS), load_default="有卡无保")
    name = Text(validate=validate.Length(max=100))
    member_no = Text(validate=validate.Length(max=10))
    id_number = Text(validate=validate.Length(max=30))


class InstantSubmitIn(Base):
    kind = Text(required=True, validate=validate.OneOf(INSTANT_KINDS))
    plan_id = Id(required=True)
    member_ids = fields.List(Id(), required=True, validate=[MAX_IDS, validate.Length(min=1)])


# --- notices ---------------------------------------------------------------------------
class NoticeOut(Base):
    id = fields.Integer()
    org_id = fields.Integer()
    kind = Text(attribute="kind.value")
    year = fields.Integer()
    submission_id = fields.Integer(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    figures = fields.Dict()
    issued_by_name = Text(allow_none=True)
    issued_at = Timestamp()


class NoticeQuery(Base):
    org_id = Id()
    year = fields.Integer(validate=YEAR)
    kind = Text(validate=validate.OneOf(_values(NoticeKind)))
    submission_id = Id()
