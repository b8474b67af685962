"""入会申请审核 (admin): a union's staff list, approve and reject individuals' applications."""

from __future__ import annotations

from marshmallow import fields, validate

from unioncard.openapi import Blueprint
from unioncard.selfservice import joins
from unioncard.selfservice.models import JoinSource, JoinStatus
from unioncard.webfields import Text, Timestamp

from .common import Base, Id, Masked, SelectPage
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_joins",
    __name__,
    url_prefix="/api/admin/v1/join-applications",
    description="入会申请审核（小程序个人入会）",
)


class JoinQuery(Base):
    org_id = Id()
    status = Text(validate=validate.OneOf([s.value for s in JoinStatus]))


class JoinRow(Base):
    id = fields.Integer()
    org_id = fields.Integer()
    union = Text(attribute="org.name")
    name = Text(attribute="user.name")
    id_type = Text(attribute="user.id_type", allow_none=True)
    id_number = Masked("id_number", attribute="user.id_number")
    mobile = Masked("mobile", attribute="user.mobile")
    gender = Text(attribute="user.gender", allow_none=True)
    birth_date = fields.Date(attribute="user.birth_date", allow_none=True)
    source = Text(attribute="source.value", metadata={"enum": [s.value for s in JoinSource]})
    work_unit_address = Text(allow_none=True)
    status = Text(attribute="status.value")
    reason = Text(allow_none=True)
    decided_by_name = Text(allow_none=True)
    decided_at = Timestamp(allow_none=True)
    member_id = fields.Integer(allow_none=True)
    member_no = fields.Method("_member_no", allow_none=True, metadata={"type": "string"})
    created_at = Timestamp()

    def _member_no(self, application):
        member = application.user.member if application.member_id else None
        return member.member_no if member else None


class JoinRejectIn(Base):
    reason = Text(required=True, validate=validate.Length(1, 200))


@blp.get("")
@blp.arguments(JoinQuery, location="query")
@blp.response(200, JoinRow(many=True))
@blp.paginate(SelectPage)
@requires("member.read")
def list_applications(query):
    """入会申请列表（本级及下级工会），可按工会、状态筛选"""
    return joins.list_applications(current_scope(), query)


@blp.get("/<int:application_id>")
@blp.response(200, JoinRow)
@requires("member.read")
def get_application(application_id):
    """入会申请详情"""
    return joins.get_application(current_scope(), application_id)


@blp.post("/<int:application_id>/approve")
@blp.response(200, JoinRow)
@requires("member.write")
def approve(application_id):
    """审核通过：在该工会登记为会员（状态正常，生成会员编号），或关联已登记的会员"""
    return joins.approve(current_scope(), application_id, ip=ip())


@blp.post("/<int:application_id>/reject")
@blp.arguments(JoinRejectIn)
@blp.response(200, JoinRow)
@requires("member.write")
def reject(data, application_id):
    """驳回并填写原因（申请人在小程序中可见）"""
    return joins.reject(current_scope(), application_id, data["reason"], ip=ip())
