"""Staff sign-in, sign-out and password change."""

from __future__ import annotations

from flask import g
from marshmallow import fields, validate

from unioncard.accounts import services as accounts
from unioncard.accounts.scope import PERMISSIONS
from unioncard.openapi import Blueprint
from unioncard.web import read_only
from unioncard.webfields import Text, Timestamp

from .common import Base, Id, Message
from .security import bearer_token, ip, public, requires

blp = Blueprint(
    "admin_auth", __name__, url_prefix="/api/admin/v1/auth", description="管理端登录与密码"
)


class LoginIn(Base):
    username = Text(required=True, validate=validate.Length(1, 50))
    password = Text(required=True, validate=validate.Length(1, 128), load_only=True)
    captcha_id = Text(
        validate=validate.Length(1, 64),
        metadata={"description": "图形验证码编号（GET /auth/captcha 取得）"},
    )
    captcha_code = Text(
        validate=validate.Length(1, 64),
        load_only=True,
        metadata={
            "description": "图形验证码上的字符；登录失败应答的 errors 含 captcha_code 时必填"
        },
    )


class CaptchaOut(Base):
    captcha_id = Text()
    image = Text(metadata={"description": "PNG 图片的 data URL，可直接作为 img 的 src"})
    expires_in = fields.Integer(metadata={"description": "有效秒数；每个验证码只能校验一次"})


class OrgBrief(Base):
    id = fields.Integer()
    name = Text()
    level = Text()
    path = Text()


class AccountOut(Base):
    id = fields.Integer()
    username = Text()
    display_name = Text()
    role = Text()
    org_id = Id(allow_none=True)
    org = fields.Nested(OrgBrief, allow_none=True)
    must_change_password = fields.Boolean()
    active = fields.Boolean()
    locked_until = Timestamp(allow_none=True)
    locked = fields.Boolean(metadata={"description": "登录锁定中（按服务器时间）"})
    last_login_at = Timestamp(allow_none=True)


class Permissions(fields.List):
    """The permissions of the account's role: the console builds its menu from them."""

    def __init__(self, **kwargs):
        super().__init__(Text(), attribute="role", dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return sorted(PERMISSIONS.get(value, ())) if value is not None else []


class MeOut(AccountOut):
    permissions = Permissions(metadata={"description": "本账号角色的权限（控制台据此显示菜单）"})


class LoginOut(Base):
    token = Text()
    expires_in = fields.Integer(metadata={"description": "令牌有效秒数"})
    must_change_password = fields.Boolean()
    account = fields.Nested(AccountOut)


class PasswordIn(Base):
    old_password = Text(required=True, load_only=True)
    new_password = Text(required=True, load_only=True, validate=validate.Length(1, 128))


@blp.post("/login")
@blp.arguments(LoginIn)
@blp.response(200, LoginOut)
@public
def login(data):
    """登录：用户名和密码换取令牌（多次输错须填图形验证码，连续输错将锁定账号）"""
    result = accounts.login(
        data["username"],
        data["password"],
        ip=ip(),
        captcha_id=data.get("captcha_id"),
        captcha_code=data.get("captcha_code"),
    )
    result["must_change_password"] = result["account"].must_change_password
    return result


@blp.get("/captcha")
@blp.response(200, CaptchaOut)
@public
def captcha():
    """取一张图形验证码（登录失败应答的 errors 含 captcha_code 时使用）"""
    return accounts.new_captcha(ip=ip())


@blp.post("/logout")
@blp.response(200, Message)
@requires("self")
def logout():
    """退出登录：令牌立即失效"""
    accounts.logout(bearer_token())
    return {"message": "已退出登录"}


@blp.get("/me")
@blp.response(200, MeOut)
@read_only(staff=True)
@requires("self")
def me():
    """当前登录账号"""
    return g.account


@blp.post("/password")
@blp.arguments(PasswordIn)
@blp.response(200, Message)
@requires("self")
def change_password(data):
    """修改本人密码（首次登录或重置后必须先修改）；修改后需重新登录"""
    accounts.change_password(g.account, data["old_password"], data["new_password"], ip=ip())
    return {"message": "密码已修改，请使用新密码重新登录"}
