"""Who is behind a sandbox code: the WeChat sandbox's deterministic people, shared with the
demo data (``unioncard/demo/hall.py``) so that a demo user is the same person in the
mini-program and in the service hall. Test-double knowledge: production never uses it.

A person is a ``demo-…`` string: the ``jscode2session`` code itself, or the ``person`` picked
on the sandbox's authorize page. openid = ``openid_for(person, appid)`` (one per app),
unionid = ``unionid_for(person)`` (the same in every app), none for a person whose name
contains ``nounion`` (an official account not bound to the WeChat open platform).
"""

from __future__ import annotations

import hashlib

CODE_PREFIX = "demo-"
NO_UNIONID = "nounion"

# The demo's WeChat users on the sandbox's authorize page: (person, label)
DEMO_WECHAT_PEOPLE = (
    ("demo-hall-new", "新用户（首次进入，未入会）"),
    ("demo-hall-member", "在册会员（会员库中已有记录，曾在小程序登录并实名）"),
    ("demo-hall-retired", "退休会员（会员库中已有记录，曾在小程序登录并实名）"),
    ("demo-hall-nounion", "未绑定开放平台的公众号用户（无 unionid）"),
)


def openid_for(code: str, app_id: str) -> str:
    """The openid the sandbox gives for a ``demo-…`` code or person (deterministic)."""
    digest = hashlib.sha256(f"{app_id}:{code}".encode()).hexdigest()
    return "o" + digest[:27]


def unionid_for(person: str) -> str | None:
    """The person's unionid, the same in every app; None for ``…nounion…`` people."""
    if NO_UNIONID in person:
        return None
    return "u" + hashlib.sha256(f"union:{person}".encode()).hexdigest()[:27]
