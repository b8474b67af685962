"""提交列表中的参保信息 (批次确认): the district window with a frozen Shanghai clock on both
sides of each boundary (and on a public holiday inside a window), the handler's details
(mobile encrypted and masked), the batch and its notice, immutability afterwards. The batch
is payable until 5 working days (China's official calendar) after the submission day."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from tests.insurance.b_helpers import (
    BATCHES,
    HANDLER,
    REVIEW,
    enrolments_of,
    freeze_today,
    login,
    reload,
    submit_for,
)
from tests.insurance.helpers import add_people, make_plan, open_campaign
from unioncard.extensions import db
from unioncard.insurance.models import (
    EnrolmentKind,
    EnrolmentStatus,
    InsuranceBatch,
    Notice,
    NoticeKind,
    SubmissionStatus,
)
from unioncard.storage.services import read_file
from unioncard.workdays import is_workday


@pytest.fixture(autouse=True)
def new_year_2027(app, monkeypatch):
    """chinese-calendar 1.11 has no 2027 schedule yet: 元旦 2027-01-01 (a Friday) is entered
    as the operators would, in EXTRA_HOLIDAYS."""
    monkeypatch.setitem(app.config, "EXTRA_HOLIDAYS", ("2027-01-01",))


def _accepted(client, iw, *keys, year=2027, plan=None):
    subs = []
    for key in keys:
        subs.append(submit_for(iw, key, year=year, plan=plan))
    subs.append(
        submit_for(iw, "gA1", iw.uncarded["gA1"], kind=EnrolmentKind.SOCIAL, year=year, plan=plan)
    )
    h = login(client, "da_reviewer")
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [s.id for s in subs]})
    assert r.status_code == 200, r.get_json()
    return h, subs


def _batches() -> int:
    return db.session.scalar(select(func.count()).select_from(InsuranceBatch))


def _pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(text.split())  # the layout breaks lines anywhere


@pytest.mark.parametrize(
    ("day", "workdays", "deadline"),
    [
        # the window's last day (Thursday): 01-01 is 元旦, 01-02/03 a weekend, then
        # 01-04, 01-05, 01-06, 01-07, 01-08
        (date(2026, 12, 31), None, date(2027, 1, 8)),
        # the first day (Monday): 12-29, 12-30, 12-31, 01-04, 01-05
        (date(2026, 12, 28), None, date(2027, 1, 5)),
        # a configured period: one working day after the last day is the Monday after 元旦
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
    ],
)
def test_the_batch_is_payable_for_working_days_after_the_submission(
    client, insurance_world, monkeypatch, time_machine, app, day, workdays, deadline
):
    iw = insurance_world
    if workdays is not None:
        monkeypatch.setitem(app.config, "INSURANCE_DISTRICT_PAYMENT_WORKDAYS", workdays)
    else:
        assert app.config["INSURANCE_DISTRICT_PAYMENT_WORKDAYS"] == 5
    h, _subs = _accepted(client, iw, "gA1")
    freeze_today(time_machine, day)
    r = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["payment_deadline"] == deadline.isoformat()
    assert deadline > iw.campaign.district_to  # never due on the day the window closes
    batch = db.session.get(InsuranceBatch, r.get_json()["id"])
    assert batch.payment_deadline == deadline
    notice = db.session.scalar(select(Notice).where(Notice.batch_id == batch.id))
    assert notice.figures["payment_deadline"] == deadline.isoformat()
    printed = _pdf_text(read_file(notice.file_id)[1])
    cn = f"{deadline.year}年{deadline.month}月{deadline.day}日"
    assert f"请于{cn}之前将应缴参保资金" in printed, printed


# The 2027 campaign's district window is 2026-12-28 .. 2026-12-31 (helpers.DEFAULT_DATES).
@pytest.mark.parametrize(
    ("day", "allowed"),
    [
        (date(2026, 12, 27), False),  # the day before the window
        (date(2026, 12, 28), True),  # first day
        (date(2026, 12, 31), True),  # last day
        (date(2027, 1, 1), False),  # the day after (New Year's Day)
    ],
)
def test_the_district_window_is_inclusive(client, insurance_world, time_machine, day, allowed):
    iw = insurance_world
    h, _subs = _accepted(client, iw, "gA1")
    freeze_today(time_machine, day)
    r = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    if allowed:
        assert r.status_code == 201, r.get_json()
        assert _batches() == 1
    else:
        assert r.status_code == 409
        message = r.get_json()["message"]
        assert "2026年12月28日至2026年12月31日" in message, message
        assert _batches() == 0
        assert {s.status for s in db.session.scalars(select(InsuranceBatch))} == set()


def test_a_window_across_a_public_holiday(client, insurance_world, time_machine):
    """The window counts calendar days: National Day 2026 (a holiday) inside it is open."""
    iw = insurance_world
    plan = make_plan(iw.world, year=2028)
    open_campaign(
        iw.world,
        year=2028,
        district_from=date(2026, 9, 30),
        district_to=date(2026, 10, 8),
    )
    h, _subs = _accepted(client, iw, "gA2", year=2028, plan=plan)
    assert not is_workday(date(2026, 10, 1))
    freeze_today(time_machine, date(2026, 10, 9))  # the day after: closed
    r = client.post(f"{REVIEW}/submit", headers=h, json={**HANDLER, "year": 2028})
    assert r.status_code == 409 and "2026年9月30日至2026年10月8日" in r.get_json()["message"]
    freeze_today(time_machine, date(2026, 10, 1))
    r = client.post(f"{REVIEW}/submit", headers=h, json={**HANDLER, "year": 2028})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["batch_no"] == "BX2028-101-0001"
    # 5 working days after the 1st (a holiday): 10-08, 10-09, 10-10 (Saturday, 调休上班),
    # 10-12, 10-13; not the window's last day (10-08)
    assert not is_workday(date(2026, 10, 7)) and is_workday(date(2026, 10, 10))
    assert r.get_json()["payment_deadline"] == "2026-10-13"


def test_submit_makes_a_batch_with_notice_and_masks_the_handler(
    client, insurance_world, time_machine
):
    iw = insurance_world
    h, subs = _accepted(client, iw, "gA1", "gA2")
    freeze_today(time_machine, date(2026, 12, 29))
    r = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["batch_no"] == "BX2027-101-0001"
    assert body["source"] == "集中参保" and body["status"] == "待缴费"
    assert (body["member_count"], body["card_count"], body["social_count"]) == (9, 7, 2)
    assert (body["fee_total"], body["city_total"], body["district_total"]) == (
        "234.00",
        "117.00",
        "117.00",
    )
    assert body["grassroots_total"] == "0.00"
    # submitted on Tuesday 12-29: 12-30, 12-31, (元旦 01-01 and the weekend), 01-04, 01-05, 01-06
    assert body["payment_deadline"] == "2027-01-06"
    assert body["handler_phone"] == "138****1234"
    assert body["handler_name"] == "王经办" and body["handler_email"] == "wang@example.com"
    # the mobile is stored encrypted
    raw = db.session.execute(text("SELECT handler_phone FROM insurance_batch")).scalar_one()
    assert "13812341234" not in str(raw)
    batch = db.session.get(InsuranceBatch, body["id"])
    assert batch.handler_phone == "13812341234"
    # every submission and enrolment is sent, in the batch
    for sub in subs:
        assert reload(sub).status == SubmissionStatus.SENT and reload(sub).batch_id == batch.id
        assert {(e.status, e.batch_id) for e in enrolments_of(sub.id)} == {
            (EnrolmentStatus.SENT, batch.id)
        }
    # the district notice (helper A's) was issued and downloads as a PDF
    notice = db.session.scalar(select(Notice).where(Notice.batch_id == batch.id))
    assert notice.kind == NoticeKind.DISTRICT and notice.org_id == iw.org("dA").id
    r = client.get(f"{BATCHES}/{batch.id}/notice", headers=h)
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    # the notice asks for payment by the batch's own deadline, not the window's last day
    assert notice.figures["payment_deadline"] == "2027-01-06"
    printed = _pdf_text(read_file(notice.file_id)[1])
    assert "请于2027年1月6日之前将应缴参保资金" in printed, printed
    assert "2026年12月31日" not in printed, printed
    # the list is now empty; a second submit is refused
    r = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    assert r.status_code == 409 and "为空" in r.get_json()["message"]
    # the next batch of the district and year numbers on
    more = submit_for(iw, "gA2", add_people(iw.org("gA2"), 2, start_seq=250))
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [more.id]})
    assert r.status_code == 200
    r = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    assert r.status_code == 201 and r.get_json()["batch_no"] == "BX2027-101-0002"
    assert r.get_json()["member_count"] == 2


def test_a_sent_submission_is_immutable(client, insurance_world, time_machine):
    iw = insurance_world
    h, subs = _accepted(client, iw, "gA1")
    freeze_today(time_machine, date(2026, 12, 28))
    assert client.post(f"{REVIEW}/submit", headers=h, json=HANDLER).status_code == 201
    sub = subs[0]
    ids = {"submission_ids": [sub.id]}
    for path, body in (
        ("/accept", ids),
        ("/remove", ids),
        (f"/submissions/{sub.id}/return", {"reason": "改一下"}),
        ("/instant/refuse", {**ids, "reason": "改一下"}),
        ("/instant/approve", ids),
    ):
        r = client.post(f"{REVIEW}{path}", headers=h, json=body)
        assert r.status_code == 409, (path, r.get_json())
        assert r.get_json()["message"]
    assert reload(sub).status == SubmissionStatus.SENT
    assert {e.status for e in enrolments_of(sub.id)} == {EnrolmentStatus.SENT}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"handler_phone": "1381234123"}, "handler_phone"),
        ({"handler_phone": "23812341234"}, "handler_phone"),
        ({"handler_email": "wang@"}, "handler_email"),
        ({"handler_name": "  "}, "handler_name"),
    ],
)
def test_bad_handler_details_write_nothing(client, insurance_world, time_machine, change, field):
    iw = insurance_world
    h, subs = _accepted(client, iw, "gA1")
    freeze_today(time_machine, date(2026, 12, 28))
    r = client.post(f"{REVIEW}/submit", headers=h, json={**HANDLER, **change})
    assert r.status_code == 422
    assert field in r.get_json()["errors"]
    assert "经办人" in r.get_json()["message"] or r.get_json()["errors"][field]
    assert _batches() == 0
    assert reload(subs[0]).status == SubmissionStatus.ACCEPTED


def test_only_the_district_submits(client, insurance_world, time_machine):
    iw = insurance_world
    _h, _subs = _accepted(client, iw, "gA1")
    freeze_today(time_machine, date(2026, 12, 28))
    r = client.post(f"{REVIEW}/submit", headers=login(client, "sa_reviewer"), json=HANDLER)
    assert r.status_code == 403
    # dB's reviewer has nothing accepted: dA's list is not reachable
    r = client.post(f"{REVIEW}/submit", headers=login(client, "db_reviewer"), json=HANDLER)
    assert r.status_code == 409
    assert _batches() == 0
