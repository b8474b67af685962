"""会员服务卡办理 (admin): card info, the pending list, checks, batches, revocation, card log."""

from __future__ import annotations

from unioncard.cards import batches, checks, lifecycle, pending, roster
from unioncard.openapi import Blueprint
from unioncard.web import send_download

from .card_schemas import (
    AddIn,
    AddOut,
    BatchMemberOut,
    BatchOut,
    BatchQuery,
    CardPage,
    CardQuery,
    CardRowOut,
    ChannelIn,
    Count,
    ExpiryIn,
    InfoIn,
    LogOut,
    OrgIn,
    PendingQuery,
    RejectIn,
    RemoveUnreadyIn,
    RevocationIn,
    RevocationOut,
    RevocationQuery,
    SubmitIn,
    SummaryOut,
    present_batch_member,
)
from .common import Message, SelectPage, row_page
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_cards", __name__, url_prefix="/api/admin/v1/cards", description="会员服务卡办理"
)


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
    return send_download(data, name, "application/pdf", inline=True)


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
    return batches.list_revocations(current_scope(), query.get("status"), query.get("batch_id"))


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
