"""The payment deadline job (insurance.expire_unpaid) with a frozen Shanghai clock: nothing
after the district window closes nor on the deadline day (5 working days after the
submission), the day after the unpaid batch fails with its submissions and enrolments
(places released, one message per union), a paid batch is left alone, unsent collective
submissions fail after the district window; run twice it changes and counts nothing more;
a run holding the lock makes a second one skip."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.insurance.b_helpers import (
    HANDLER,
    REVIEW,
    enrolments_of,
    freeze_today,
    login,
    png_bytes,
    sent_batch,
    submit_for,
    upload,
)
from unioncard.extensions import db
from unioncard.insurance import deadline
from unioncard.insurance.deadline_tasks import expire_unpaid
from unioncard.insurance.models import (
    EnrolmentStatus,
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
    UnitSubmission,
)
from unioncard.kvstore import exclusive
from unioncard.orgs.models import OrgMessage

ZERO = {"batches": 0, "submissions": 0, "enrolments": 0, "messages": 0}


@pytest.fixture(autouse=True)
def new_year_2027(app, monkeypatch):
    """chinese-calendar 1.11 has no 2027 schedule yet: 元旦 2027-01-01 (a Friday) is entered
    as the operators would, in EXTRA_HOLIDAYS."""
    monkeypatch.setitem(app.config, "EXTRA_HOLIDAYS", ("2027-01-01",))


def _messages() -> list[OrgMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OrgMessage).order_by(OrgMessage.id)))


def _run() -> dict:
    result = expire_unpaid.apply().get()
    db.session.expire_all()
    return result


def test_unpaid_batch_fails_the_day_after_its_deadline_once(client, insurance_world, time_machine):
    iw = insurance_world
    # sent on Monday 2026-12-28: 12-29, 12-30, 12-31, (元旦, weekend) 01-04, 01-05
    batch, subs = sent_batch(client, iw, time_machine, "gA1", "gA2")
    assert batch["payment_deadline"] == "2027-01-05"
    sub_ids = [s.id for s in subs]
    org_ids = {k: iw.org(k).id for k in ("gA1", "gA2", "dA")}
    # the day after the district window closed, and the deadline day itself: still payable
    for day in (date(2027, 1, 1), date(2027, 1, 5)):
        freeze_today(time_machine, day)
        assert _run() == ZERO, day
        assert (
            db.session.get(InsuranceBatch, batch["id"]).status
            == InsuranceBatchStatus.AWAITING_PAYMENT
        )
        assert {e.status for e in enrolments_of(sub_ids[0])} == {EnrolmentStatus.SENT}
    assert _messages() == []

    freeze_today(time_machine, date(2027, 1, 6))
    # 3 submissions (gA1 card + social, gA2), 9 enrolments, messages to gA1, gA2 and dA
    assert _run() == {"batches": 1, "submissions": 3, "enrolments": 9, "messages": 3}
    found = db.session.get(InsuranceBatch, batch["id"])
    assert found.status == InsuranceBatchStatus.FAILED and found.failed_at
    for sub_id in sub_ids:
        assert db.session.get(UnitSubmission, sub_id).status == SubmissionStatus.FAILED
        for e in enrolments_of(sub_id):
            assert e.status == EnrolmentStatus.FAILED
            assert e.failed_reason == "逾期未缴费，参保失败，请按即时参保流程办理"
            assert e.holding_member_id is None
    msgs = _messages()
    assert {m.org_id for m in msgs} == set(org_ids.values())
    assert {m.dedupe_key for m in msgs} == {
        f"ins-expired:{batch['id']}:{org_id}" for org_id in org_ids.values()
    }
    assert all("BX2027-101-0001" in m.body for m in msgs)

    # twice (and the service directly, a third time): nothing more, nothing counted
    assert _run() == ZERO
    assert deadline.expire_unpaid() == ZERO
    assert len(_messages()) == 3
    # the unit reads its one message
    r = client.get("/api/admin/v1/insurance/messages", headers=login(client, "ga2_operator"))
    assert [m["title"] for m in r.get_json()] == ["参保批次逾期未缴费"]


def test_a_batch_sent_on_the_windows_last_day_fails_after_its_own_deadline(
    client, insurance_world, time_machine
):
    """Sent on 2026-12-31 (Thursday): payable until 2027-01-08 (01-04 … 01-08)."""
    iw = insurance_world
    sub_id = submit_for(iw, "gA1").id
    h = login(client, "da_reviewer")
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [sub_id]})
    assert r.status_code == 200
    freeze_today(time_machine, date(2026, 12, 31))
    r = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    assert r.status_code == 201, r.get_json()
    batch_id = r.get_json()["id"]
    assert r.get_json()["payment_deadline"] == "2027-01-08"
    for day in (date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 8)):
        freeze_today(time_machine, day)
        assert _run() == ZERO, day
        assert db.session.get(InsuranceBatch, batch_id).status == (
            InsuranceBatchStatus.AWAITING_PAYMENT
        )
    freeze_today(time_machine, date(2027, 1, 9))
    # 1 submission of 4 members; messages to gA1 and dA
    assert _run() == {"batches": 1, "submissions": 1, "enrolments": 4, "messages": 2}
    assert db.session.get(InsuranceBatch, batch_id).status == InsuranceBatchStatus.FAILED
    assert db.session.get(UnitSubmission, sub_id).status == SubmissionStatus.FAILED
    assert {e.failed_reason for e in enrolments_of(sub_id)} == {
        "逾期未缴费，参保失败，请按即时参保流程办理"
    }
    assert _run() == ZERO


def test_a_paid_batch_is_not_failed(client, insurance_world, time_machine):
    batch, subs = sent_batch(client, insurance_world, time_machine)
    sub_id = subs[0].id
    r = upload(client, login(client, "da_reviewer"), batch["id"], png_bytes(), "a.png")
    assert r.status_code == 200
    freeze_today(time_machine, date(2027, 1, 6))  # the day after its deadline (2027-01-05)
    assert _run() == ZERO
    assert (
        db.session.get(InsuranceBatch, batch["id"]).status == InsuranceBatchStatus.VOUCHER_UPLOADED
    )
    assert {e.status for e in enrolments_of(sub_id)} == {EnrolmentStatus.SENT}


def test_unsent_collective_submissions_fail_after_the_district_window(
    client, insurance_world, time_machine
):
    iw = insurance_world
    pending = submit_for(iw, "gA1")  # never reviewed
    accepted = submit_for(iw, "gA2")
    other = submit_for(iw, "gB1")
    r = client.post(
        f"{REVIEW}/accept",
        headers=login(client, "da_reviewer"),
        json={"submission_ids": [accepted.id]},
    )
    assert r.status_code == 200
    sub_ids = [pending.id, accepted.id, other.id]
    freeze_today(time_machine, date(2026, 12, 31))  # the window's last day: still open
    assert _run() == ZERO
    freeze_today(time_machine, date(2027, 1, 1))
    # 3 submissions; 4 + 3 + 2 enrolments; messages to gA1, gA2, gB1, dA, dB
    assert _run() == {"batches": 0, "submissions": 3, "enrolments": 9, "messages": 5}
    for sub_id in sub_ids:
        assert db.session.get(UnitSubmission, sub_id).status == SubmissionStatus.FAILED
        assert {e.holding_member_id for e in enrolments_of(sub_id)} == {None}
        assert "区局未在规定时间内提交" in enrolments_of(sub_id)[0].failed_reason
    assert _run() == ZERO
    assert db.session.scalar(select(func.count()).select_from(OrgMessage)) == 5


def test_a_concurrent_run_skips_while_the_lock_is_held(client, insurance_world, time_machine):
    batch, _subs = sent_batch(client, insurance_world, time_machine)
    freeze_today(time_machine, date(2027, 1, 6))  # the day after its deadline (2027-01-05)
    with exclusive("insurance.expire_unpaid") as acquired:
        assert acquired
        assert _run() is None  # the other worker holds it: this run does nothing
        assert (
            db.session.get(InsuranceBatch, batch["id"]).status
            == InsuranceBatchStatus.AWAITING_PAYMENT
        )
    assert _run()["batches"] == 1
    assert _run() == ZERO
