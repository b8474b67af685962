"""服务大厅 (公众号 H5): web login with the official account's OAuth, SMS codes for the phone."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import after_this_request, current_app, request
from marshmallow import fields, validate

from unioncard.selfservice import hall, sms
from unioncard.web import client_ip
from unioncard.webfields import BaseSchema, Masked, Text

from .schemas import MiniLoginOut
from .security import PREFIX, SECURITY, current_user, member_blueprint, public

blp = member_blueprint("miniapp_hall", __name__, "", "服务大厅：公众号网页授权登录、短信验证码")

COOKIE = "hall_oauth"
COOKIE_PATH = PREFIX + "/auth/oauth"


class HallAuthorizeQuery(BaseSchema):
    redirect = Text(
        validate=validate.Length(1, 500),
        metadata={
            "description": "授权后回到的服务大厅页面（须在 HALL_URL 之下），默认服务大厅首页"
        },
    )
    scope = Text(
        load_default="snsapi_base", validate=validate.OneOf(("snsapi_base", "snsapi_userinfo"))
    )


class HallAuthorizeOut(BaseSchema):
    url = Text(metadata={"description": "公众号网页授权地址：浏览器跳转到此"})
    expires_in = fields.Integer(metadata={"description": "state 有效秒数"})


class HallOAuthIn(BaseSchema):
    code = Text(required=True, validate=validate.Length(1, 200))
    state = Text(required=True, validate=validate.Length(1, 200))


class HallSmsIn(BaseSchema):
    mobile = Text(required=True, validate=validate.Length(1, 20))


class HallSmsOut(BaseSchema):
    mobile = Masked("mobile")
    expires_in = fields.Integer(metadata={"description": "验证码有效秒数"})
    resend_in = fields.Integer(metadata={"description": "多少秒后可再次获取"})


@blp.get("/auth/oauth/authorize-url")
@blp.arguments(HallAuthorizeQuery, location="query")
@blp.response(200, HallAuthorizeOut)
@public
def authorize_url(args):
    """公众号网页授权地址（state 与本浏览器绑定，10 分钟内有效，只能用一次）"""
    url, nonce = hall.authorize(args.get("redirect"), args["scope"])
    ttl = int(current_app.config["HALL_OAUTH_STATE_TTL"])
    secure = urlsplit(current_app.config["HALL_URL"]).scheme == "https"

    @after_this_request
    def _cookie(response):
        response.set_cookie(COOKIE, nonce, max_age=ttl, path=COOKIE_PATH, httponly=True,
                            secure=secure, samesite="Lax")  # fmt: skip
        return response

    return {"url": url, "expires_in": ttl}


@blp.post("/auth/oauth")
@blp.arguments(HallOAuthIn)
@blp.response(200, MiniLoginOut)
@public
def oauth_login(data):
    """用公众号网页授权的 code 与 state 登录，返回与小程序登录相同的令牌"""
    answer = hall.login(data["code"], data["state"], request.cookies.get(COOKIE))

    @after_this_request
    def _forget(response):
        response.delete_cookie(COOKIE, path=COOKIE_PATH)
        return response

    return answer


@blp.post("/me/phone/sms")
@blp.arguments(HallSmsIn)
@blp.response(200, HallSmsOut)
@blp.doc(security=SECURITY)
def send_sms(data):
    """发送 6 位短信验证码（5 分钟内有效；同一手机号每分钟 1 条、每天 10 条）"""
    return sms.send(current_user(), data["mobile"], client_ip())
