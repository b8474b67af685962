"""The bulk writes of a results callback: one UPDATE for cards that change different
columns (a success sets the card number, a failure the reason, NAME_CHARSET the channel),
each card keeping what its own result does not set."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from tests.cards.helpers import bank_post
from tests.cards.test_faults import RESULTS, ready_batch, results_body
from unioncard.cards.callbacks import receipt_key
from unioncard.cards.models import CardBatchMember, CardLogEntry, CardStatus, Channel, MemberCard
from unioncard.cards.result_writes import _update_by_id
from unioncard.extensions import db
from unioncard.security.crypto import keyring


def _card(member_id) -> MemberCard:
    db.session.expire_all()
    return db.session.query(MemberCard).filter_by(member_id=member_id).one()


def test_one_callback_success_and_name_charset_failure(client, ctx):
    batch, ids, nos = ready_batch(client, ctx)
    earlier = _card(ids["ok"])  # a failure code left from an earlier batch stays as it was
    earlier.failure_code, earlier.failure_reason = "OTHER", "上次失败"
    db.session.commit()
    body = results_body(batch, nos, gbk_only="failure")
    body["results"][1] |= {"reason_code": "NAME_CHARSET", "reason": "姓名含银行无法打印的字符"}
    r = bank_post(client, ctx, RESULTS, body)
    assert r.get_json() == {"applied": 2, "duplicates": 0, "ignored": 0}

    issued, refused = _card(ids["ok"]), _card(ids["gbk_only"])
    assert issued.status == CardStatus.ISSUED
    assert issued.card_no == body["results"][0]["card_no"]  # decrypted on read
    assert issued.channel == Channel.NORMAL and issued.channel_reason is None
    assert (issued.failure_code, issued.failure_reason) == ("OTHER", "上次失败")
    assert refused.status == CardStatus.FAILED
    assert (refused.failure_code, refused.channel) == ("NAME_CHARSET", Channel.SPECIAL)
    assert refused.card_no is None and refused.card_no_bidx is None
    stored = db.session.scalar(
        text("SELECT card_no FROM member_card WHERE id = :id"), {"id": issued.id}
    )
    card_no = body["results"][0]["card_no"]
    assert stored != card_no and keyring().decrypt("card_no", stored) == card_no  # at rest
    log = db.session.query(CardLogEntry).filter_by(member_id=ids["ok"]).all()
    assert [e.detail for e in log if e.to_status == "已办卡"] == ["卡号 6231********0000"]


def test_a_none_in_a_key_only_some_rows_carry_is_written(ctx, client):
    batch, ids, nos = ready_batch(client, ctx)
    first, second = _card(ids["ok"]), _card(ids["gbk_only"])
    first.failure_code = second.failure_code = "OTHER"
    first.failure_reason = second.failure_reason = "原因"
    db.session.commit()
    # the first row clears failure_code, the second does not carry it: each as given
    _update_by_id(
        MemberCard,
        [
            {"id": first.id, "failure_code": None},
            {"id": second.id, "failure_reason": "新原因"},
        ],
    )
    db.session.commit()
    first, second = _card(ids["ok"]), _card(ids["gbk_only"])
    assert (first.failure_code, first.failure_reason) == (None, "原因")
    assert (second.failure_code, second.failure_reason) == ("OTHER", "新原因")


def test_an_answered_member_keeps_the_result_id_only_as_its_receipt_key(client, ctx):
    batch, ids, nos = ready_batch(client, ctx)
    body = results_body(batch, nos)
    body["results"][0]["result_id"] = "6231000000000000000-" + "x" * 100  # long, card-based
    assert bank_post(client, ctx, RESULTS, body).status_code == 200
    db.session.rollback()
    links = db.session.query(CardBatchMember).filter_by(batch_id=batch["id"]).all()
    assert sorted(link.result_id for link in links) == sorted(
        receipt_key("result", r["result_id"]) for r in body["results"]
    )


def test_the_migration_hashes_result_ids_stored_in_clear(client, ctx):
    from flask_migrate import downgrade, upgrade

    migrations = str(Path(__file__).resolve().parents[2] / "migrations")
    batch, ids, nos = ready_batch(client, ctx)
    link = db.session.query(CardBatchMember).filter_by(batch_id=batch["id"]).first()
    link.result_id = "B1-0000000001"  # as answered before the change
    link_id = link.id
    db.session.commit()
    db.session.remove()
    downgrade(directory=migrations, revision="7c1d2e3f4a5b")
    upgrade(directory=migrations)
    assert db.session.get(CardBatchMember, link_id).result_id == receipt_key(
        "result", "B1-0000000001"
    )


def test_a_result_id_repeated_in_one_callback_counts_once(client, ctx):
    """The bank sends the same result twice in one callback: the first copy is applied, the
    second is a duplicate, on every database (it used to fail on the receipt key's unique
    index: a 500 on SQLite)."""
    batch, ids, nos = ready_batch(client, ctx)
    body = results_body(batch, nos)
    body["results"].append(dict(body["results"][0]))
    r = bank_post(client, ctx, RESULTS, body)
    assert r.status_code == 200 and r.get_json() == {"applied": 2, "duplicates": 1, "ignored": 0}
    assert _card(ids["ok"]).status == CardStatus.ISSUED
    log = db.session.query(CardLogEntry).filter_by(member_id=ids["ok"]).all()
    assert len([e for e in log if e.to_status == "已办卡"]) == 1
