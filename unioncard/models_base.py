"""Shared column helpers: UTC timestamps, enum columns with a database check."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum, Numeric
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


SHANGHAI = ZoneInfo("Asia/Shanghai")


def as_aware(value: datetime | date) -> datetime:
    """Business input without a zone is Shanghai time; a bare date is that day's start."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time.min)
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone).

    A naive value (a filter typed by a clerk) is taken as Asia/Shanghai time."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return as_aware(value).astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def enum_column(enum_cls: type[enum.Enum], name: str, **kwargs):
    """Store the enum's value (the Chinese word a clerk reads) with a CHECK constraint."""
    return mapped_column(
        Enum(
            enum_cls,
            name=name,
            native_enum=False,
            create_constraint=True,
            length=max(len(m.value) for m in enum_cls) + 4,
            values_callable=lambda e: [m.value for m in e],
            validate_strings=True,
        ),
        **kwargs,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


CENT = Decimal("0.01")


def money(value) -> Decimal:
    """An amount in yuan as an exact two-place Decimal ("26" -> Decimal("26.00"))."""
    if isinstance(value, float):
        value = repr(value)
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Money(TypeDecorator):
    """An exact amount in yuan, NUMERIC(12, 2), read back as a two-place ``Decimal``.

    PostgreSQL keeps NUMERIC natively. SQLite has no decimal type: the value travels as a
    number of at most 12 significant digits, which a float carries exactly, and is quantised
    back on read (so no SQLAlchemy float-to-Decimal warning and no rounding drift)."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(12, 2, asdecimal=False))
        return dialect.type_descriptor(Numeric(12, 2))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = money(value)
        return float(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        return None if value is None else money(value)
