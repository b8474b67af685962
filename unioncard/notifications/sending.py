"""Sending the outbox's subscribe messages (订阅消息) through WeChat, after commit.

A message is *claimed* before it is sent: a conditional UPDATE moves its
``next_attempt_at`` a lease ahead and counts the attempt, committed at once, so two senders
(the after-commit task and the beat) never both send it. Then one call to WeChat:

- sent: 已发送;
- 43101 (the member did not subscribe, or used the subscription up): 用户未订阅, no retry;
- rejected by WeChat (a template or data problem): 发送失败, no retry;
- unavailable (network, 5xx, busy) or any other failure: stays 待发送 with
  ``next_attempt_at`` backed off (30 s, 60 s … at most 1 h); after ``MAX_ATTEMPTS``
  attempts 发送失败;
- no template configured for the topic: 未配置模板.

The template data (fields of the templates chosen in the mini-program's admin console,
one template per topic, ``WECHAT_SUBSCRIBE_TEMPLATES``): ``thing1`` 事项 (≤ 20 characters),
``phrase2`` 状态 (≤ 5), ``time3`` 时间 (``2026年11月22日 10:00``, Shanghai), ``thing4`` 备注.

A member whose last login came through the service hall (``MemberUser.channel`` 服务大厅,
with an official-account openid) gets the same row as an official-account template message
(模板消息, ``WECHAT_OA_TEMPLATES``, the same fields, a link into the hall) instead: one row,
one message, whichever way it goes; 43004 (does not follow the account) is 用户未订阅.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models_base import SHANGHAI, utcnow
from ..selfservice.models import Channel, MemberUser
from .models import MessageStatus, SubscribeMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=120)
BATCH = 200
HALL_PAGES = {"card": "card", "insurance": "insurance"}  # under HALL_URL
SUBJECTS = {"card": "工会会员服务卡", "insurance": "工会会员专享基本保障"}
DEFAULT_REMARKS = {
    "已办卡": "银行已为您办卡，制卡后将寄送至单位",
    "办卡失败": "请在小程序中查看原因，修改后重新申请",
    "已制卡": "卡片已制作完成",
    "已送达单位": "卡片已送达单位，请联系单位领取",
    "已发放": "单位已将卡片发放给您",
    "已支付": "已缴费，待区局审核",
    "已完成": "保障已生效",
    "已拒绝": "未通过区局审核，已缴费用将原路退回",
    "已退款": "费用已原路退回",
    "参保失败": "参保未成功，请重新参保",
}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def due(now: datetime | None = None, limit: int = BATCH) -> list[int]:
    """Ids of pending messages whose time has come, oldest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(SubscribeMessage.id)
            .where(
                SubscribeMessage.status == MessageStatus.PENDING,
                SubscribeMessage.next_attempt_at <= now,
            )
            .order_by(SubscribeMessage.id)
            .limit(limit)
        )
    )


def _claim(message_id: int, now: datetime) -> bool:
    claimed = db.session.execute(
        update(SubscribeMessage)
        .where(
            SubscribeMessage.id == message_id,
            SubscribeMessage.status == MessageStatus.PENDING,
            SubscribeMessage.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE, attempts=SubscribeMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def render(message: SubscribeMessage, hall: bool = False) -> dict:
    at = (message.created_at or utcnow()).astimezone(SHANGHAI)
    remark = message.detail or DEFAULT_REMARKS.get(message.state, "")
    if hall:
        remark = remark.replace("小程序", "服务大厅")
    return {
        "thing1": {"value": SUBJECTS.get(message.topic, "会员服务")[:20]},
        "phrase2": {"value": message.state[:5]},
        "time3": {"value": f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"},
        "thing4": {"value": remark[:20] or "-"},
    }


class OfficialAccount:
    """The official account's client, built on first use (most runs never need it)."""

    def __init__(self):
        self._client = None

    def __call__(self):
        if self._client is None:
            from integrations.wechat.client import WeChatClient

            self._client = WeChatClient.from_app(official_account=True)
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def send_one(
    message_id: int, wechat, now: datetime | None = None, official: OfficialAccount | None = None
) -> str:
    """Claim and send one message; returns its status afterwards (or "busy" when another
    sender holds it or it is not due). Commits. ``official`` sends template messages."""
    from integrations.wechat.client import (
        WeChatBadResponse,
        WeChatRejected,
        WeChatSubscriptionRefused,
    )

    now = now or utcnow()
    if not _claim(message_id, now):
        return "busy"
    message = db.session.get(SubscribeMessage, message_id)
    user = db.session.execute(
        select(MemberUser.openid, MemberUser.oa_openid, MemberUser.channel).where(
            MemberUser.id == message.user_id
        )
    ).one()
    cfg = current_app.config
    hall = user.channel == Channel.HALL and bool(user.oa_openid)
    templates = cfg.get("WECHAT_OA_TEMPLATES" if hall else "WECHAT_SUBSCRIBE_TEMPLATES") or {}
    template = templates.get(message.topic)
    openid = user.oa_openid if hall else user.openid
    if not template or not openid:
        message.status = MessageStatus.SKIPPED
        db.session.commit()
        return message.status.value
    data = render(message, hall)
    if hall:
        page = cfg["HALL_URL"].rstrip("/") + "/" + HALL_PAGES.get(message.topic, "")
    else:
        page = (cfg.get("WECHAT_SUBSCRIBE_PAGES") or {}).get(message.topic)
    message.payload = {"template_id": template, "data": data, "page": page,
                       "channel": (Channel.HALL if hall else Channel.MINIAPP).value}  # fmt: skip
    try:
        if hall:
            (official or OfficialAccount())().send_template(openid, template, data, page)
        else:
            wechat.send_subscribe_message(openid, template, data, page)
    except WeChatSubscriptionRefused as exc:
        message.status, message.last_error = MessageStatus.REFUSED, exc.message[:500]
    except WeChatRejected as exc:
        message.status, message.last_error = MessageStatus.FAILED, exc.message[:500]
    except Exception as exc:  # unavailable, bad answers, anything else: try again later
        if not isinstance(exc, WeChatBadResponse):
            log.info("subscribe message %s not sent: %s", message_id, exc)
        message.last_error = (getattr(exc, "message", None) or type(exc).__name__)[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = MessageStatus.FAILED
        else:
            message.next_attempt_at = now + backoff(message.attempts)
    else:
        message.status, message.sent_at, message.last_error = MessageStatus.SENT, utcnow(), None
    db.session.commit()
    return message.status.value


def send_due(wechat, now: datetime | None = None) -> dict:
    """Send every due message; counts by resulting status."""
    counts: dict[str, int] = {}
    official = OfficialAccount()
    try:
        for message_id in due(now):
            outcome = send_one(message_id, wechat, now, official)
            counts[outcome] = counts.get(outcome, 0) + 1
    finally:
        official.close()
    return counts
