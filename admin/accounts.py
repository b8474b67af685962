"""Staff accounts of the unions below: create, edit, reset password, unlock."""

from __future__ import annotations

from marshmallow import fields, validate

from unioncard.accounts import services
from unioncard.accounts.models import Role
from unioncard.openapi import Blueprint
from unioncard.webfields import Text

from .auth import AccountOut
from .common import Base, Id, SelectPage
from .security import current_scope, ip, requires

blp = Blueprint(
    "admin_accounts", __name__, url_prefix="/api/admin/v1/accounts", description="工作人员账号"
)

ROLES = [r.value for r in Role]


class AccountCreate(Base):
    username = Text(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{3,50}$"))
    display_name = Text(required=True, validate=validate.Length(1, 50))
    org_id = Id(required=True)
    role = Text(
        required=True,
        validate=validate.OneOf(ROLES),
        metadata={"description": "operator 经办 / reviewer 审核 / center 职保中心 / admin 管理员"},
    )


class AccountUpdate(Base):
    display_name = Text(validate=validate.Length(1, 50))
    role = Text(validate=validate.OneOf(ROLES))
    org_id = Id()
    active = fields.Boolean()


class AccountWithPassword(AccountOut):
    temporary_password = Text(metadata={"description": "初始/重置密码，仅显示一次；首次登录须修改"})


class AccountQuery(Base):
    org_id = Id()
    role = Text(validate=validate.OneOf(ROLES))
    q = Text()


@blp.get("")
@blp.arguments(AccountQuery, location="query")
@blp.response(200, AccountOut(many=True))
@blp.paginate(SelectPage)
@requires("account.manage")
def list_accounts(query):
    """管辖范围内的账号"""
    return services.list_accounts(current_scope(), **query)


@blp.post("")
@blp.arguments(AccountCreate)
@blp.response(201, AccountWithPassword)
@requires("account.manage")
def create_account(data):
    """新建账号（返回一次性初始密码）"""
    account, password = services.create_account(current_scope(), data, ip=ip())
    account.temporary_password = password
    return account


@blp.get("/<int:account_id>")
@blp.response(200, AccountOut)
@requires("account.manage")
def get_account(account_id):
    """账号详情"""
    return services.get_account(current_scope(), account_id)


@blp.patch("/<int:account_id>")
@blp.arguments(AccountUpdate)
@blp.response(200, AccountOut)
@requires("account.manage")
def update_account(data, account_id):
    """修改下级账号（角色、所属工会、停用）"""
    return services.update_account(current_scope(), account_id, data, ip=ip())


@blp.post("/<int:account_id>/reset-password")
@blp.response(200, AccountWithPassword)
@requires("account.manage")
def reset_password(account_id):
    """重置下级账号密码（返回一次性密码，登录后须修改）"""
    account, password = services.reset_password(current_scope(), account_id, ip=ip())
    account.temporary_password = password
    return account


@blp.post("/<int:account_id>/unlock")
@blp.response(200, AccountOut)
@requires("account.manage")
def unlock(account_id):
    """解除下级账号的登录锁定"""
    return services.unlock(current_scope(), account_id, ip=ip())
