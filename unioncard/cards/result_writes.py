"""The writes of one callback of card results (``callbacks.apply_results``).

``ResultWrites`` collects one row per fresh result (its receipt; for an applied result also
the link's answer and the card's change) and the card log rows, then writes them:

- on PostgreSQL in ONE statement: the results travel as a single JSON parameter
  (``json_to_recordset``), read once, and data-modifying CTEs update the links and the
  cards, insert the card log and the receipts. One round trip, one parse and plan, and no
  per-value work in SQLAlchemy or the driver (a 500-result callback: 4 statements and their
  ORM bookkeeping before). The statement is its own guard, so callbacks of one batch need
  not wait for each other: a link is answered only if, under its row lock, it is still
  open and unanswered (a concurrent callback that answered it first has committed), the
  card and the log follow only the links it answered, and a receipt key is written once
  (``ON CONFLICT DO NOTHING``: a concurrent repeat of the same result is a duplicate);
- elsewhere (SQLite), or with ``ONE_STATEMENT`` off (tests compare both paths on
  PostgreSQL), the generic bulk writes: one UPDATE of the links, one of the cards, one
  INSERT of the card log and one of the receipts.

Both paths write the same values: a key a result does not set (a success's failure code,
a failure's card number) keeps the stored value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, Text, bindparam, cast, column, func, insert, select, text, update

from ..bulk import is_postgres
from ..extensions import db
from ..models_base import UTCDateTime, utcnow
from ..notifications import outbox as notifications
from ..security.crypto import keyring
from .models import BankReceipt, CardBatchMember, CardLogEntry, MemberCard

ONE_STATEMENT = True  # tests switch it off to compare with the generic writes


def guarded() -> bool:
    """True when the writes themselves keep each result applied once (PostgreSQL's one
    statement, under row locks): the caller need not lock the batch first."""
    return ONE_STATEMENT and is_postgres()


@dataclass
class Outcome:
    """What the writes did: ``applied`` {link id: "success"/"failure"}, ``late`` how many
    of the given receipts were not written (another callback wrote them meanwhile)."""

    applied: dict[int, str]
    late: int = 0


class ResultWrites:
    """Rows of one callback: ``rows``, one per fresh result (``key``, ``member_no``,
    ``applied`` as read before the write, ``payload``; when applied also ``link_id``,
    ``card_id``, ``member_id``, ``result``, ``status``, and ``card_no`` + ``bidx`` for a
    success or ``code`` + ``reason`` for a failure, maybe ``channel`` + ``channel_reason``),
    and ``log``, the card log rows as ``log.moved`` gives them. ``execute`` returns what
    was written: on PostgreSQL a row read as applicable may have been answered meanwhile by
    another callback (it is then not applied, and its log rows not written)."""

    def __init__(self):
        self.rows: list[dict] = []
        self.log: list[dict] = []

    def execute(self, feedback_at: datetime) -> Outcome:
        if guarded():
            outcome = _write_one_statement(self.rows, self.log, feedback_at)
            members = {
                row["member_id"] for row in self.rows if row.get("link_id") in outcome.applied
            }
            log = [entry for entry in self.log if entry["member_id"] in members]
        else:
            outcome = _write_generic(self.rows, self.log, feedback_at)
            log = self.log
        if log:
            notifications.card_changes(log)  # members' WeChat messages, after commit
        return outcome


# The given results as a record set; a key a row lacks is NULL. A link is still open and
# unanswered exactly while its open_member_id is its member (answering and revoking clear
# it): the links are matched on that, a join condition, not on "result IS NULL", which on
# a table without statistics made the planner expect a few rows and hash the whole table.
_GIVEN = """json_to_recordset(CAST(:given AS JSON)) AS g(
    key VARCHAR(120), member_no VARCHAR(10), applied BOOLEAN, payload JSON,
    link_id INTEGER, card_id INTEGER, member_id INTEGER, result VARCHAR(10), status VARCHAR(9),
    card_no VARCHAR(255), bidx VARCHAR(32), code VARCHAR(20), reason VARCHAR(200),
    channel VARCHAR(6), channel_reason VARCHAR(100))"""

_ONE_STATEMENT_SQL = text(f"""
WITH given AS MATERIALIZED (SELECT * FROM {_GIVEN}),
links AS (
    UPDATE card_batch_member AS l
    SET open_member_id = NULL, result = g.result, result_id = g.key,
        reason_code = COALESCE(g.code, l.reason_code), reason = COALESCE(g.reason, l.reason),
        answered_at = :feedback_at
    FROM given AS g
    WHERE l.id = g.link_id AND l.open_member_id = g.member_id
    RETURNING l.id, l.member_id, l.result
),
cards AS (
    UPDATE member_card AS c
    SET status = g.status, feedback_at = :feedback_at, updated_at = :now,
        card_no = COALESCE(g.card_no, c.card_no),
        card_no_bidx = COALESCE(g.bidx, c.card_no_bidx),
        failure_code = COALESCE(g.code, c.failure_code),
        failure_reason = COALESCE(g.reason, c.failure_reason),
        channel = COALESCE(g.channel, c.channel),
        channel_reason = COALESCE(g.channel_reason, c.channel_reason)
    FROM given AS g JOIN links AS d ON d.id = g.link_id
    WHERE c.id = g.card_id
),
log AS (
    INSERT INTO card_log (member_id, actor, action, detail, from_status, to_status, batch_id, at)
    SELECT e.member_id, e.actor, e.action, e.detail, e.from_status, e.to_status, e.batch_id, e.at
    FROM json_to_recordset(CAST(:log AS JSON)) AS e(
        n INTEGER, member_id INTEGER, actor VARCHAR(50), action VARCHAR(30), detail TEXT,
        from_status VARCHAR(10), to_status VARCHAR(10), batch_id INTEGER,
        at TIMESTAMP WITH TIME ZONE)
    WHERE e.member_id IN (SELECT member_id FROM links)
    ORDER BY e.n
),
receipts AS (
    INSERT INTO bank_receipt (kind, external_id, member_no, applied, received_at, payload)
    SELECT 'result', g.key, g.member_no, EXISTS (SELECT FROM links AS d WHERE d.id = g.link_id),
           :now, g.payload
    FROM given AS g
    ON CONFLICT (kind, external_id) DO NOTHING
    RETURNING external_id
)
SELECT g.link_id, NULL AS written FROM given AS g
WHERE g.link_id IS NOT NULL AND g.link_id NOT IN (SELECT id FROM links)
UNION ALL SELECT NULL, count(*) FROM receipts
""").bindparams(
    bindparam("feedback_at", type_=UTCDateTime()), bindparam("now", type_=UTCDateTime())
)


def _write_one_statement(rows: list[dict], log: list[dict], feedback_at: datetime) -> Outcome:
    """PostgreSQL: every write of the callback in one statement (card numbers encrypted
    here, as the column type would). A link is answered only if it still is open and
    unanswered when its row is locked, and a receipt only written if no other callback
    wrote it meanwhile: concurrent callbacks of one batch need no lock on the batch."""
    issued = [row for row in rows if "card_no" in row]
    if issued:
        sealed = keyring().encrypt_many("card_no", [row["card_no"] for row in issued])
        secret = {id(row): value for row, value in zip(issued, sealed, strict=True)}
        rows = [row | {"card_no": secret[id(row)]} if id(row) in secret else row for row in rows]
    stamps = {at: at.isoformat() for at in {entry["at"] for entry in log}}  # a moment or two
    params = {
        "given": _dumps(rows),
        "log": _dumps([entry | {"n": n, "at": stamps[entry["at"]]} for n, entry in enumerate(log)]),
        "feedback_at": feedback_at,
        "now": utcnow(),
    }
    # the answer names only the exceptions: the links another callback answered first
    # (none, usually) and how many receipts were written, not a row per result
    missed, written = set(), 0
    for link_id, count in db.session.execute(_ONE_STATEMENT_SQL, params):
        if link_id is None:
            written = count
        else:
            missed.add(link_id)
    applied = {
        row["link_id"]: row["result"]
        for row in rows
        if row["applied"] and row["link_id"] not in missed
    }
    outcome = Outcome(applied, len(rows) - written)
    _forget(MemberCard, {row["card_id"] for row in rows if "card_id" in row})
    _forget(CardBatchMember, {row["link_id"] for row in rows if "link_id" in row})
    return outcome


def _dumps(rows: list[dict]) -> str:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), default=_json_value)


def _forget(model, ids: set[int]) -> None:
    """Objects of ``model`` the session holds among ``ids`` are reloaded on next use (the
    statement changed their rows behind the ORM's back)."""
    if not ids:
        return
    for obj in list(db.session.identity_map.values()):
        if type(obj) is model and obj.id in ids:
            db.session.expire(obj)


def _write_generic(rows: list[dict], log: list[dict], feedback_at: datetime) -> Outcome:
    """The caller holds the batch's lock: every row is written as given."""
    applied = [row for row in rows if row["applied"]]
    if applied:
        _update_by_id(CardBatchMember, [_link_change(row, feedback_at) for row in applied])
        _update_by_id(MemberCard, [_card_change(row, feedback_at) for row in applied])
    if log:
        _insert(CardLogEntry, log)
    received_at = utcnow()
    receipts = [
        {
            "kind": "result",
            "external_id": row["key"],
            "member_no": row["member_no"],
            "applied": row["applied"],
            "received_at": received_at,
            "payload": row["payload"],
        }
        for row in rows
    ]
    _insert(BankReceipt, receipts)
    return Outcome({row["link_id"]: row["result"] for row in applied})


def _link_change(row: dict, feedback_at: datetime) -> dict:
    change = {
        "id": row["link_id"],
        "open_member_id": None,
        "result": row["result"],
        "answered_at": feedback_at,
        "result_id": row["key"],
    }
    if "code" in row:
        change |= {"reason_code": row["code"], "reason": row["reason"]}
    return change


def _card_change(row: dict, feedback_at: datetime) -> dict:
    change = {"id": row["card_id"], "status": row["status"], "feedback_at": feedback_at}
    if "card_no" in row:
        change |= {"card_no": row["card_no"], "card_no_bidx": row["bidx"]}
    if "code" in row:
        change |= {"failure_code": row["code"], "failure_reason": row["reason"]}
    if "channel" in row:
        change |= {"channel": row["channel"], "channel_reason": row["channel_reason"]}
    return change


# The generic bulk writes. On PostgreSQL each is one short statement whose rows arrive as a
# single JSON parameter (``json_to_recordset``); elsewhere (SQLite) the ORM's bulk INSERT and
# UPDATE by primary key, an executemany each.


def _recordset(table, rows: list[dict], keys: list[str]):
    """``json_to_recordset(:rows) AS given(a type, b type, …)``: each value first bound as
    its column binds it (encrypted, the enum's word, UTC), JSON columns kept as they are;
    a key a row lacks is NULL."""
    dialect = db.session.get_bind().dialect
    binders = {
        key: None
        if isinstance(table.c[key].type, JSON)
        else table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        for key in keys
    }
    data = [
        {key: binders[key](row[key]) if binders[key] else row[key] for key in keys if key in row}
        for row in rows
    ]
    param = cast(bindparam(None, _dumps(data), type_=Text), JSON)
    columns = (column(key, table.c[key].type) for key in keys)
    return (
        func.json_to_recordset(param)
        .table_valued(*columns)
        .render_derived(name="given", with_types=True)
    )


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _insert(model, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys); on PostgreSQL a value common to every row is
    sent once."""
    if not is_postgres():
        db.session.execute(insert(model), rows)
        return
    table, keys = model.__table__, list(rows[0])
    common = _common(rows, keys)
    given = _recordset(table, rows, [key for key in keys if key not in common])
    values = {key: bindparam(None, common[key], type_=table.c[key].type) for key in common}
    columns = [given.c[key] if key not in common else values[key] for key in keys]
    db.session.execute(insert(table).from_select(keys, select(*columns)))


def _common(rows: list[dict], keys) -> dict:
    """The keys (in every row) whose value is the same in every row, with that value."""
    first = rows[0]
    return {
        key: first[key]
        for key in keys
        if key != "id" and all(key in row and row[key] == first[key] for row in rows)
    }


def _update_by_id(model, rows: list[dict]) -> None:
    """Update rows by primary key (dicts with ``id``, not all with the same keys); objects
    already in the session follow. On PostgreSQL one statement: a value common to every row
    is set once, and a key only some rows carry is set where given (``COALESCE`` with the
    stored value), so it must not be None; rows that do are written group by group."""
    if not is_postgres():
        db.session.execute(update(model), rows)  # the ORM groups the rows by their keys
        return
    keys = list(dict.fromkeys(key for row in rows for key in row))
    partial = [key for key in keys if any(key not in row for row in rows)]
    if any(row.get(key, "") is None for row in rows for key in partial):
        groups: dict[tuple, list[dict]] = {}
        for row in rows:
            groups.setdefault(tuple(row), []).append(row)
        for group in groups.values():
            _update_by_id(model, group)
        return
    common = _common(rows, keys)
    given_keys = [key for key in keys if key not in common]
    given = _recordset(model.__table__, rows, given_keys)
    stored = model.__table__.c
    values = {
        key: func.coalesce(given.c[key], stored[key]) if key in partial else given.c[key]
        for key in given_keys
        if key != "id"
    }
    db.session.execute(
        update(model).where(model.id == given.c.id).values({**common, **values}),
        execution_options={"synchronize_session": "fetch"},
    )
