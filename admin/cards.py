"""会员服务卡办理 (admin): card info, the pending list, checks, batches, revocation, card log."""

from __future__ import annotations

import io
from urllib.parse import quote

from flask import send_file
from flask_smorest import Blueprint
from marshmallow import fields, validate

from unioncard.cards import batches, checks, lifecycle, pending, roster
from unioncard.cards.models import (
    BatchStatus,
    CardStatus,
    Channel,
    RevocationStatus,
    Verification,
)
from unioncard.members.idcard import ID_TYPES

from .common import Base, Id, Masked, Message, SelectPage, row_page
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_cards", __name__, url_prefix="/api/admin/v1/cards", description="会员服务卡办理"
)

CHANNELS = [c.value for c in Channel]


def _values(enum_cls):
    return [m.value for m in enum_cls]


def present(row) -> dict:
    member, card = row
    return {
        "member_id": member.id,
        "org_id": member.org_id,
        "member_no": member.member_no,
        "name": member.name,
        "id_type": member.id_type,
        "id_number": member.id_number,
        "id_expiry": member.id_expiry,
        "gender": member.gender,
        "work_address": member.work_address,
        "status": card.status.value if card else CardStatus.NONE.value,
        "channel": card.channel.value if card else None,
        "channel_reason": card.channel_reason if card else None,
        "verification": card.verification.value if card else None,
        "verification_reasons": card.verification_reasons if card else [],
        "info_complete": card.info_complete if card else None,
        "pending_since": card.pending_since if card else None,
        "applied_at": card.applied_at if card else None,
        "card_no": card.card_no if card else None,
        "failure_reason": card.failure_reason if card else None,
        "batch_id": card.batch_id if card else None,
        "delivered_at": card.delivered_at if card else None,
    }


CardPage = row_page(present)


class CardRowOut(Base):
    member_id = fields.Integer()
    org_id = fields.Integer()
    member_no = fields.String(allow_none=True)
    name = fields.String()
    id_type = fields.String()
    id_number = Masked("id_number")
    id_expiry = fields.Date(allow_none=True)
    gender = fields.String()
    work_address = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "办理状态"})
    channel = fields.String(allow_none=True, metadata={"description": "申请通道 普通/特殊"})
    channel_reason = fields.String(allow_none=True)
    verification = fields.String(allow_none=True, metadata={"description": "信息校验结果"})
    verification_reasons = fields.List(fields.String())
    info_complete = fields.Boolean(allow_none=True, metadata={"description": "信息完善状态"})
    pending_since = fields.DateTime(allow_none=True, metadata={"description": "加入待办时间"})
    applied_at = fields.DateTime(allow_none=True, metadata={"description": "申办时间"})
    card_no = Masked("card_no", metadata={"description": "银行卡号（脱敏）"})
    failure_reason = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)


class CardQuery(Base):
    org_id = Id()
    name = fields.String()
    id_number = fields.String()
    address = fields.String()
    gender = fields.String(validate=validate.OneOf(["男", "女"]))
    card_status = fields.String(validate=validate.OneOf(_values(CardStatus)))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    applied_from = fields.DateTime()
    applied_to = fields.DateTime()


class AddIn(Base):
    member_ids = fields.List(Id(), metadata={"description": "勾选的会员；不传则添加全部可办卡会员"})
    org_id = Id(metadata={"description": "添加全部时的基层工会，默认本单位"})


class Refused(Base):
    member_id = fields.Integer()
    name = fields.String(allow_none=True)
    reason = fields.String()


class AddOut(Base):
    added = fields.Integer()
    refused = fields.List(fields.Nested(Refused))


class PendingQuery(Base):
    org_id = Id()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    verification = fields.String(validate=validate.OneOf(_values(Verification)))
    info_complete = fields.Boolean()
    name = fields.String()
    id_number = fields.String()


class OrgIn(Base):
    org_id = Id()


class ChannelCounts(Base):
    total = fields.Integer()
    passed = fields.Integer()
    failed = fields.Integer()
    unchecked = fields.Integer()
    checking = fields.Integer()


class SpecialCounts(Base):
    total = fields.Integer()
    complete = fields.Integer()
    incomplete = fields.Integer()


class SummaryOut(Base):
    org_id = fields.Integer()
    normal = fields.Nested(ChannelCounts)
    special = fields.Nested(SpecialCounts)


class ExpiryIn(Base):
    id_expiry = fields.Date(required=True)


class ChannelIn(Base):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))


class RemoveUnreadyIn(OrgIn):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))


class InfoIn(Base):
    id_type = fields.String(required=True, validate=validate.OneOf(ID_TYPES))
    id_expiry = fields.Date(required=True)
    country = fields.String(required=True, validate=validate.Length(1, 50))


class Count(Base):
    count = fields.Integer()
    message = fields.String()


class SubmitIn(OrgIn):
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    branch_code = fields.String(required=True, validate=validate.Length(1, 20))


