"""Card results on PostgreSQL: the one-statement write gives what the generic bulk writes
give, and callbacks of one batch that run at the same moment (no lock on the batch) still
apply each result once and count each answer once."""

from __future__ import annotations

import copy
import threading

import pytest
from sqlalchemy import select

from tests.cards.test_faults import ready_batch, results_body
from tests.conftest import PG_URL
from unioncard.cards import callbacks, result_writes
from unioncard.cards.models import (
    BankReceipt,
    BatchStatus,
    CardBatch,
    CardBatchMember,
    CardLogEntry,
    CardStatus,
    MemberCard,
)
from unioncard.extensions import db
from unioncard.notifications.models import SubscribeMessage

pytestmark = pytest.mark.skipif(not PG_URL, reason="the one-statement write is PostgreSQL's")

KEYS = ("ok", "gbk_only", "mismatch_at_bank")


def _state(batch_id: int) -> dict:
    """What a callback leaves behind, without the values that differ run to run (the
    moments taken from the clock, the random nonce of an encrypted card number)."""
    db.session.expire_all()
    links = db.session.scalars(
        select(CardBatchMember).where(CardBatchMember.batch_id == batch_id)
    ).all()
    members = [link.member_id for link in links]
    cards = db.session.scalars(select(MemberCard).where(MemberCard.member_id.in_(members)))
    log = db.session.scalars(
        select(CardLogEntry)
        .where(CardLogEntry.member_id.in_(members), CardLogEntry.actor == "银行")
        .order_by(CardLogEntry.id)
    )
    batch = db.session.get(CardBatch, batch_id)
    link_columns = ("member_id", "open_member_id", "result", "reason_code", "reason",
                    "result_id", "answered_at")  # fmt: skip
    card_columns = ("member_id", "status", "channel", "channel_reason", "card_no",
                    "card_no_bidx", "failure_code", "failure_reason", "feedback_at")  # fmt: skip
    log_columns = ("member_id", "action", "detail", "from_status", "to_status", "batch_id")
    return {
        "batch": (batch.status, batch.success_count, batch.failure_count, batch.feedback_at),
        "links": sorted(_values(link, link_columns) for link in links),
        "cards": sorted(_values(card, card_columns) for card in cards),
        # the move to the special channel is logged at the moment it is written
        "log": [_values(e, log_columns) + (e.at if e.to_status else None,) for e in log],
        "receipts": sorted(
            (r.kind, r.external_id, r.member_no, r.applied, r.payload)
            for r in db.session.scalars(select(BankReceipt))
        ),
        "messages": sorted(
            (m.member_id, m.event_key, m.state, m.detail)
            for m in db.session.scalars(select(SubscribeMessage))
        ),
    }


def _values(row, columns) -> tuple:
    return tuple(getattr(row, name) for name in columns)


def test_one_statement_writes_what_the_generic_writes_write(client, ctx, monkeypatch):
    batch, ids, nos = ready_batch(client, ctx, KEYS)
    first = results_body(batch, nos, gbk_only="failure", mismatch_at_bank="failure")
    first["results"][1] |= {"reason_code": "NAME_CHARSET", "reason": "姓名含银行无法打印的字符"}
    first["results"][2] |= {"reason_code": "ID_MISMATCH", "reason": None}
    first["results"].append(dict(first["results"][0], result_id="R-unknown", member_no="X1"))
    again = copy.deepcopy(first)  # the bank repeats the callback: duplicates
    other = results_body(batch, nos)  # new ids for answered members: ignored
    for result in other["results"]:
        result["result_id"] += "-second"
    earlier = db.session.scalar(select(MemberCard).where(MemberCard.member_id == ids["ok"]))
    earlier.failure_code, earlier.failure_reason = "OTHER", "上次失败"  # a success keeps it
    db.session.commit()

    outcomes = []
    for one_statement in (True, False):
        monkeypatch.setattr(result_writes, "ONE_STATEMENT", one_statement)
        counts = [callbacks.apply_results(copy.deepcopy(b)) for b in (first, again, other)]
        db.session.flush()
        outcomes.append((counts, _state(batch["id"])))
        db.session.rollback()
    assert outcomes[0] == outcomes[1]
    counts, state = outcomes[0]
    assert counts == [
        {"applied": 3, "duplicates": 0, "ignored": 1},
        {"applied": 0, "duplicates": 4, "ignored": 0},
        {"applied": 0, "duplicates": 0, "ignored": 3},
    ]
    assert state["batch"][:3] == (BatchStatus.ANSWERED, 1, 2)
    assert len(state["log"]) == 4  # three results and the move to the special channel


