"""即时参保审核: approving units' instant submissions makes a 待缴费 batch payable within 10
working days (counted across the National Day holiday), approving members' own paid
enrolments completes them at once, refusing needs a reason and calls the refund hook after
the flush; collective submissions are not in this list."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.insurance.b_helpers import REVIEW, enrolments_of, freeze_today, login, reload, submit_for
from tests.insurance.helpers import make_plan
from unioncard.extensions import db
from unioncard.insurance import personal_hooks
from unioncard.insurance.models import (
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    InsuranceBatch,
    SubmissionStatus,
)
from unioncard.orgs.models import OrgMessage


def _instant(iw, key, kind, members=None):
    plan = getattr(iw, "_plan_2026", None) or make_plan(iw.world, year=2026)
    iw._plan_2026 = plan
    return submit_for(iw, key, members, kind=kind, year=2026, plan=plan, start=date(2026, 9, 29))


def test_instant_list_holds_only_instant_kinds(client, insurance_world):
    iw = insurance_world
    a = _instant(iw, "gA1", EnrolmentKind.CARD_NO_COVER)
    p = _instant(iw, "gA2", EnrolmentKind.PERSONAL)
    submit_for(iw, "gA1", iw.uncarded["gA1"])  # a collective one: not here
    h = login(client, "da_reviewer")
    r = client.get(f"{REVIEW}/instant", headers=h)
    assert {row["id"] for row in r.get_json()} == {a.id, p.id}
    r = client.get(f"{REVIEW}/instant", headers=h, query_string={"kind": "个人参保"})
    assert [row["id"] for row in r.get_json()] == [p.id]
    # the collective list does not offer them
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [a.id]})
    assert r.status_code == 409


def test_approve_units_batch_payable_in_ten_working_days(client, insurance_world, time_machine):
    iw = insurance_world
    a = _instant(iw, "gA1", EnrolmentKind.CARD_NO_COVER)
    n = _instant(iw, "gA2", EnrolmentKind.NEW_CARD)
    freeze_today(time_machine, date(2026, 9, 28))  # 10-01..07 holiday, 10-10 a make-up Saturday
    h = login(client, "da_reviewer")
    r = client.post(f"{REVIEW}/instant/approve", headers=h, json={"submission_ids": [a.id, n.id]})
    assert r.status_code == 200, r.get_json()
    (batch,) = r.get_json()
    assert batch["batch_no"] == "JS2026-101-0001"
    assert (batch["source"], batch["status"]) == ("即时参保", "待缴费")
    # 9-29, 9-30, 10-08, 10-09, 10-10, 10-12 … 10-16: ten working days
    assert batch["payment_deadline"] == "2026-10-16"
    assert batch["member_count"] == 7 and batch["fee_total"] == "182.00"
    for sub in (a, n):
        assert reload(sub).status == SubmissionStatus.SENT
        assert {e.status for e in enrolments_of(sub.id)} == {EnrolmentStatus.SENT}
    msgs = db.session.scalars(select(OrgMessage).order_by(OrgMessage.id)).all()
    assert {m.org_id for m in msgs} == {iw.org("gA1").id, iw.org("gA2").id}
    assert all("2026-10-16" in m.body for m in msgs)


def test_configured_payment_days(client, insurance_world, monkeypatch, time_machine, app):
    iw = insurance_world
    a = _instant(iw, "gA1", EnrolmentKind.CARD_NO_COVER)
    monkeypatch.setitem(app.config, "INSURANCE_INSTANT_PAYMENT_WORKDAYS", 3)
    freeze_today(time_machine, date(2026, 9, 30))
    r = client.post(
        f"{REVIEW}/instant/approve",
        headers=login(client, "da_reviewer"),
        json={"submission_ids": [a.id]},
    )
    assert r.get_json()[0]["payment_deadline"] == "2026-10-10"  # 10-08, 10-09, 10-10


def test_personal_enrolments_complete_on_approval(client, insurance_world):
    iw = insurance_world
    p = _instant(iw, "gA2", EnrolmentKind.PERSONAL)
    u = _instant(iw, "gA1", EnrolmentKind.CARD_NO_COVER)
    h = login(client, "da_reviewer")
    r = client.post(f"{REVIEW}/instant/approve", headers=h, json={"submission_ids": [p.id, u.id]})
    assert r.status_code == 200
    by_status = {b["status"]: b for b in r.get_json()}
    assert set(by_status) == {"已完成", "待缴费"}
    done = by_status["已完成"]
    assert done["confirmed_at"] and done["payment_deadline"] is None
    assert done["fee_total"] == "78.00" and done["city_total"] == "39.00"
    assert reload(p).status == SubmissionStatus.COMPLETED
    es = enrolments_of(p.id)
    assert {e.status for e in es} == {EnrolmentStatus.COMPLETED}
    assert all(e.holding_member_id == e.member_id for e in es)
    assert db.session.get(InsuranceBatch, done["id"]).batch_no.startswith("JS2026-101-")


def test_refuse_needs_a_reason_and_calls_the_refund_hook(client, insurance_world, monkeypatch):
    iw = insurance_world
    p = _instant(iw, "gA2", EnrolmentKind.PERSONAL)
    u = _instant(iw, "gA1", EnrolmentKind.CARD_NO_COVER)
    seen = []

    def spy(ids):  # records what the refund would see, inside the same transaction
        rows = db.session.scalars(select(Enrolment).where(Enrolment.id.in_(ids))).all()
        seen.append({(e.id, e.status, e.holding_member_id) for e in rows})

    monkeypatch.setattr(personal_hooks, "on_refused", spy)
    h = login(client, "da_reviewer")
    ids = {"submission_ids": [p.id, u.id]}
    r = client.post(f"{REVIEW}/instant/refuse", headers=h, json={**ids, "reason": ""})
    assert r.status_code == 422 and seen == []
    assert reload(p).status == SubmissionStatus.SUBMITTED
    r = client.post(f"{REVIEW}/instant/refuse", headers=h, json={**ids, "reason": "非本单位会员"})
    assert r.status_code == 200, r.get_json()
    assert {row["status"] for row in r.get_json()} == {"已拒绝"}
    personal = {e.id for e in enrolments_of(p.id)}
    assert seen == [{(i, EnrolmentStatus.REFUSED, None) for i in personal}]
    assert {e.status for e in enrolments_of(u.id)} == {EnrolmentStatus.REFUSED}
    msg = db.session.scalar(select(OrgMessage).where(OrgMessage.org_id == iw.org("gA1").id))
    assert "非本单位会员" in msg.body


def test_a_failing_refund_hook_rolls_the_refusal_back(client, insurance_world, monkeypatch):
    iw = insurance_world
    p = _instant(iw, "gA2", EnrolmentKind.PERSONAL)

    def broken(ids):
        from unioncard.errors import Conflict

        raise Conflict("退款申请失败，请稍后重试")

    monkeypatch.setattr(personal_hooks, "on_refused", broken)
    r = client.post(
        f"{REVIEW}/instant/refuse",
        headers=login(client, "da_reviewer"),
        json={"submission_ids": [p.id], "reason": "重复参保"},
    )
    assert r.status_code == 409
    assert reload(p).status == SubmissionStatus.SUBMITTED
    assert {e.status for e in enrolments_of(p.id)} == {EnrolmentStatus.SUBMITTED}


def test_instant_scope(client, insurance_world):
    iw = insurance_world
    a = _instant(iw, "gA1", EnrolmentKind.CARD_NO_COVER)
    r = client.post(
        f"{REVIEW}/instant/approve",
        headers=login(client, "db_reviewer"),
        json={"submission_ids": [a.id]},
    )
    assert r.status_code == 404
    r = client.post(
        f"{REVIEW}/instant/approve",
        headers=login(client, "sa_reviewer"),
        json={"submission_ids": [a.id]},
    )
    assert r.status_code == 403
    assert reload(a).status == SubmissionStatus.SUBMITTED
    assert db.session.scalar(select(InsuranceBatch.id)) is None