class BatchOut(Base):
    id = fields.Integer()
    batch_no = fields.String(metadata={"description": "批次编号"})
    org_id = fields.Integer()
    channel = fields.String()
    status = fields.String()
    branch_code = fields.String()
    branch_name = fields.String()
    branch_address = fields.String(metadata={"description": "网点地址"})
    total = fields.Integer(metadata={"description": "办理总人数"})
    success_count = fields.Integer(metadata={"description": "办理成功人数"})
    failure_count = fields.Integer()
    submitted_at = fields.DateTime()
    submitted_by_name = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)
    feedback_at = fields.DateTime(allow_none=True, metadata={"description": "银行反馈时间"})
    revocation = fields.String(allow_none=True, metadata={"description": "批次撤销情况"})


class BatchQuery(OrgIn):
    batch_no = fields.String()
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    status = fields.String(validate=validate.OneOf(_values(BatchStatus)))
    submitted_from = fields.Date()
    submitted_to = fields.Date()


def present_batch_member(row) -> dict:
    member, link = row
    return {
        "member_id": member.id,
        "member_no": link.member_no,
        "name": member.name,
        "id_type": member.id_type,
        "id_number": member.id_number,
        "result": link.result,
        "reason_code": link.reason_code,
        "reason": link.reason,
        "answered_at": link.answered_at,
    }


class BatchMemberOut(Base):
    member_id = fields.Integer()
    member_no = fields.String()
    name = fields.String()
    id_type = fields.String()
    id_number = Masked("id_number")
    result = fields.String(allow_none=True)
    reason_code = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    answered_at = fields.DateTime(allow_none=True)


class RevocationIn(Base):
    applicant_name = fields.String(required=True, validate=validate.Length(1, 50))
    applicant_phone = fields.String(required=True, validate=validate.Length(1, 20))


class RevocationOut(Base):
    id = fields.Integer()
    batch_id = fields.Integer()
    org_id = fields.Integer()
    status = fields.String()
    applicant_name = fields.String()
    applicant_phone = Masked("mobile")
    reviewer_name = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    created_at = fields.DateTime()


class RevocationQuery(Base):
    status = fields.String(validate=validate.OneOf(_values(RevocationStatus)))


class RejectIn(Base):
    reason = fields.String(required=True, validate=validate.Length(1, 200))


class LogOut(Base):
    at = fields.DateTime()
    actor = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    batch_id = fields.Integer(allow_none=True)


# --- 卡片信息管理 -------------------------------------------------------------------------
@blp.get("")
@blp.arguments(CardQuery, location="query")
@blp.response(200, CardRowOut(many=True))
@blp.paginate(CardPage)
@requires("member.read")
def card_info(query):
    """卡片信息管理：关联企业会员及其办卡状态（个人申请见小程序）"""
    return pending.card_info(current_scope(), query)


@blp.post("/pending")
@blp.arguments(AddIn)
@blp.response(200, AddOut)
@requires("member.write")
def add_pending(data):
    """添加选中的（或全部）未办卡会员至待办；不能勾选的会员附原因"""
    return pending.add_to_pending(
        current_scope(), data.get("member_ids"), org_id=data.get("org_id"), ip=ip()
    )


@blp.get("/pending")
@blp.arguments(PendingQuery, location="query")
@blp.response(200, CardRowOut(many=True))
@blp.paginate(CardPage)
@requires("member.read")
def pending_list(query):
    """待办会员列表（按通道、校验状态、信息完善状态筛选）"""
    return pending.pending(current_scope(), query)


@blp.get("/pending/summary")
@blp.arguments(OrgIn, location="query")
@blp.response(200, SummaryOut)
@requires("member.read")
def pending_summary(query):
    """两个通道的人数统计：待办共 N 人，校验通过、未通过；信息已完善、未完善"""
    return pending.summary(current_scope(), query.get("org_id"))


@blp.put("/pending/<int:member_id>/id-expiry")
@blp.arguments(ExpiryIn)
@blp.response(200, Message)
@requires("member.write")
def set_expiry(data, member_id):
    """修改证件到期日（需重新校验）"""
    pending.set_id_expiry(current_scope(), member_id, data["id_expiry"], ip=ip())
    return {"message": "证件到期日已修改，请重新提交系统校验"}


@blp.delete("/pending/<int:member_id>")
@blp.response(200, Message)
@requires("member.write")
def remove_pending(member_id):
    """从待办列表移除"""
    pending.remove(current_scope(), member_id, ip=ip())
    return {"message": "已移除"}


@blp.post("/pending/remove-unready")
@blp.arguments(RemoveUnreadyIn)
@blp.response(200, Count)
@requires("member.write")
def remove_unready(data):
    """移除全部校验未通过及未校验会员（普通）/ 全部信息未完善会员（特殊）"""
    count = pending.remove_unready(current_scope(), data.get("org_id"), data["channel"], ip=ip())
    return {"count": count, "message": f"已移除 {count} 人"}


@blp.put("/pending/<int:member_id>/channel")
@blp.arguments(ChannelIn)
@blp.response(200, Message)
@requires("member.write")
def switch_channel(data, member_id):
    """切换办理通道"""
    pending.switch_channel(current_scope(), member_id, data["channel"], ip=ip())
    return {"message": f"已切换至{data['channel']}办卡通道"}


