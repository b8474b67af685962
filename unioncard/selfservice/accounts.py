"""微信登录: a wx.login code becomes a WeChat user and an opaque member token."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import NotAuthenticated
from ..extensions import db, savepoint
from ..models_base import utcnow
from . import tokens, wechat
from .models import MemberUser

EXPIRED = "登录已过期或已退出，请重新登录"


def login(code: str) -> dict:
    """code2Session → the user (created on first login) → ``{token, expires_in, bound}``."""
    with wechat.calling("code"):
        session = wechat.client().code_to_session(code)
    user = _user_for(session["openid"])
    if session.get("unionid"):
        user.unionid = session["unionid"]
    user.last_login_at = utcnow()
    db.session.flush()
    return answer(user, *tokens.issue(user.id, user.token_version))


def _user_for(openid: str) -> MemberUser:
    user = db.session.scalar(select(MemberUser).where(MemberUser.openid == openid))
    if user is not None:
        return user
    try:
        with savepoint():  # two first logins at once: one row, both succeed
            user = MemberUser(openid=openid, token_version=0)
            db.session.add(user)
    except IntegrityError:
        user = db.session.scalar(select(MemberUser).where(MemberUser.openid == openid))
    return user


def answer(user: MemberUser, token: str, ttl: int) -> dict:
    identity = bool(user.id_number_bidx)
    phone = bool(user.mobile_bidx)
    return {
        "token": token,
        "expires_in": ttl,
        "bound": identity and phone,
        "identity_bound": identity,
        "phone_bound": phone,
        "is_member": user.member_id is not None,
    }


def authenticate(token: str) -> MemberUser:
    found = tokens.resolve(token)
    if found is None:
        raise NotAuthenticated(EXPIRED)
    user = db.session.get(MemberUser, found[0])
    if user is None or user.token_version != found[1]:
        raise NotAuthenticated(EXPIRED)
    return user


def refresh(user: MemberUser, old_token: str) -> dict:
    """A new token for a still-valid one; the old one stops working at once."""
    tokens.revoke(old_token)
    return answer(user, *tokens.issue(user.id, user.token_version))


def logout(old_token: str) -> None:
    tokens.revoke(old_token)
