"""The statements the database is sent during a block: (SQL, parameters) in order."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from unioncard.extensions import db


@contextmanager
def executed(engine=None) -> Iterator[list[tuple[str, object]]]:
    """Every (statement, parameters) the engine (the app's main one by default) runs inside
    the ``with`` block, as SQLAlchemy's ``before_cursor_execute`` event sees them."""
    engine = engine if engine is not None else db.engine
    seen: list[tuple[str, object]] = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", keep)
