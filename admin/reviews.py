"""The annual review (年审): unit information, members by list or file, upper-union approval."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import fields, pre_dump, validate

from unioncard.openapi import Blueprint
from unioncard.orgs.models import UnitType
from unioncard.reviews import marks, reminders, services
from unioncard.reviews.models import FailReason, MarkSource, ReviewStatus
from unioncard.webfields import Text, Timestamp

from .common import Base, Id, Masked, RowPage, SelectPage
from .imports import XLSX_DOC, _xlsx
from .security import current_scope, ip, requires

blp = Blueprint("admin_reviews", __name__, url_prefix="/api/admin/v1/reviews", description="年审")

REASONS = [r.value for r in FailReason]


class ReviewCreate(Base):
    org_id = Id(metadata={"description": "进行年审的基层工会，默认本单位"})


class ReviewQuery(Base):
    year = fields.Integer(validate=validate.Range(2000, 2100), metadata={"description": "年度"})
    status = Text(validate=validate.OneOf([s.value for s in ReviewStatus]))
    org_id = Id(metadata={"description": "工会（含下级）"})


class ReviewCountsOut(Base):
    members = fields.Integer(metadata={"description": "参加年审的会员（状态正常）"})
    passed = fields.Integer(metadata={"description": "通过"})
    failed = fields.Integer(metadata={"description": "不通过"})
    by_reason = fields.Dict(
        keys=Text(), values=fields.Integer(), metadata={"description": "按原因"}
    )


class ReviewOut(Base):
    id = fields.Integer()
    org_id = Id()
    org_name = Text(attribute="org.name")
    year = fields.Integer()
    status = Text(metadata={"description": "进行中/待审核/已退回/已通过"})
    unit_info = fields.Dict(allow_none=True, metadata={"description": "确认时的单位信息"})
    unit_confirmed_at = Timestamp(allow_none=True)
    unit_confirmed_by_name = Text(allow_none=True)
    started_by_name = Text(allow_none=True)
    created_at = Timestamp()
    submitted_at = Timestamp(allow_none=True)
    submitted_by_name = Text(allow_none=True)
    decided_at = Timestamp(allow_none=True)
    decided_by_name = Text(allow_none=True)
    decision_reason = Text(allow_none=True, metadata={"description": "最近一次退回原因"})
    reviewed_count = fields.Integer(allow_none=True)
    failed_count = fields.Integer(allow_none=True)


class ReviewDetailOut(ReviewOut):
    counts = fields.Nested(ReviewCountsOut, allow_none=True)


class ReviewUnitIn(Base):
    name = Text(validate=validate.Length(1, 100), metadata={"description": "工会全称"})
    uscc = Text(validate=validate.Length(1, 30), metadata={"description": "统一社会信用代码"})
    unit_type = Text(
        validate=validate.OneOf([u.value for u in UnitType]),
        metadata={"description": "34 机关事业单位 / 60 企业 / 39 其他"},
    )
    address = Text(allow_none=True, validate=validate.Length(max=200))
    contact_name = Text(allow_none=True, validate=validate.Length(max=50))
    contact_phone = Text(allow_none=True, validate=validate.Length(max=30))


class ReviewMemberQuery(Base):
    name = Text(validate=validate.Length(max=100), metadata={"description": "姓名包含"})
    result = Text(validate=validate.OneOf([marks.PASSED, marks.FAILED]))
    reason = Text(validate=validate.OneOf(REASONS))


class ReviewedMemberOut(Base):
    member_id = fields.Integer()
    member_no = Text(allow_none=True)
    name = Text()
    id_type = Text()
    id_number = Masked("id_number", metadata={"description": "证件号码（脱敏）"})
    gender = Text()
    status = Text(metadata={"description": "会员当前状态"})
    result = Text(metadata={"description": "通过/不通过"})
    reason = Text(allow_none=True, metadata={"description": "不通过原因"})
    source = Text(allow_none=True, metadata={"description": "标记方式：列表/文件"})
    remark = Text(allow_none=True)

    @pre_dump
    def unpack(self, row, **kwargs):
        if not isinstance(row, marks.ReviewedMember):  # a row of the members' select
            row = marks.ReviewedMember(*row)
        member, reason, source, remark = row.member, row.reason, row.source, row.remark
        return {
            "member_id": member.id,
            "member_no": member.member_no,
            "name": member.name,
            "id_type": member.id_type,
            "id_number": member.id_number,
            "gender": member.gender,
            "status": member.status.value,
            "result": marks.FAILED if reason else marks.PASSED,
            "reason": reason.value if reason else None,
            "source": MarkSource(source).value if source else None,
            "remark": remark,
        }


class ReviewMarkIn(Base):
    reason = Text(required=True, validate=validate.OneOf(REASONS))
    remark = Text(allow_none=True, validate=validate.Length(max=200))


class ReviewUploadFile(Base):
    file = Upload(required=True, metadata={"description": "填写好的年审不通过人员名单（.xlsx）"})


class ReviewUploadOut(Base):
    rows = fields.Integer(metadata={"description": "名单人数"})
    added = fields.Integer(metadata={"description": "新标记"})
    changed = fields.Integer(metadata={"description": "改变了原因或备注"})
    counts = fields.Nested(ReviewCountsOut)


class ReviewRejectIn(Base):
    reason = Text(required=True, validate=validate.Length(1, 500))


class ReviewPendingQuery(Base):
    year = fields.Integer(
        validate=validate.Range(2000, 2100), metadata={"description": "年度，默认今年"}
    )


class ReviewPendingOut(Base):
    org_id = Id()
    org_name = Text()
    parent_name = Text(allow_none=True)
    year = fields.Integer()
    review_id = fields.Integer(allow_none=True, metadata={"description": "尚未发起时为空"})
    review_status = Text(allow_none=True)
    last_reminded_at = Timestamp(allow_none=True)


class ReviewReminderIn(Base):
    org_ids = fields.List(Id(), required=True, validate=validate.Length(1, 500))
    year = fields.Integer(
        validate=validate.Range(2000, 2100), metadata={"description": "年度，默认今年"}
    )
    message = Text(allow_none=True, validate=validate.Length(max=500))


class ReviewReminderOut(Base):
    id = fields.Integer()
    org_id = Id()
    org_name = Text(attribute="org.name")
    year = fields.Integer()
    message = Text()
    sender_org_name = Text(attribute="sender_org.name")
    sent_by_name = Text(allow_none=True)
    sent_at = Timestamp()


class ReviewReminderQuery(Base):
    year = fields.Integer(validate=validate.Range(2000, 2100))


@blp.post("")
@blp.arguments(ReviewCreate)
@blp.response(201, ReviewDetailOut)
@requires("member.write")
def start_review(data):
    """发起本年度年审（基层工会，每年一次）"""
    return services.start_review(current_scope(), data.get("org_id"), ip=ip())


@blp.get("")
@blp.arguments(ReviewQuery, location="query")
@blp.response(200, ReviewOut(many=True))
@blp.paginate(SelectPage)
@requires("member.read")
def list_reviews(query):
    """年审列表（本单位及下级）"""
    return services.list_reviews(current_scope(), **query)


@blp.get("/pending-units")
@blp.arguments(ReviewPendingQuery, location="query")
@blp.response(200, ReviewPendingOut(many=True))
@blp.paginate(RowPage)
@requires("member.review")
def pending_units(query):
    """下级基层工会中本年度尚未完成年审的单位"""
    return reminders.pending_units(current_scope(), query.get("year"))


@blp.post("/reminders")
@blp.arguments(ReviewReminderIn)
@blp.response(201, ReviewReminderOut(many=True))
@requires("member.review")
def send_reminders(data):
    """提醒下级基层工会完成年审"""
    return reminders.send_reminders(
        current_scope(),
        data["org_ids"],
        year=data.get("year"),
        message=data.get("message"),
        ip=ip(),
    )


@blp.get("/reminders")
@blp.arguments(ReviewReminderQuery, location="query")
@blp.response(200, ReviewReminderOut(many=True))
@blp.paginate(SelectPage)
@requires("member.read")
def my_reminders(query):
    """本单位收到的年审提醒"""
    return reminders.my_reminders(current_scope(), **query)


@blp.get("/<int:review_id>")
@blp.response(200, ReviewDetailOut)
@requires("member.read")
def get_review(review_id):
    """年审详情：单位信息、状态和人数统计"""
    return services.review_detail(current_scope(), review_id)


@blp.put("/<int:review_id>/unit")
@blp.arguments(ReviewUnitIn)
@blp.response(200, ReviewDetailOut)
@requires("member.write")
def confirm_unit(data, review_id):
    """第一步：修改或确认单位信息"""
    return services.confirm_unit(current_scope(), review_id, data, ip=ip())


@blp.get("/<int:review_id>/members")
@blp.arguments(ReviewMemberQuery, location="query")
@blp.response(200, ReviewedMemberOut(many=True))
@blp.paginate(RowPage)
@requires("member.read")
def review_members(query, review_id):
    """第二步（列表年审）：会员及年审结果，可按姓名、结果、原因筛选"""
    return marks.review_members(current_scope(), review_id, query)


@blp.put("/<int:review_id>/marks/<int:member_id>")
@blp.arguments(ReviewMarkIn)
@blp.response(200, ReviewedMemberOut)
@requires("member.write")
def mark(data, review_id, member_id):
    """标记会员年审不通过（退休/离职/死亡）"""
    return marks.mark(current_scope(), review_id, member_id, data, ip=ip())


@blp.delete("/<int:review_id>/marks/<int:member_id>")
@blp.response(200, ReviewedMemberOut)
@requires("member.write")
def unmark(review_id, member_id):
    """取消不通过标记"""
    return marks.unmark(current_scope(), review_id, member_id, ip=ip())


@blp.get("/<int:review_id>/template")
@blp.doc(**XLSX_DOC)
@requires("member.write")
def template(review_id):
    """下载年审批量导入模板（导入文件年审）"""
    return _xlsx(*marks.template_for(current_scope(), review_id))


@blp.post("/<int:review_id>/upload")
@blp.arguments(ReviewUploadFile, location="files")
@blp.response(200, ReviewUploadOut)
@requires("member.write")
def upload(files, review_id):
    """导入文件年审：上传不通过人员名单，全部无误才合并到标记中"""
    storage = files["file"]
    return marks.upload(current_scope(), review_id, storage.filename or "", storage.read(), ip=ip())


@blp.post("/<int:review_id>/submit")
@blp.response(200, ReviewDetailOut)
@requires("member.write")
def submit(review_id):
    """提交年审，等待上级工会审核"""
    return services.submit(current_scope(), review_id, ip=ip())


@blp.post("/<int:review_id>/approve")
@blp.response(200, ReviewDetailOut)
@requires("member.review", explain=services.own_review_refusal)
def approve(review_id):
    """上级工会审核通过：不通过的会员离会（状态变更并留有记录）"""
    return services.approve(current_scope(), review_id, ip=ip())


@blp.post("/<int:review_id>/reject")
@blp.arguments(ReviewRejectIn)
@blp.response(200, ReviewDetailOut)
@requires("member.review", explain=services.own_review_refusal)
def reject(data, review_id):
    """上级工会退回年审（须填写原因），基层工会修改后可重新提交"""
    return services.reject(current_scope(), review_id, data["reason"], ip=ip())
