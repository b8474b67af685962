"""消息提醒: messages to a union's staff (a submission returned, a payment deadline passed).

``send`` is idempotent through the message's ``dedupe_key``: the second call with the same
key (a job run twice, two workers at once) inserts nothing, using the database's
``INSERT … ON CONFLICT DO NOTHING`` so that a concurrent duplicate does not abort the
caller's transaction.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..accounts.scope import Scope
from ..extensions import db
from ..models_base import utcnow
from .models import OrgMessage


def send(org_id: int, topic: str, title: str, body: str, dedupe_key: str | None = None) -> bool:
    """Write one message to ``org_id``; False when ``dedupe_key`` was already used."""
    values = {
        "org_id": org_id,
        "topic": topic[:30],
        "title": title[:100],
        "body": body,
        "dedupe_key": dedupe_key,
        "created_at": utcnow(),
    }
    if dedupe_key is None:
        db.session.add(OrgMessage(**values))
        db.session.flush()
        return True
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = OrgMessage.__table__
    stmt = module.insert(table).values(**values)
    # RETURNING tells whether the row went in (rowcount is not reliable here on psycopg)
    stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
    return db.session.execute(stmt).first() is not None


def list_messages(scope: Scope, *, unread: bool | None = None, topic: str | None = None):
    """The messages addressed to the caller's own union, newest first."""
    stmt = select(OrgMessage).where(OrgMessage.org_id == scope.org_id)
    if unread is True:
        stmt = stmt.where(OrgMessage.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(OrgMessage.read_at.is_not(None))
    if topic:
        stmt = stmt.where(OrgMessage.topic == topic)
    return stmt.order_by(OrgMessage.id.desc())


def mark_read(scope: Scope, ids: list[int] | None) -> int:
    """Mark the given messages (or all, when ``ids`` is empty) of the caller's union read."""
    stmt = update(OrgMessage).where(OrgMessage.org_id == scope.org_id, OrgMessage.read_at.is_(None))
    if ids:
        stmt = stmt.where(OrgMessage.id.in_(ids))
    result = db.session.execute(
        stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)
    )
    return result.rowcount


def unread_count(scope: Scope) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(OrgMessage)
        .where(OrgMessage.org_id == scope.org_id, OrgMessage.read_at.is_(None))
    )
