"""The audit trail of the caller's subtree (操作审计)."""

from __future__ import annotations

from marshmallow import fields

from unioncard.audit import services
from unioncard.openapi import Blueprint
from unioncard.webfields import Text, Timestamp

from .common import CURSOR_DOC, Base, Id, SelectPage
from .security import current_scope, requires

blp = Blueprint("admin_audit", __name__, url_prefix="/api/admin/v1/audit", description="操作审计")


class AuditOut(Base):
    id = fields.Integer()
    at = Timestamp()
    actor_id = Id(allow_none=True)
    actor_name = Text(allow_none=True)
    org_id = Id(allow_none=True)
    action = Text()
    target_type = Text(allow_none=True)
    target_ids = fields.List(fields.Integer())
    changes = fields.Dict(metadata={"description": "字段: [修改前, 修改后]（个人信息已脱敏）"})
    detail = fields.Dict()
    ip = Text(allow_none=True)


class AuditQuery(Base):
    action = Text(metadata={"description": "操作（前缀匹配），如 member.、member.reveal"})
    actor_id = Id()
    target_type = Text()
    target_id = Id()
    since = Timestamp()
    until = Timestamp()
    cursor = Text(metadata={"description": CURSOR_DOC})


@blp.get("")
@blp.arguments(AuditQuery, location="query")
@blp.response(200, AuditOut(many=True))
@blp.paginate(SelectPage)
@requires("audit.read")
def list_audit(query):
    """本单位及下级的操作记录（只增不改）"""
    query.pop("cursor", None)  # paging, read by SelectPage
    return services.query(current_scope(), **query)
