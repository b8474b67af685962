"""消息 of a member: what the outbox wrote for their WeChat account, newest first."""

from __future__ import annotations

from sqlalchemy import select

from .models import SubscribeMessage

TOPICS = {"card": "会员服务卡", "insurance": "个人参保"}


def of_user(user_id: int):
    """The messages of one WeChat user (never anyone else's), newest first."""
    return (
        select(SubscribeMessage)
        .where(SubscribeMessage.user_id == user_id)
        .order_by(SubscribeMessage.created_at.desc(), SubscribeMessage.id.desc())
    )


def present(message: SubscribeMessage) -> dict:
    return {
        "id": message.id,
        "topic": TOPICS.get(message.topic, message.topic),
        "state": message.state,
        "detail": message.detail,
        "status": message.status.value,
        "created_at": message.created_at,
        "sent_at": message.sent_at,
    }
