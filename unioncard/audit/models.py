"""The audit trail (操作审计记录): append-only, enforced by database triggers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class AuditRecord(db.Model):
    """Who did what to which records, from where, with masked before/after values."""

    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(50))
    # The actor's org and its path at the time: upper unions query by path prefix.
    org_id: Mapped[int | None] = mapped_column(Integer)
    org_path: Mapped[str] = mapped_column(String(255), index=True, default="")
    action: Mapped[str] = mapped_column(String(50), index=True)
    target_type: Mapped[str | None] = mapped_column(String(30))
    target_ids: Mapped[list] = mapped_column(JSON, default=list)
    target_key: Mapped[str] = mapped_column(Text, default=",")  # ",12,34," for lookups
    changes: Mapped[dict] = mapped_column(JSON, default=dict)  # {field: [before, after]}, masked
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))