def _race(ctx, bodies, monkeypatch) -> list[dict]:
    """Apply ``bodies`` in threads that have all read the batch before any writes: each
    waits at the write until every other has read what it will change."""
    ready = threading.Barrier(len(bodies), timeout=20)
    execute = result_writes.ResultWrites.execute

    def execute_together(self, feedback_at):
        ready.wait()
        return execute(self, feedback_at)

    monkeypatch.setattr(result_writes.ResultWrites, "execute", execute_together)
    answers: list = [None] * len(bodies)

    def bank(i):
        with ctx.app_context():
            try:
                answers[i] = callbacks.apply_results(copy.deepcopy(bodies[i]))
                db.session.commit()
            except Exception as exc:  # reported below
                db.session.rollback()
                answers[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=bank, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return answers


def _applied_once(batch_id: int, members: int) -> None:
    db.session.rollback()
    batch = db.session.get(CardBatch, batch_id)
    assert batch.success_count + batch.failure_count == members
    assert batch.status == BatchStatus.ANSWERED
    links = db.session.scalars(select(CardBatchMember).where(CardBatchMember.batch_id == batch_id))
    assert all(link.result and link.open_member_id is None for link in links)
    moves = db.session.scalars(select(CardLogEntry).where(CardLogEntry.to_status == "已办卡"))
    assert len(moves.all()) == members  # one log row per member, never two


def test_the_same_callback_twice_at_once_applies_once(client, ctx, monkeypatch):
    batch, ids, nos = ready_batch(client, ctx, KEYS)
    body = results_body(batch, nos)
    answers = _race(ctx, [body, body], monkeypatch)
    assert sorted(answers, key=lambda a: a["applied"]) == [
        {"applied": 0, "duplicates": 3, "ignored": 0},
        {"applied": 3, "duplicates": 0, "ignored": 0},
    ]
    _applied_once(batch["id"], 3)
    assert db.session.query(BankReceipt).count() == 3


def test_two_answers_for_the_same_members_at_once_count_once(client, ctx, monkeypatch):
    batch, ids, nos = ready_batch(client, ctx, KEYS)
    first, second = results_body(batch, nos), results_body(batch, nos)
    for result in second["results"]:
        result["result_id"] += "-b"
    answers = _race(ctx, [first, second], monkeypatch)
    assert sorted(answers, key=lambda a: a["applied"]) == [
        {"applied": 0, "duplicates": 0, "ignored": 3},
        {"applied": 3, "duplicates": 0, "ignored": 0},
    ]
    _applied_once(batch["id"], 3)
    receipts = db.session.scalars(select(BankReceipt.applied)).all()
    assert sorted(receipts) == [False] * 3 + [True] * 3


def test_callbacks_for_different_members_at_once_all_count(client, ctx, monkeypatch):
    batch, ids, nos = ready_batch(client, ctx, KEYS)
    body = results_body(batch, nos, mismatch_at_bank="failure")
    parts = [dict(body, results=[r]) for r in body["results"]]
    answers = _race(ctx, parts, monkeypatch)
    assert answers == [{"applied": 1, "duplicates": 0, "ignored": 0}] * 3
    db.session.rollback()
    batch_row = db.session.get(CardBatch, batch["id"])
    assert (batch_row.success_count, batch_row.failure_count) == (2, 1)
    statuses = db.session.scalars(
        select(MemberCard.status).where(MemberCard.member_id.in_(ids.values()))
    ).all()
    assert sorted(statuses) == sorted([CardStatus.ISSUED] * 2 + [CardStatus.FAILED])
