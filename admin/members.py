"""The member registry (会员信息): list, detail, create, edit, status, reveal."""

from __future__ import annotations

from marshmallow import fields, pre_load, validate

from unioncard.insurance import queries as insurance_queries
from unioncard.members import services
from unioncard.members.idcard import ID_TYPES
from unioncard.members.models import (
    EmploymentStatus,
    InsuranceStatus,
    MemberSource,
    MemberStatus,
    SocialCardStatus,
)
from unioncard.openapi import Blueprint
from unioncard.webfields import Text, Timestamp

from .common import CURSOR_DOC, Base, Id, Masked, SelectPage
from .insurance_review_schemas import InsCoverageOut
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_members", __name__, url_prefix="/api/admin/v1/members", description="会员信息"
)


def _values(enum_cls):
    return [m.value for m in enum_cls]


class MemberFields(Base):
    name = Text(validate=validate.Length(1, 100))
    id_type = Text(validate=validate.OneOf(ID_TYPES))
    id_number = Text(validate=validate.Length(1, 40), load_only=True)
    id_expiry = fields.Date(allow_none=True, metadata={"description": "证件到期日"})
    country = Text(allow_none=True, validate=validate.Length(max=50))
    gender = Text(allow_none=True, validate=validate.OneOf(["男", "女"]))
    birth_date = fields.Date(allow_none=True)
    mobile = Text(allow_none=True, load_only=True)
    work_address = Text(allow_none=True, validate=validate.Length(max=100))
    join_date = fields.Date(allow_none=True)
    source = Text(validate=validate.OneOf(_values(MemberSource)))
    remark = Text(allow_none=True, validate=validate.Length(max=200))
    wants_card = fields.Boolean()


class MemberCreate(MemberFields):
    org_id = Id(metadata={"description": "所属基层工会，默认本单位"})
    name = Text(required=True, validate=validate.Length(1, 100))
    id_number = Text(required=True, load_only=True, validate=validate.Length(1, 40))
    mobile = Text(required=True, load_only=True)


class MemberUpdate(MemberFields):
    insurance_status = Text(validate=validate.OneOf(_values(InsuranceStatus)))
    social_card_status = Text(allow_none=True, validate=validate.OneOf(_values(SocialCardStatus)))
    employment_status = Text(allow_none=True, validate=validate.OneOf(_values(EmploymentStatus)))


