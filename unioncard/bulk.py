"""Fast paths for bulk work: COPY into PostgreSQL, array look-ups; portable fallbacks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import String, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeDecorator

from .extensions import db


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def copy_rows(table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert plain column values (already encrypted where needed) in the session's transaction.

    PostgreSQL: ``COPY ... FROM STDIN`` on the session's own connection; elsewhere an
    executemany. No ORM types are applied: the caller passes stored values.
    """
    if is_postgres():
        raw = db.session.connection().connection.driver_connection
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    plain = table.c
    stmt = insert(table).values({c: bindparam(c, type_=_plain_type(plain[c])) for c in columns})
    db.session.execute(stmt, [dict(zip(columns, row, strict=True)) for row in rows])


def _plain_type(column):
    """The stored type: skip TypeDecorators (values are passed as stored)."""
    return column.type.impl if isinstance(column.type, TypeDecorator) else column.type


def among(column, values: list[str]):
    """``column IN values``: one array parameter on PostgreSQL (cheap to compile for thousands)."""
    if is_postgres():
        return column == any_(bindparam("values", values, type_=ARRAY(String)))
    return column.in_(values)