@blp.put("/pending/<int:member_id>/info")
@blp.arguments(InfoIn)
@blp.response(200, Message)
@requires("member.write")
def complete_info(data, member_id):
    """特殊通道：完善信息（证件类型、证件到期日、国籍）"""
    pending.complete_info(current_scope(), member_id, data, ip=ip())
    return {"message": "信息已完善"}


@blp.post("/pending/checks")
@blp.arguments(OrgIn)
@blp.response(202, Count)
@requires("member.write")
def start_checks(data):
    """提交系统校验（人口库、人保库、申请信息；后台进行，稍后刷新查看结果）"""
    count = checks.start(current_scope(), data.get("org_id"), ip=ip())
    return {"count": count, "message": f"已提交 {count} 人进行系统校验"}


@blp.post("/members/<int:member_id>/retry")
@blp.response(200, Message)
@requires("member.write")
def retry(member_id):
    """办卡失败的会员修改信息后重新加入待办"""
    pending.retry_failed(current_scope(), member_id, ip=ip())
    return {"message": "已重新加入待办会员列表"}


@blp.post("/members/<int:member_id>/hand-out")
@blp.response(200, Message)
@requires("member.write")
def hand_out(member_id):
    """登记卡片已发放给会员"""
    lifecycle.hand_out(current_scope(), member_id, ip=ip())
    return {"message": "已登记发放"}


@blp.get("/members/<int:member_id>/log")
@blp.response(200, LogOut(many=True))
@requires("member.read")
def card_log(member_id):
    """办卡日志：该会员卡片的每一次变化"""
    return lifecycle.card_log(current_scope(), member_id)


@blp.get("/overdue")
@blp.response(200, CardRowOut(many=True))
@blp.paginate(CardPage)
@requires("member.read")
def overdue():
    """已送达单位但超过 5 个工作日未发放的卡片"""
    return lifecycle.overdue(current_scope())


# --- 提交办卡 与 办卡批次管理 ---------------------------------------------------------------
@blp.post("/batches")
@blp.arguments(SubmitIn)
@blp.response(201, BatchOut)
@requires("member.write")
def submit(data):
    """提交办卡：该通道全部会员已就绪时形成一个办卡批次，发送银行"""
    return batches.submit(
        current_scope(), data.get("org_id"), data["channel"], data["branch_code"], ip=ip()
    )


@blp.get("/batches")
@blp.arguments(BatchQuery, location="query")
@blp.response(200, BatchOut(many=True))
@blp.paginate(SelectPage)
@requires("member.read")
def list_batches(query):
    """办卡批次管理"""
    return batches.list_batches(current_scope(), query)


@blp.get("/batches/<int:batch_id>")
@blp.response(200, BatchOut)
@requires("member.read")
def get_batch(batch_id):
    """批次详情"""
    return batches.get_batch(current_scope(), batch_id)


@blp.get("/batches/<int:batch_id>/members")
@blp.response(200, BatchMemberOut(many=True))
@blp.paginate(row_page(present_batch_member))
@requires("member.read")
def batch_members(batch_id):
    """批次内会员及银行反馈"""
    return batches.batch_members(current_scope(), batch_id)


@blp.get("/batches/<int:batch_id>/roster")
@blp.doc(
    responses={
        "200": {
            "description": "PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
@requires("member.read")
def roster_pdf(batch_id):
    """打印清册（PDF，银行反馈前即可打印）"""
    name, data = roster.roster_pdf(current_scope(), batch_id, ip=ip())
    response = send_file(io.BytesIO(data), mimetype="application/pdf", download_name=name)
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(name)}"
    return response


@blp.post("/batches/<int:batch_id>/revocation")
@blp.arguments(RevocationIn)
@blp.response(201, RevocationOut)
@requires("member.write")
def request_revocation(data, batch_id):
    """撤销办卡批次申请（填写申请人姓名和电话，由上级工会审核）"""
    return batches.request_revocation(
        current_scope(), batch_id, data["applicant_name"], data["applicant_phone"], ip=ip()
    )


@blp.get("/revocations")
@blp.arguments(RevocationQuery, location="query")
@blp.response(200, RevocationOut(many=True))
@blp.paginate(SelectPage)
@requires("member.read")
def list_revocations(query):
    """撤销申请（上级工会审核下级的申请）"""
    return batches.list_revocations(current_scope(), query.get("status"))


@blp.post("/revocations/<int:revocation_id>/approve")
@blp.response(200, RevocationOut)
@requires("member.review")
def approve_revocation(revocation_id):
    """审核通过：通知银行撤销，会员释放回未办卡"""
    return batches.decide_revocation(current_scope(), revocation_id, True, ip=ip())


@blp.post("/revocations/<int:revocation_id>/reject")
@blp.arguments(RejectIn)
@blp.response(200, RevocationOut)
@requires("member.review")
def reject_revocation(data, revocation_id):
    """审核不通过：批次照常办理，会员锁定至银行反馈"""
    return batches.decide_revocation(current_scope(), revocation_id, False, data["reason"], ip=ip())