class MemberOut(Base):
    id = fields.Integer()
    member_no = Text(allow_none=True, metadata={"description": "会员编号（激活后生成）"})
    org_id = Id()
    org_name = Text(attribute="org.name")
    name = Text()
    id_type = Text()
    id_number = Masked("id_number", metadata={"description": "证件号码（脱敏）"})
    id_expiry = fields.Date(allow_none=True)
    country = Text()
    gender = Text()
    birth_date = fields.Date()
    mobile = Masked("mobile", metadata={"description": "手机号码（脱敏）"})
    work_address = Text(allow_none=True)
    join_date = fields.Date(allow_none=True)
    source = Text()
    status = Text()
    insurance_status = Text()
    social_card_status = Text(allow_none=True)
    employment_status = Text(allow_none=True)
    wants_card = fields.Boolean()
    remark = Text(allow_none=True)
    import_job_id = Id(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class MemberQuery(Base):
    """The filters of GET /members (query string): no personal numbers, they would be logged."""

    org_id = Id(metadata={"description": "工会（含下级）"})
    name = Text()
    member_no = Text()
    address = Text()
    gender = Text(validate=validate.OneOf(["男", "女"]))
    status = Text(validate=validate.OneOf(_values(MemberStatus)))
    source = Text(validate=validate.OneOf(_values(MemberSource)))
    id_type = Text(validate=validate.OneOf(ID_TYPES))
    joined_from = fields.Date()
    joined_to = fields.Date()
    has_member_no = fields.Boolean()


class MemberListQuery(MemberQuery):
    cursor = Text(metadata={"description": CURSOR_DOC})


class MemberSearch(MemberQuery):
    """The same filters in a JSON body, plus the personal numbers (exact match)."""

    id_number = Text(
        validate=validate.Length(1, 40), metadata={"description": "证件号码（精确匹配）"}
    )
    mobile = Text(validate=validate.Length(1, 20), metadata={"description": "手机号码（精确匹配）"})

    @pre_load
    def refuse_personal_numbers(self, data, **kwargs):
        return data


class StatusIn(Base):
    status = Text(required=True, validate=validate.OneOf(_values(MemberStatus)))
    reason = Text(required=True, validate=validate.Length(1, 500))


class StatusChangeOut(Base):
    from_status = Text(allow_none=True)
    to_status = Text()
    reason = Text()
    actor_name = Text(allow_none=True)
    at = Timestamp()


class RevealIn(Base):
    fields_ = fields.List(
        Text(validate=validate.OneOf(services.REVEALABLE)),
        data_key="fields",
        required=True,
        validate=validate.Length(min=1),
    )
    reason = Text(
        required=True,
        validate=validate.Length(1, 200),
        metadata={"description": "查看原因，记入审计日志"},
    )


class RevealOut(Base):
    id = fields.Integer()
    id_number = Text()
    mobile = Text(allow_none=True)


@blp.get("")
@blp.arguments(MemberListQuery, location="query")
@blp.response(200, MemberOut(many=True))
@blp.paginate(SelectPage)
@requires("member.read")
def list_members(query):
    """会员列表（证件号码、手机号码脱敏）"""
    return services.list_members(current_scope(), query)


@blp.post("/search")
@blp.arguments(MemberSearch)
@blp.response(200, MemberOut(many=True))
@blp.paginate(SelectPage)
@requires("member.read")
def search_members(query):
    """按证件号码、手机号码等条件查询会员（条件放在请求体中，不进网址和访问日志）；分页同会员列表"""
    return services.list_members(current_scope(), query)


@blp.post("")
@blp.arguments(MemberCreate)
@blp.response(201, MemberOut)
@requires("member.write")
def create_member(data):
    """登记一名会员（状态正常，生成会员编号）"""
    return services.create_member(current_scope(), data, ip=ip())


@blp.get("/<int:member_id>")
@blp.response(200, MemberOut)
@requires("member.read")
def get_member(member_id):
    """会员详情"""
    return services.get_member(current_scope(), member_id)


@blp.patch("/<int:member_id>")
@blp.arguments(MemberUpdate)
@blp.response(200, MemberOut)
@requires("member.write")
def update_member(data, member_id):
    """修改会员信息"""
    return services.update_member(current_scope(), member_id, data, ip=ip())


@blp.post("/<int:member_id>/status")
@blp.arguments(StatusIn)
@blp.response(200, MemberOut)
@requires("member.write")
def change_status(data, member_id):
    """变更会员状态（须填写原因）"""
    return services.change_status(
        current_scope(), member_id, data["status"], data["reason"], ip=ip()
    )


@blp.get("/<int:member_id>/status-history")
@blp.response(200, StatusChangeOut(many=True))
@requires("member.read")
def status_history(member_id):
    """会员状态变更记录"""
    return services.status_history(current_scope(), member_id)


@blp.post("/<int:member_id>/reveal")
@blp.arguments(RevealIn)
@blp.response(200, RevealOut)
@requires("member.reveal")
def reveal(data, member_id):
    """查看完整证件号码或手机号码（记入审计日志）"""
    return services.reveal(current_scope(), member_id, data["fields_"], data["reason"], ip=ip())


@blp.get("/<int:member_id>/enrolments")
@blp.response(200, InsCoverageOut(many=True))
@requires("insurance.read")
def enrolments(member_id):
    """会员的参保记录（会员专享保障，新年度在前）"""
    return insurance_queries.member_enrolments(current_scope(), member_id)
