"""The org tree, related enterprises and bank branches."""

from __future__ import annotations

from marshmallow import fields, validate

from unioncard.openapi import Blueprint
from unioncard.orgs import services
from unioncard.orgs.models import OrgLevel, UnitType
from unioncard.webfields import Text

from .common import Base, Id, Message, SelectPage
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_orgs", __name__, url_prefix="/api/admin/v1", description="工会组织与领卡网点"
)

LEVELS = [lvl.value for lvl in OrgLevel]
UNIT_TYPES = [u.value for u in UnitType]


class EnterpriseIn(Base):
    name = Text(required=True, validate=validate.Length(1, 100))
    uscc = Text(validate=validate.Length(max=18), allow_none=True)
    address = Text(validate=validate.Length(max=200), allow_none=True)


class EnterpriseOut(EnterpriseIn):
    id = fields.Integer()


class OrgFields(Base):
    name = Text(validate=validate.Length(1, 100), metadata={"description": "工会全称"})
    uscc = Text(allow_none=True, metadata={"description": "统一社会信用代码"})
    unit_type = Text(
        allow_none=True,
        validate=validate.OneOf(UNIT_TYPES),
        metadata={"description": "34 机关事业单位 / 60 企业 / 39 其他"},
    )
    address = Text(allow_none=True, validate=validate.Length(max=200))
    contact_name = Text(allow_none=True, validate=validate.Length(max=50))
    contact_phone = Text(allow_none=True, validate=validate.Length(max=30))
    accepts_individuals = fields.Boolean(
        metadata={"description": "是否接收灵活就业/企业外入会人员"}
    )
    district_code = Text(allow_none=True, metadata={"description": "区局代码（3 位）"})


class OrgCreate(OrgFields):
    parent_id = Id(required=True)
    level = Text(required=True, validate=validate.OneOf(LEVELS))
    name = Text(required=True, validate=validate.Length(1, 100))


class OrgUpdate(OrgFields):
    active = fields.Boolean()


class OrgOut(OrgFields):
    id = fields.Integer()
    parent_id = Id(allow_none=True)
    level = Text()
    path = Text()
    active = fields.Boolean()
    enterprises = fields.List(fields.Nested(EnterpriseOut))


class OrgQuery(Base):
    level = Text(validate=validate.OneOf(LEVELS))
    q = Text(metadata={"description": "名称包含"})
    parent_id = Id()
    accepts_individuals = fields.Boolean()


class BranchIn(Base):
    code = Text(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{1,20}$"))
    name = Text(required=True, validate=validate.Length(1, 100))
    address = Text(required=True, validate=validate.Length(1, 200))
    org_id = Id(metadata={"description": "管理该网点的工会，默认本单位"})


class BranchUpdate(Base):
    name = Text(validate=validate.Length(1, 100))
    address = Text(validate=validate.Length(1, 200))
    active = fields.Boolean()


class BranchOut(Base):
    id = fields.Integer()
    org_id = Id()
    code = Text()
    name = Text()
    address = Text()
    active = fields.Boolean()


class BranchQuery(Base):
    q = Text()
    active = fields.Boolean()


@blp.get("/orgs")
@blp.arguments(OrgQuery, location="query")
@blp.response(200, OrgOut(many=True))
@blp.paginate(SelectPage)
@requires("org.read")
def list_orgs(query):
    """本单位及下级工会列表"""
    return services.list_orgs(current_scope(), **query)


@blp.post("/orgs")
@blp.arguments(OrgCreate)
@blp.response(201, OrgOut)
@requires("org.write")
def create_org(data):
    """在管辖范围内新建下级工会"""
    return services.create_org(current_scope(), data, ip=ip())


@blp.get("/orgs/<int:org_id>")
@blp.response(200, OrgOut)
@requires("org.read")
def get_org(org_id):
    """工会详情（含关联企业）"""
    return services.get_org(current_scope(), org_id)


@blp.patch("/orgs/<int:org_id>")
@blp.arguments(OrgUpdate)
@blp.response(200, OrgOut)
@requires("org.write")
def update_org(data, org_id):
    """修改工会信息"""
    return services.update_org(current_scope(), org_id, data, ip=ip())


@blp.post("/orgs/<int:org_id>/enterprises")
@blp.arguments(EnterpriseIn)
@blp.response(201, EnterpriseOut)
@requires("org.write")
def add_enterprise(data, org_id):
    """添加关联企业"""
    return services.add_enterprise(current_scope(), org_id, data, ip=ip())


@blp.delete("/orgs/<int:org_id>/enterprises/<int:enterprise_id>")
@blp.response(200, Message)
@requires("org.write")
def remove_enterprise(org_id, enterprise_id):
    """移除关联企业"""
    services.remove_enterprise(current_scope(), org_id, enterprise_id, ip=ip())
    return {"message": "已移除"}


@blp.get("/branches")
@blp.arguments(BranchQuery, location="query")
@blp.response(200, BranchOut(many=True))
@blp.paginate(SelectPage)
@requires("org.read")
def list_branches(query):
    """领卡网点（本区局及本单位管理的网点）"""
    return services.list_branches(current_scope(), **query)


@blp.post("/branches")
@blp.arguments(BranchIn)
@blp.response(201, BranchOut)
@requires("branch.manage")
def create_branch(data):
    """新增领卡网点"""
    return services.create_branch(current_scope(), data, ip=ip())


@blp.patch("/branches/<int:branch_id>")
@blp.arguments(BranchUpdate)
@blp.response(200, BranchOut)
@requires("branch.manage")
def update_branch(data, branch_id):
    """修改或停用领卡网点"""
    return services.update_branch(current_scope(), branch_id, data, ip=ip())
