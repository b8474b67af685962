"""Schemas of the district review, batches, queries and payouts (admin/insurance_review.py)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, validate

from unioncard.insurance.models import (
    BatchSource,
    EnrolmentKind,
    EnrolmentStatus,
    InsuranceBatchStatus,
)
from unioncard.webfields import Text, Timestamp

from .common import Base, Id, Masked

YEAR = validate.Range(2000, 2100)
Day = fields.Date


def Short(n: int, **kw) -> Text:
    return Text(validate=validate.Length(max=n), **kw)


# --- review --------------------------------------------------------------------------
class InsReviewQuery(Base):
    org_name = Short(100, metadata={"description": "单位名称（包含）"})
    uscc = Short(30, metadata={"description": "组织机构代码（包含）"})
    submitted_from = Day(metadata={"description": "提交时间起（含）"})
    submitted_to = Day(metadata={"description": "提交时间止（含）"})
    parent_id = Id(metadata={"description": "上级工会（其下所有单位）"})
    plan_id = Id(metadata={"description": "保障类型"})
    kind = Text(
        validate=validate.OneOf([k.value for k in EnrolmentKind]),
        metadata={
            "description": "参保通道：会员卡参保/社保卡参保（即时：有卡无保/新办卡/个人参保）"
        },
    )
    year = fields.Integer(validate=YEAR, metadata={"description": "保障年度"})


class InsAmountTotals(Base):
    """The fee and its split, summed (合计)."""

    fee_total = fields.Decimal(as_string=True, metadata={"description": "保障费用"})
    city_total = fields.Decimal(as_string=True, metadata={"description": "市总统一划拨"})
    district_total = fields.Decimal(as_string=True, metadata={"description": "区局/各级工会缴费"})
    grassroots_total = fields.Decimal(as_string=True, metadata={"description": "基层单位缴费"})


class InsSubmissionOut(InsAmountTotals):
    id = fields.Integer()
    org_id = fields.Integer()
    org_name = Text(metadata={"description": "单位名称"})
    uscc = Text(allow_none=True, metadata={"description": "组织机构代码"})
    parent_name = Text(allow_none=True, metadata={"description": "上级工会"})
    district_id = fields.Integer()
    year = fields.Integer(metadata={"description": "保障年度"})
    plan_id = fields.Integer()
    plan_name = Text(metadata={"description": "保障类型"})
    kind = Text(metadata={"description": "参保类型（通道）"})
    status = Text()
    member_count = fields.Integer(metadata={"description": "参保人数"})
    submitted_by_name = Text(allow_none=True)
    submitted_at = Timestamp(metadata={"description": "提交时间"})
    decided_by_name = Text(allow_none=True)
    decided_at = Timestamp(allow_none=True)
    return_reason = Text(allow_none=True, metadata={"description": "退回/拒绝原因"})
    batch_id = fields.Integer(allow_none=True)


class InsIdsIn(Base):
    submission_ids = fields.List(Id(), required=True, validate=validate.Length(1, 500))


class InsReasonIn(Base):
    reason = Text(required=True, validate=validate.Length(1, 500))


class InsRefuseIn(InsIdsIn):
    reason = Text(required=True, validate=validate.Length(1, 500))


class InsTotalsQuery(Base):
    year = fields.Integer(validate=YEAR)


class InsTotalsOut(InsAmountTotals):
    submission_count = fields.Integer(metadata={"description": "单位提交数"})
    member_count = fields.Integer(metadata={"description": "合计参保人数"})
    card_count = fields.Integer(metadata={"description": "会员卡参保人数"})
    social_count = fields.Integer(metadata={"description": "社保卡参保人数"})


class InsSubmitIn(Base):
    handler_name = Text(
        required=True, validate=validate.Length(1, 50), metadata={"description": "经办人"}
    )
    handler_phone = Text(
        required=True, validate=validate.Length(1, 20), metadata={"description": "手机号"}
    )
    handler_email = Text(
        required=True, validate=validate.Length(1, 100), metadata={"description": "邮箱"}
    )
    year = fields.Integer(
        validate=YEAR, metadata={"description": "保障年度（列表只有一个年度时可省略）"}
    )


class InsEnrolmentOut(Base):
    id = fields.Integer()
    member_id = fields.Integer()
    member_no = Text(allow_none=True)
    name = Text()
    id_type = Text()
    id_number = Masked("id_number")
    kind = Text()
    status = Text()
    start_date = fields.Date()
    end_date = fields.Date()
    half_year = fields.Boolean()
    fee = fields.Decimal(as_string=True)
    failed_reason = Text(allow_none=True)


def present_enrolment(row) -> dict:
    e, m = row
    return {
        "id": e.id,
        "member_id": m.id,
        "member_no": m.member_no,
        "name": m.name,
        "id_type": m.id_type,
        "id_number": m.id_number,
        "kind": e.kind.value,
        "status": e.status.value,
        "start_date": e.start_date,
        "end_date": e.end_date,
        "half_year": e.half_year,
        "fee": e.fee,
        "failed_reason": e.failed_reason,
    }


# --- batches -------------------------------------------------------------------------
class InsBatchQuery(Base):
    batch_no = Short(30, metadata={"description": "批次编号（包含）"})
    confirmed_from = Day(metadata={"description": "职保中心确认时间起"})
    confirmed_to = Day(metadata={"description": "职保中心确认时间止"})
    status = Text(validate=validate.OneOf([s.value for s in InsuranceBatchStatus]))
    source = Text(validate=validate.OneOf([s.value for s in BatchSource]))
    year = fields.Integer(validate=YEAR)
    org_id = Id(metadata={"description": "区局"})


class InsBatchOut(InsAmountTotals):
    id = fields.Integer()
    batch_no = Text(metadata={"description": "批次编号"})
    org_id = fields.Integer()
    org_name = Text()
    year = fields.Integer()
    source = Text(metadata={"description": "批次来源：集中参保/即时参保"})
    status = Text(metadata={"description": "待缴费/已上传凭证/已完成/参保失败"})
    member_count = fields.Integer(metadata={"description": "参保人数"})
    card_count = fields.Integer()
    social_count = fields.Integer()
    payment_deadline = fields.Date(allow_none=True, metadata={"description": "缴费截止日"})
    handler_name = Text(allow_none=True, metadata={"description": "经办人"})
    handler_phone = Masked("mobile", metadata={"description": "经办人手机号（脱敏）"})
    handler_email = Text(allow_none=True)
    submitted_by_name = Text(allow_none=True)
    submitted_at = Timestamp(metadata={"description": "提交时间"})
    updated_at = Timestamp(metadata={"description": "最后更新时间"})
    has_voucher = fields.Boolean()
    voucher_uploaded_at = Timestamp(allow_none=True, metadata={"description": "凭证上传时间"})
    voucher_uploaded_by_name = Text(allow_none=True)
    confirmed_at = Timestamp(allow_none=True, metadata={"description": "职保中心确认时间"})
    confirmed_by_name = Text(allow_none=True)
    failed_at = Timestamp(allow_none=True)


class InsBatchSubmissionOut(Base):
    id = fields.Integer()
    org_id = fields.Integer()
    org_name = Text()
    plan_name = Text()
    kind = Text()
    status = Text()
    member_count = fields.Integer()
    fee_total = fields.Decimal(as_string=True)
    submitted_at = Timestamp()


class InsBatchDetailOut(InsBatchOut):
    submissions = fields.List(fields.Nested(InsBatchSubmissionOut))
    by_kind = fields.Dict(keys=Text(), values=fields.Integer())
    by_status = fields.Dict(keys=Text(), values=fields.Integer())


class InsVoucherForm(Base):
    filename = Short(150, metadata={"description": "文件名称（可选，默认用上传文件名）"})


class InsVoucherFile(Base):
    file = Upload(required=True, metadata={"description": "缴费凭证：JPG/PNG 图片或 PDF，≤5MB"})


class InsMonitorQuery(Base):
    year = fields.Integer(validate=YEAR, metadata={"description": "保障年度，默认明年"})


class InsStatusCount(Base):
    status = Text()
    submissions = fields.Integer()
    members = fields.Integer()


class InsOrgCount(Base):
    org_id = fields.Integer()
    org_name = Text()
    submissions = fields.Integer()
    members = fields.Integer()
    by_status = fields.Dict(keys=Text(), values=fields.Integer())
    by_kind = fields.Dict(
        keys=Text(), values=fields.Integer(), metadata={"description": "各参保通道人数"}
    )


class InsBatchCount(Base):
    status = Text()
    batches = fields.Integer()
    members = fields.Integer()


class InsMonitorOut(Base):
    year = fields.Integer()
    by_district = fields.List(fields.Nested(InsOrgCount))
    by_unit = fields.List(fields.Nested(InsOrgCount))
    by_status = fields.List(fields.Nested(InsStatusCount))
    batches = fields.List(fields.Nested(InsBatchCount))


# --- queries and payouts -------------------------------------------------------------
class InsMemberQuery(Base):
    name = Short(100, metadata={"description": "姓名（包含）"})
    id_number = Short(30, metadata={"description": "证件号码（完整）"})
    member_no = Short(10, metadata={"description": "会员编号"})
    org_id = Id(metadata={"description": "单位（含下级）"})
    year = fields.Integer(validate=YEAR)


class InsCoverageQuery(InsMemberQuery):
    status = Text(validate=validate.OneOf([s.value for s in EnrolmentStatus]))
    kind = Text(validate=validate.OneOf([k.value for k in EnrolmentKind]))
    covered_on = Day(metadata={"description": "在该日有效保障的"})


class InsCoverageOut(InsEnrolmentOut):
    org_id = fields.Integer()
    org_name = Text()
    year = fields.Integer()
    plan_name = Text()
    city_share = fields.Decimal(as_string=True)
    district_share = fields.Decimal(as_string=True)
    grassroots_share = fields.Decimal(as_string=True)
    individual_share = fields.Decimal(as_string=True)
    batch_no = Text(allow_none=True)
    status_changed_at = Timestamp()


class InsPayoutQuery(InsMemberQuery):
    reference = Short(40, metadata={"description": "给付编号"})


class InsPayoutIn(Base):
    reference = Text(required=True, validate=validate.Length(1, 40))
    id_number = Text(required=True, validate=validate.Length(1, 30))
    item = Text(required=True, validate=validate.Length(1, 50))
    amount = Text(
        required=True,
        validate=validate.Length(1, 20),
        metadata={"description": "给付金额（元），大于0，最多两位小数，如 1200.50"},
    )
    paid_on = fields.Date(required=True)
    remark = Text(allow_none=True, validate=validate.Length(max=200))


class InsPayoutOut(Base):
    id = fields.Integer()
    reference = Text()
    member_id = fields.Integer()
    member_no = Text(allow_none=True)
    name = Text()
    id_type = Text()
    id_number = Masked("id_number")
    org_id = fields.Integer()
    org_name = Text()
    year = fields.Integer()
    enrolment_id = fields.Integer(allow_none=True)
    item = Text()
    amount = fields.Decimal(as_string=True)
    paid_on = fields.Date()
    remark = Text(allow_none=True)
    recorded_by_name = Text(allow_none=True)
    created_at = Timestamp()


class InsPayoutFile(Base):
    file = Upload(required=True, metadata={"description": "填写好的给付信息（.xlsx）"})


class InsPayoutImportOut(Base):
    rows = fields.Integer(metadata={"description": "文件行数"})
    created = fields.Integer(metadata={"description": "新登记"})
    skipped = fields.Integer(metadata={"description": "给付编号已登记（未改动）"})


# --- messages ------------------------------------------------------------------------
class InsMessageQuery(Base):
    unread = fields.Boolean(metadata={"description": "true 只看未读，false 只看已读"})
    topic = Short(30)


class InsMessageOut(Base):
    id = fields.Integer()
    org_id = fields.Integer()
    topic = Text()
    title = Text()
    body = Text()
    created_at = Timestamp()
    read_at = Timestamp(allow_none=True)


class InsReadIn(Base):
    ids = fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "要标记为已读的消息；为空时全部标记"},
    )


class InsReadOut(Base):
    marked = fields.Integer()
    unread = fields.Integer()
