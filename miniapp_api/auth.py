"""微信登录 (小程序): login with a wx.login code, refresh the token, log out."""

from __future__ import annotations

from unioncard.selfservice import accounts

from .schemas import MiniDone, MiniLoginIn, MiniLoginOut
from .security import SECURITY, current_token, current_user, member_blueprint, public

blp = member_blueprint("miniapp_auth", __name__, "/auth", "小程序：微信登录")


@blp.post("/login")
@blp.arguments(MiniLoginIn)
@blp.response(200, MiniLoginOut)
@public
def login(data):
    """用 wx.login 的 code 登录（微信 code2Session），返回令牌；bound 表示已实名并绑定手机"""
    return accounts.login(data["code"])


@blp.post("/refresh")
@blp.response(200, MiniLoginOut)
@blp.doc(security=SECURITY)
def refresh():
    """用未过期的令牌换一个新令牌（旧令牌立即失效）"""
    return accounts.refresh(current_user(), current_token())


@blp.post("/logout")
@blp.response(200, MiniDone)
@blp.doc(security=SECURITY)
def logout():
    """退出登录：令牌立即失效"""
    accounts.logout(current_token())
    return {"message": "已退出登录"}
