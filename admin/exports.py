"""导出 of the console's lists: ``POST <list>/export`` with the list's filters in the body.

The body carries the same filters as the list (personal numbers in a body, never in a URL);
the answer is an xlsx of every matching row, masked by the list's own answer schema, capped
and audited by ``unioncard.exports``.
"""

from __future__ import annotations

from marshmallow import fields, validate

from unioncard import exports
from unioncard.audit import services as audit_services
from unioncard.audit.models import AuditRecord
from unioncard.cards import batches, pending
from unioncard.cards.models import CardBatch
from unioncard.members import services as members
from unioncard.members.models import Member
from unioncard.openapi import Blueprint
from unioncard.storage.services import XLSX
from unioncard.web import send_download

from .audit import AuditOut, AuditQuery
from .card_schemas import BatchOut, BatchQuery, CardQuery, CardRowOut, present
from .common import Id
from .members import MemberOut, MemberSearch
from .security import current_scope, ip, requires

blp = Blueprint("admin_exports", __name__, url_prefix="/api/admin/v1", description="导出")
C = exports.Column

XLSX_DOC = {
    "responses": {
        "200": {
            "description": "xlsx：符合条件的全部记录（个人号码已脱敏）",
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}

MEMBER_COLUMNS = (
    C("member_no", "会员编号", 14),
    C("name", "姓名", 10),
    C("gender", "性别", 6),
    C("id_type", "证件类型", 12),
    C("id_number", "证件号码", 22),
    C("mobile", "手机号码", 14),
    C("org_name", "所属工会", 30),
    C("work_address", "工作单位地址", 30),
    C("source", "会员来源", 12),
    C("join_date", "入会日期", 12),
    C("status", "状态", 8),
)
CARD_COLUMNS = (
    C("member_no", "会员编号", 14),
    C("name", "姓名", 10),
    C("id_type", "证件类型", 12),
    C("id_number", "证件号码", 22),
    C("card_no", "银行卡号", 22),
    C("applied_at", "申办时间", 20),
    C("channel", "申请通道", 10),
    C("status", "状态", 10),
    C("failure_reason", "失败原因", 24),
)
BATCH_COLUMNS = (
    C("batch_no", "批次编号", 20),
    C("total", "办理总人数", 10),
    C("success_count", "办理成功人数", 12),
    C("submitted_at", "提交时间", 20),
    C("feedback_at", "银行反馈时间", 20),
    C("channel", "办理通道", 10),
    C("status", "批次状态", 12),
    C("revocation", "批次撤销情况", 14),
    C("branch_name", "网点名称", 20),
    C("branch_address", "网点地址", 30),
)
AUDIT_COLUMNS = (
    C("at", "操作时间", 20),
    C("actor_name", "操作人", 12),
    C("action", "操作", 22),
    C("target_type", "对象", 12),
    C("target_ids", "对象编号", 14),
    C("changes", "修改前 → 修改后", 40),
    C("detail", "说明", 40),
    C("ip", "IP 地址", 16),
)


def _with_ids(filters_schema):
    """The list's filters plus the ticked rows (none: every matching row)."""
    ids = fields.List(
        Id(),
        validate=validate.Length(max=1000),
        metadata={"description": "勾选的记录（不传则导出全部符合条件的记录）"},
    )
    attrs: dict = {"ids": ids}
    if "cursor" in filters_schema._declared_fields:  # paging of the list, not a filter
        attrs["Meta"] = type(
            "Meta", (getattr(filters_schema, "Meta", object),), {"exclude": ("cursor",)}
        )
    return type(f"{filters_schema.__name__}Export", (filters_schema,), attrs)


def _send(list_name, title, stmt, columns, to_row, query, id_column):
    filters = dict(query)
    ids = filters.pop("ids", None)
    name, data = exports.export_list(
        current_scope(),
        list_name=list_name,
        title=title,
        stmt=stmt,
        columns=columns,
        to_row=to_row,
        filters=filters,
        id_column=id_column,
        ids=ids,
        ip=ip(),
    )
    return send_download(data, name, XLSX)


@blp.post("/members/export")
@blp.arguments(_with_ids(MemberSearch))
@blp.doc(**XLSX_DOC)
@requires("member.read")
def export_members(query):
    """导出会员信息（条件同会员列表，放在请求体中；号码脱敏，记入操作日志）"""
    stmt = members.list_members(current_scope(), query)
    return _send("members", "会员信息", stmt, MEMBER_COLUMNS, MemberOut().dump, query, Member.id)


@blp.post("/cards/export")
@blp.arguments(_with_ids(CardQuery))
@blp.doc(**XLSX_DOC)
@requires("member.read")
def export_cards(query):
    """导出卡片信息（条件同卡片信息管理；号码脱敏，记入操作日志）"""
    stmt = pending.card_info(current_scope(), query)
    schema = CardRowOut()
    return _send(
        "cards", "卡片信息", stmt, CARD_COLUMNS, lambda r: schema.dump(present(r)), query, Member.id
    )


@blp.post("/cards/batches/export")
@blp.arguments(_with_ids(BatchQuery))
@blp.doc(**XLSX_DOC)
@requires("member.read")
def export_batches(query):
    """导出办卡批次（条件同办卡批次管理，记入操作日志）"""
    stmt = batches.list_batches(current_scope(), query)
    return _send(
        "card_batches", "办卡批次", stmt, BATCH_COLUMNS, BatchOut().dump, query, CardBatch.id
    )


@blp.post("/audit/export")
@blp.arguments(_with_ids(AuditQuery))
@blp.doc(**XLSX_DOC)
@requires("audit.read")
def export_audit(query):
    """导出操作日志（条件同操作日志；导出本身也记入操作日志）"""
    filters = {key: value for key, value in query.items() if key != "ids"}
    stmt = audit_services.query(current_scope(), **filters)
    return _send("audit", "操作日志", stmt, AUDIT_COLUMNS, AuditOut().dump, query, AuditRecord.id)
