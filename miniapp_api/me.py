"""我的 (小程序): the profile, phone and real-name binding, and the overview."""

from __future__ import annotations

from unioncard.selfservice import profile, sms
from unioncard.web import read_only

from .schemas import MiniIdentityIn, MiniMeOut, MiniPhoneIn, MiniPhoneOut, MiniProfileOut
from .security import SECURITY, current_user, member_blueprint

blp = member_blueprint("miniapp_me", __name__, "/me", "小程序：我的（实名、手机、概览）")


@blp.get("")
@blp.response(200, MiniMeOut)
@blp.doc(security=SECURITY)
@read_only
def me():
    """我的：个人信息、会员身份（工会、会员编号、状态）、办卡状态、本年度保障"""
    return profile.overview(current_user())


@blp.post("/phone")
@blp.arguments(MiniPhoneIn)
@blp.response(200, MiniPhoneOut)
@blp.doc(security=SECURITY)
def bind_phone(data):
    """绑定手机号：小程序用 getPhoneNumber 的 code，服务大厅用手机号与短信验证码；返回脱敏号码"""
    if data.get("phone_code"):
        return profile.bind_phone(current_user(), data["phone_code"])
    return sms.verify_and_bind(current_user(), data["mobile"], data["sms_code"])


@blp.post("/identity")
@blp.arguments(MiniIdentityIn)
@blp.response(200, MiniProfileOut)
@blp.doc(security=SECURITY)
def bind_identity(data):
    """实名认证（须先绑定手机号）：姓名与证件；与会员库中姓名、证件号码及手机号一致时关联该会员"""
    return profile.bind_identity(current_user(), data)
