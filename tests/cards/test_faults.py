"""The faults of card issuance: signatures, duplicated and reordered callbacks, callbacks
before the batch is marked sent, the bank down, a worker dying after the send, and two
clerks submitting at once."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from integrations.bank.client import BankClient
from tests.cards.helpers import CARDS, bank_post, cast_world, login
from tests.cards.test_card_flow import card, live  # noqa: F401 - fixture
from tests.conftest import PG_URL
from unioncard.accounts.scope import Scope
from unioncard.cards import batches, delivery
from unioncard.cards.models import (
    BankOutbox,
    BatchStatus,
    CardBatch,
    CardStatus,
    MemberCard,
    OutboxStatus,
    Verification,
)
from unioncard.cards.tasks import flush_outbox
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.models_base import utcnow

RESULTS = "/api/integrations/bank/v1/callbacks/card-results"
EVENTS = "/api/integrations/bank/v1/callbacks/card-events"


def ready_batch(client, ctx, keys=("ok", "gbk_only"), *, deliver=False):
    """A normal-channel batch of checked members; the outbox is left undelivered."""
    world, ids = cast_world()
    for key in keys:
        member = db.session.get(Member, ids[key])
        db.session.add(
            MemberCard(
                member_id=member.id,
                org_id=member.org_id,
                status=CardStatus.PENDING,
                verification=Verification.PASSED,
            )
        )
    db.session.commit()
    if not deliver:
        ctx.config["TASK_MODE"] = "off"  # the dispatch after commit is lost (logged)
    try:
        r = client.post(
            f"{CARDS}/batches",
            headers=login(client, "ga1_operator"),
            json={"channel": "普通", "branch_code": f"B{world.org('dA').id:04d}"},
        )
    finally:
        ctx.config["TASK_MODE"] = "eager"
    assert r.status_code == 201, r.get_json()
    nos = {key: db.session.get(Member, ids[key]).member_no for key in keys}
    return r.get_json(), ids, nos


def results_body(batch, nos, **status):
    return {
        "batch_no": batch["batch_no"],
        "feedback_at": "2026-11-22T10:00:00+08:00",
        "results": [
            {
                "result_id": f"R-{no}",
                "member_no": no,
                "status": status.get(key, "success"),
                "card_no": f"62310000000000{i:05d}",
                "reason_code": None,
            }
            for i, (key, no) in enumerate(nos.items())
        ],
    }


@pytest.mark.parametrize(
    ("change", "message_part"),
    [
        ({"X-Signature": None}, "签名"),
        ({"X-Signature": "0" * 64}, "签名"),
        ({"X-Bank-Id": "NOBODY"}, "银行"),
    ],
)
def test_bad_signatures_are_refused(client, ctx, change, message_part):
    from integrations.signing import signed_headers

    raw = b'{"events": []}'
    headers = signed_headers(
        "BOC-SH", ctx.config["BANK_CALLBACK_SECRETS"]["BOC-SH"], "POST", EVENTS, raw
    )
    for key, value in change.items():
        if value is None:
            headers.pop(key)
        else:
            headers[key] = value
    r = client.post(EVENTS, data=raw, headers=headers)
    assert r.status_code == 401
    body = r.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["message"]


def test_stale_and_replayed_callbacks_are_refused(client, ctx):
    from integrations.signing import signed_headers

    raw = b'{"events": [{"event_id": "e1", "member_no": "1", "card_no": "1", "type": "produced", "at": "2026-11-22T10:00:00+08:00"}]}'
    secret = ctx.config["BANK_CALLBACK_SECRETS"]["BOC-SH"]
    stale = signed_headers("BOC-SH", secret, "POST", EVENTS, raw, now=time.time() - 301)
    assert client.post(EVENTS, data=raw, headers=stale).status_code == 401
    fresh = signed_headers("BOC-SH", secret, "POST", EVENTS, raw)
    assert client.post(EVENTS, data=raw, headers=fresh).status_code == 200
    replay = client.post(EVENTS, data=raw, headers=fresh)
    assert replay.status_code == 401
    assert "重复" in replay.get_json()["message"] or "nonce" in replay.get_json()["message"].lower()


def test_results_before_sent_twice_and_events_out_of_order(client, ctx):
    batch, ids, nos = ready_batch(client, ctx)
    assert db.session.get(CardBatch, batch["id"]).status == BatchStatus.QUEUED
    # events first: the card has no result yet, so they wait
    events = {
        "events": [
            {
                "event_id": f"E-{t}",
                "member_no": nos["ok"],
                "card_no": "6231000000000000000",
                "type": t,
                "at": "2026-11-22T11:00:00+08:00",
            }
            for t in ("activated", "produced")
        ]
    }
    r = bank_post(client, ctx, EVENTS, events)
    assert r.get_json()["deferred"] == 2
    body = results_body(batch, nos, gbk_only="failure")
    body["results"][1]["reason_code"] = "NAME_CHARSET"
    r = bank_post(client, ctx, RESULTS, body)
    assert r.status_code == 200 and r.get_json()["applied"] == 2
    again = bank_post(client, ctx, RESULTS, body)  # the bank retries the same callback
    assert again.get_json() == {"applied": 0, "duplicates": 2, "ignored": 0}
    db.session.rollback()
    answered = db.session.get(CardBatch, batch["id"])
    assert (answered.success_count, answered.failure_count) == (1, 1)
    assert answered.status == BatchStatus.ANSWERED
    assert card(ids["ok"]).status == CardStatus.ACTIVATED  # the deferred events, in order
    assert card(ids["gbk_only"]).channel.value == "特殊"
    # the worker now records the send: the answered batch is not pushed back to 已发送
    bank = BankClient(ctx.config["BANK_API_URL"], "x", "y")

    class Accepting:
        def submit_batch(self, payload):
            assert payload["batch_no"] == batch["batch_no"]

    outbox = db.session.query(BankOutbox).filter_by(batch_id=batch["id"]).one()
    assert delivery.deliver(outbox.id, Accepting()) == "sent"
    db.session.rollback()
    assert db.session.get(CardBatch, batch["id"]).status == BatchStatus.ANSWERED
    bank.close()
    # a late, older event changes nothing
    late = {
        "events": [
            {
                "event_id": "6231000000000000000-delivered",  # built from the card number
                "member_no": nos["ok"],
                "card_no": "6231000000000000000",
                "type": "delivered",
                "at": "2026-11-22T09:00:00+08:00",
            }
        ]
    }
    assert bank_post(client, ctx, EVENTS, late).status_code == 200
    assert bank_post(client, ctx, EVENTS, late).get_json()["duplicates"] == 1
    db.session.rollback()
    assert card(ids["ok"]).status == CardStatus.ACTIVATED
    # receipts keep the bank's ids as keyed hashes and no card number (PIPL)
    stored = " ".join(
        str(v) for row in db.session.execute(text("SELECT * FROM bank_receipt")) for v in row
    )
    assert "6231000000000000000" not in stored and "E-activated" not in stored


def test_bank_down_then_up_sends_the_batch_once(client, ctx, live):  # noqa: F811
    live.bank.pause_callbacks()
    batch, _ids, _nos = ready_batch(client, ctx)
    live.bank.fail_next(1)
    outbox_id = db.session.query(BankOutbox.id).filter_by(batch_id=batch["id"]).scalar()
    from unioncard.cards import gateways

    assert delivery.deliver(outbox_id, gateways.bank()) == "retry"
    db.session.rollback()
    outbox = db.session.get(BankOutbox, outbox_id)
    assert outbox.status == OutboxStatus.PENDING and outbox.attempts == 1
    assert outbox.next_attempt_at > utcnow()
    assert flush_outbox() == 0  # not due yet
    outbox = db.session.get(BankOutbox, outbox_id)  # the task ended the session
    outbox.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert flush_outbox() == 1
    assert db.session.get(BankOutbox, outbox_id).status == OutboxStatus.SENT
    assert db.session.get(CardBatch, batch["id"]).status == BatchStatus.SENT
    assert list(live.bank.batches) == [batch["batch_no"]]


def test_worker_dies_after_sending_before_recording(client, ctx, live):  # noqa: F811
    live.bank.pause_callbacks()
    batch, _ids, _nos = ready_batch(client, ctx)
    from unioncard.cards import gateways

    # the send happened, then the worker died: nothing was recorded
    gateways.bank().submit_batch(delivery.payload(db.session.get(CardBatch, batch["id"])))
    outbox = db.session.query(BankOutbox).filter_by(batch_id=batch["id"]).one()
    assert outbox.status == OutboxStatus.PENDING
    db.session.rollback()
    # the retry carries the same batch_no; the bank knows it: one batch at the bank
    assert delivery.deliver(outbox.id, gateways.bank()) == "sent"
    assert list(live.bank.batches) == [batch["batch_no"]]
    assert live.bank.batches[batch["batch_no"]].submissions == 2
    live.bank.resume_callbacks()


@pytest.mark.skipif(not PG_URL, reason="row locks need PostgreSQL; SQLite serialises writers")
def test_two_clerks_submitting_at_once_make_one_batch(client, ctx):
    world, ids = cast_world()
    for key in ("ok", "gbk_only", "expired"):
        member = db.session.get(Member, ids[key])
        db.session.add(
            MemberCard(
                member_id=member.id,
                org_id=member.org_id,
                status=CardStatus.PENDING,
                verification=Verification.PASSED,
            )
        )
    db.session.commit()
    org = world.org("gA1")
    account = world.accounts["ga1_operator"]
    scope = Scope(account.id, account.display_name, account.role, org.id, org.path)
    ctx.config["TASK_MODE"] = "off"
    barrier = threading.Barrier(2)
    outcomes = []

    def clerk():
        with ctx.app_context():
            barrier.wait()
            try:
                batches.submit(scope, org.id, "普通", f"B{world.org('dA').id:04d}")
                db.session.commit()
                outcomes.append("batch")
            except Exception as exc:  # the loser: a conflict, never a second batch
                db.session.rollback()
                outcomes.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=clerk) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        ctx.config["TASK_MODE"] = "eager"
    assert len(outcomes) == 2 and outcomes.count("batch") == 1, outcomes
    db.session.rollback()
    assert db.session.query(CardBatch).count() == 1
