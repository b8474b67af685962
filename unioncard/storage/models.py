"""Stored files (uploads, generated workbooks), encrypted whole, kept in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from ..models_base import UTCDateTime, utcnow


class StoredFile(db.Model):
    """An immutable file (存档文件). Content is AES-GCM encrypted: uploads hold personal data."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(20))
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
