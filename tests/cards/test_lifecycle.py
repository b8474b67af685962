"""After the bank: hand-out by the union, the 5-working-day watch, rejected revocations."""

from __future__ import annotations

from datetime import date

from tests.cards.helpers import CARDS, bank_post, login
from tests.cards.test_faults import EVENTS, RESULTS, ready_batch, results_body
from unioncard.accounts.scope import Scope
from unioncard.cards import lifecycle
from unioncard.cards.models import BatchStatus, CardBatch, CardStatus, MemberCard
from unioncard.extensions import db


def delivered(client, ctx, at: str):
    batch, ids, nos = ready_batch(client, ctx, keys=("ok",))
    bank_post(client, ctx, RESULTS, results_body(batch, nos))
    body = {
        "events": [
            {
                "event_id": "D1",
                "member_no": nos["ok"],
                "card_no": "6231000000000000000",
                "type": "delivered",
                "at": at,
            }
        ]
    }
    assert bank_post(client, ctx, EVENTS, body).get_json()["applied"] == 1
    return batch, ids


def test_cards_not_handed_out_within_five_working_days(client, ctx):
    # delivered Friday 2026-09-25; the National Day holiday runs 10-01 to 10-08 and
    # Sunday 09-27 is a make-up working day: 09-27, 28, 29, 30 and 10-09 are the five
    _batch, ids = delivered(client, ctx, "2026-09-25T15:00:00+08:00")
    world_account = db.session.query(MemberCard).filter_by(member_id=ids["ok"]).one()
    assert world_account.status == CardStatus.DELIVERED
    from unioncard.accounts.models import StaffAccount

    account = db.session.query(StaffAccount).filter_by(username="ga1_operator").one()
    scope = Scope.for_account(account)
    on_time = db.session.execute(lifecycle.overdue(scope, today=date(2026, 10, 9))).all()
    late = db.session.execute(lifecycle.overdue(scope, today=date(2026, 10, 10))).all()
    assert on_time == [] and [m.id for m, _ in late] == [ids["ok"]]
    # by Monday-to-Friday counting it would already be late on 10-02: the calendar matters
    assert db.session.execute(lifecycle.overdue(scope, today=date(2026, 10, 2))).all() == []
    clerk = login(client, "ga1_operator")
    assert client.post(f"{CARDS}/members/{ids['ok']}/hand-out", headers=clerk).status_code == 200
    assert db.session.get(MemberCard, world_account.id).status == CardStatus.HANDED_OUT
    again = client.post(f"{CARDS}/members/{ids['ok']}/hand-out", headers=clerk)
    assert again.status_code == 409
    log = client.get(f"{CARDS}/members/{ids['ok']}/log", headers=clerk).get_json()
    assert [e["action"] for e in log][-2:] == ["已送达单位", "已发放"]


def test_rejected_revocation_keeps_the_batch(client, ctx):
    batch, ids, nos = ready_batch(client, ctx, keys=("ok",))
    clerk = login(client, "ga1_operator")
    r = client.post(
        f"{CARDS}/batches/{batch['id']}/revocation",
        headers=clerk,
        json={"applicant_name": "王经办", "applicant_phone": "13912345678"},
    )
    district = login(client, "da_reviewer")
    assert (
        client.post(
            f"/api/admin/v1/cards/revocations/{r.get_json()['id']}/reject",
            headers=district,
            json={"reason": " "},
        ).status_code
        == 422
    )
    r = client.post(
        f"/api/admin/v1/cards/revocations/{r.get_json()['id']}/reject",
        headers=district,
        json={"reason": "材料已交银行"},
    )
    assert r.status_code == 200 and r.get_json()["status"] == "审核不通过"
    # locked: no second request, the members stay in the batch until the bank answers
    again = client.post(
        f"{CARDS}/batches/{batch['id']}/revocation",
        headers=clerk,
        json={"applicant_name": "王经办", "applicant_phone": "13912345678"},
    )
    assert again.status_code == 409
    assert (
        db.session.query(MemberCard).filter_by(member_id=ids["ok"]).one().status
        == CardStatus.IN_PROGRESS
    )
    bank_post(client, ctx, RESULTS, results_body(batch, nos))
    db.session.rollback()
    assert db.session.get(CardBatch, batch["id"]).status == BatchStatus.ANSWERED
