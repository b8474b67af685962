"""The outbox of subscribe messages (订阅消息发送记录).

A row is written in the same transaction as the change it reports; a Celery task sends it
after commit, and the beat re-sends rows still pending. ``(user_id, event_key)`` is unique:
one change reaches one WeChat user at most once.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, enum_column, utcnow


class MessageStatus(enum.StrEnum):
    PENDING = "待发送"
    SENT = "已发送"
    REFUSED = "用户未订阅"  # WeChat 43101: the member did not accept (or used up) the template
    FAILED = "发送失败"  # gave up after the retries, or the message itself was refused
    SKIPPED = "未配置模板"  # no template id for the topic in the configuration


class SubscribeMessage(db.Model):
    """订阅消息: one message to one member's WeChat account about one change."""

    __tablename__ = "subscribe_message"
    __table_args__ = (
        UniqueConstraint("user_id", "event_key"),
        Index("ix_subscribe_message_status_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("member_user.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    topic: Mapped[str] = mapped_column(String(20))  # card | insurance
    event_key: Mapped[str] = mapped_column(String(120))  # e.g. card:已办卡:2026-11-22T…
    state: Mapped[str] = mapped_column(String(20))  # the status word reported (已办卡 …)
    detail: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[MessageStatus] = enum_column(MessageStatus, "subscribe_message_status")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict | None] = mapped_column(JSON)  # what was sent (template, data, page)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
