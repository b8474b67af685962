"""微信登录: a wx.login code (mini-program) or a web OAuth code (the service hall) becomes a
WeChat user and an opaque member token.

One person is one ``MemberUser`` whichever way they come: a login finds the user by the
openid of its own app, else by the unionid WeChat gave (the other app's user, who gets this
app's openid added), else creates one. Without a unionid (an app not bound to the WeChat
open platform) the two apps' openids cannot be told to be one person: each app has its own
user, and the second one to bind the same ID number is refused (see the README)."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from ..errors import NotAuthenticated
from ..extensions import db, savepoint
from ..fastread import Read, columns_of, entities
from ..models_base import utcnow
from . import tokens, wechat
from .models import Channel, MemberUser

EXPIRED = "登录已过期或已退出，请重新登录"


def login(code: str) -> dict:
    """code2Session → the user (created on first login) → ``{token, expires_in, bound}``."""
    with wechat.calling("code"):
        session = wechat.client().code_to_session(code)
    return signed_in(MemberUser.openid, session["openid"], session.get("unionid"), Channel.MINIAPP)


def signed_in(column, openid: str, unionid: str | None, channel: Channel) -> dict:
    """The user of ``openid`` in ``column``'s app (found, linked by unionid, or created),
    logged in from ``channel``: ``{token, expires_in, bound, …}``."""
    user = _user_for(column, openid, unionid)
    if unionid and not user.unionid and not _unionid_taken(unionid, user.id):
        user.unionid = unionid
    user.channel = channel
    user.last_login_at = utcnow()
    db.session.flush()
    return answer(user, *tokens.issue(user.id, user.token_version))


def _unionid_taken(unionid: str, user_id: int) -> bool:
    return (
        db.session.scalar(
            select(MemberUser.id).where(MemberUser.unionid == unionid, MemberUser.id != user_id)
        )
        is not None
    )


def _user_for(column, openid: str, unionid: str | None) -> MemberUser:
    user = db.session.scalar(select(MemberUser).where(column == openid))
    if user is not None:
        return user
    if unionid:  # the same person from the other app: add this app's openid to that user
        user = db.session.scalar(
            select(MemberUser)
            .where(MemberUser.unionid == unionid, column.is_(None))
            .order_by(MemberUser.id)
            .limit(1)
        )
        if user is not None:
            setattr(user, column.key, openid)
            return user
    try:
        with savepoint():  # two first logins at once: one row, both succeed
            user = MemberUser(token_version=0, unionid=unionid)
            setattr(user, column.key, openid)
            db.session.add(user)
    except IntegrityError:
        user = db.session.scalar(select(MemberUser).where(column == openid))
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
    """The token's user, loaded into the session (``session.get``'s answer, read by
    ``fastread``: every member request, writes included, starts here)."""
    found = tokens.resolve(token)
    if found is None:
        raise NotAuthenticated(EXPIRED)
    user = _user(found[0])
    if user is None or user.token_version != found[1]:
        raise NotAuthenticated(EXPIRED)
    return user


_USER = Read(lambda: select(*columns_of(MemberUser)).where(MemberUser.id == bindparam("user_id")))


def _user(user_id: int) -> MemberUser | None:
    if db.session.identity_map.get(identity_key(MemberUser, user_id)) is not None:
        return db.session.get(MemberUser, user_id)  # the session's own (tests share one)
    row = _USER.first({"user_id": user_id})
    if row is None:
        return None
    return entities(row, MemberUser)[0]


def refresh(user: MemberUser, old_token: str) -> dict:
    """A new token for a still-valid one; the old one stops working at once."""
    tokens.revoke(old_token)
    return answer(user, *tokens.issue(user.id, user.token_version))


def logout(old_token: str) -> None:
    tokens.revoke(old_token)
