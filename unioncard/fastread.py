"""The mini-program's hot reads without the ORM's per-statement machinery.

``session.execute`` of even a cached statement walks the ORM's execution context, builds a
result's metadata and reads the driver's ``cursor.description`` (psycopg makes a column
object per column per statement: 86 a ``GET /card/application``). Together that was about
half of the worker's CPU of the two hot reads, for statements that always look up one
member's rows by key.

``Read(build)`` is such a statement (``build()`` returns it, called once): compiled once
per dialect by SQLAlchemy, run on the request session's own connection (the pool and
transaction ``web.read_only`` chose), its values converted by the very result processors
SQLAlchemy would apply (enums, decryption, UTC timestamps, JSON). What stays the same:

- the session autoflushes before it, as before an ORM statement (a ``@read_only`` view's
  pending write is refused there, as before);
- the engine's ``before_cursor_execute`` / ``after_cursor_execute`` listeners see it;
- a driver error is SQLAlchemy's (``OperationalError`` → 503, a dropped connection is
  invalidated).

``loaded(cls, values)`` turns a row's columns into the entity a query would have loaded:
persistent in the session (relationships load lazily, a change is flushed, so refused in a
read-only request), or the session's own object when it already holds that row.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import instance_state

from .extensions import db


class _Plan:
    """One statement compiled for one dialect: its SQL, parameters and row conversion."""

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a fast read takes plain bound parameters only")
        if compiled.escaped_bind_names:
            raise ValueError("a fast read takes bound parameter names that need no escaping")
        self.compiled = compiled
        self.dialect = dialect
        self.sql = compiled.string
        self.positions = compiled.positiontup if compiled.positional else None
        self.bind_processors = compiled._bind_processors
        self.types = [column.type for column in compiled._result_columns]
        self.keys = tuple(column.keyname for column in compiled._result_columns)
        self.row = namedtuple("Row", self.keys, rename=True)  # row.name, row[i]
        self.processors: list[tuple[int, Callable]] | None = None

    def parameters(self, params: dict):
        values = self.compiled.construct_params(params)
        for name, process in self.bind_processors.items():
            if name in values:
                values[name] = process(values[name])
        if self.positions is not None:
            return tuple(values[name] for name in self.positions)
        return values

    def convert(self, cursor, rows: Sequence[Sequence]) -> list:
        if self.processors is None:  # the driver's column types: known after the first run
            coltypes = [column[1] for column in cursor.description]
            found = (
                (i, type_._cached_result_processor(self.dialect, coltype))
                for i, (type_, coltype) in enumerate(zip(self.types, coltypes, strict=True))
            )
            self.processors = [(i, process) for i, process in found if process is not None]
        make = self.row._make
        if not self.processors:
            return [make(row) for row in rows]
        out = []
        for row in rows:
            row = list(row)
            for i, process in self.processors:
                row[i] = process(row[i])
            out.append(make(row))
        return out


class Read:
    """A SELECT built once by ``build()``, run on the session's connection (see above)."""

    def __init__(self, build: Callable[[], Any]):
        self._build = build
        self._statement = None
        self._plans: dict[Any, _Plan] = {}

    @property
    def statement(self):
        if self._statement is None:
            self._statement = self._build()
        return self._statement

    def _plan(self, dialect) -> _Plan:
        plan = self._plans.get(dialect)
        if plan is None:
            plan = self._plans[dialect] = _Plan(self.statement, dialect)
        return plan

    def all(self, params: dict) -> list:
        return self._run(params, first=False)

    def first(self, params: dict) -> tuple | None:
        rows = self._run(params, first=True)
        return rows[0] if rows else None

    def _run(self, params: dict, first: bool) -> list:
        session = db.session()  # the request's (scoped: a lookup a call)
        session._autoflush()  # as an ORM statement would (a no-op when nothing is pending)
        connection = session.connection()
        plan = self._plan(connection.dialect)
        sql, parameters = plan.sql, plan.parameters(params)
        events = connection._has_events or connection.engine._has_events
        context = SimpleNamespace()  # for listeners that keep state between the two events
        cursor = connection.connection.cursor()
        try:
            if events:
                for listen in connection.dispatch.before_cursor_execute:
                    sql, parameters = listen(connection, cursor, sql, parameters, context, False)
            cursor.execute(sql, parameters)
            if events:
                for listen in connection.dispatch.after_cursor_execute:
                    listen(connection, cursor, sql, parameters, context, False)
            if first:
                row = cursor.fetchone()
                rows = [row] if row is not None else []
            else:
                rows = cursor.fetchall()
            return plan.convert(cursor, rows)
        except plan.dialect.loaded_dbapi.Error as exc:
            connection._handle_dbapi_exception(exc, sql, parameters, cursor, None)
            raise  # not reached: the call above raises SQLAlchemy's error
        finally:
            cursor.close()


def loaded(cls, values: dict, session=None):
    """The ``cls`` entity of these column values (attribute name → value), persistent in
    the session as if a query had loaded it; ``None`` when its primary key is (an outer
    join that found nothing)."""
    mapper, key_names = _mapping(cls)
    ident = tuple(values[name] for name in key_names)
    if None in ident:
        return None
    session = session or db.session()
    key = mapper.identity_key_from_primary_key(ident)
    held = session.identity_map.get(key)
    if held is not None:  # a query answers the session's own object (tests share one)
        return held
    if mapper.class_manager.dispatch.load:  # needs a query's context: say so at once
        raise TypeError(f"{cls.__name__} has load listeners, which fast reads do not run")
    obj = mapper.class_manager.new_instance()
    state = instance_state(obj)
    # what the ORM's own loading does for a row it has not seen (orm/loading.py _instance):
    # the identity, attached to the session's identity map, then the values as committed
    state.key, state.identity_token = key, key[2]
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    state.dict.update(values)
    if session.dispatch.loaded_as_persistent:
        session.dispatch.loaded_as_persistent(session, state)
    return obj


@cache
def _mapping(cls):
    """The mapper of ``cls`` and its primary key's attribute names."""
    mapper = inspect(cls)
    return mapper, tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


@cache
def entity_columns(cls) -> tuple[tuple[str, Any], ...]:
    """(attribute name, column) of every column attribute of ``cls``, in mapper order."""
    return tuple((prop.key, prop.columns[0]) for prop in inspect(cls).column_attrs)


@cache
def attribute_names(cls) -> tuple[str, ...]:
    return tuple(name for name, _ in entity_columns(cls))


def columns_of(*classes) -> list:
    """Every column of each entity in turn: a statement whose rows ``entities`` splits."""
    return [column for cls in classes for _, column in entity_columns(cls)]


def entities(row, *classes, session=None) -> tuple:
    """The entities (``loaded``) of a row of ``columns_of(*classes)``, one per class."""
    out, start, session = [], 0, session or db.session()
    for cls in classes:
        names = attribute_names(cls)
        values = dict(zip(names, row[start : start + len(names)], strict=True))
        out.append(loaded(cls, values, session))
        start += len(names)
    return tuple(out)
