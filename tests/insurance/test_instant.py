"""即时参保: units' 有卡无保 / 新办卡 lists and submissions (coverage from tomorrow, half-year
fee after 30 June), the one-plan rule, and the member's own 个人参保 with payment."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.insurance.helpers import INSURANCE, add_people, give_cards, login, make_plan
from unioncard.errors import Conflict, InvalidTransition, ValidationFailed
from unioncard.extensions import db
from unioncard.insurance import instant
from unioncard.insurance.models import (
    Enrolment,
    EnrolmentStatus,
    SubmissionStatus,
    UnionPlanChoice,
    UnitSubmission,
)


@pytest.fixture()
def instant_world(insurance_world):
    iw = insurance_world
    iw.plan_2026 = make_plan(iw.world, year=2026, half_year_fee=Decimal("13"))
    new = add_people(iw.org("gA1"), 2, start_seq=170)
    give_cards(new, issued_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC))
    iw.new_cards = new
    return iw


def cands(client, iw, kind, user="ga1_operator"):
    r = client.get(
        f"{INSURANCE}/unions/{iw.org('gA1').id}/instant/candidates?kind={kind}",
        headers=login(client, user),
    )
    assert r.status_code == 200, r.get_json()
    return {m["member_id"]: m for m in r.get_json()}


def test_lists_are_disjoint_and_show_coverage(client, instant_world):
    iw = instant_world
    old = cands(client, iw, "有卡无保")
    new = cands(client, iw, "新办卡")
    assert set(old) == {m.id for m in iw.members["gA1"]}
    assert set(new) == {m.id for m in iw.new_cards}
    row = next(iter(old.values()))
    assert (row["start_date"], row["end_date"]) == ("2026-11-23", "2026-12-31")


def test_unit_submits_instant_enrolment(client, instant_world):
    iw = instant_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    chosen = [m.id for m in iw.members["gA1"][:2]]
    body = {"kind": "有卡无保", "plan_id": iw.plan_2026.id, "member_ids": chosen}
    r = client.post(f"{INSURANCE}/unions/{g.id}/instant/submit", json=body, headers=h)
    assert r.status_code == 201, r.get_json()
    s = r.get_json()
    assert (s["kind"], s["status"], s["member_count"], s["year"]) == (
        "有卡无保",
        "区局确认中",
        2,
        2026,
    )
    # coverage starts after 30 June and the plan has a half-year fee: 13 = 6.50 + 6.50 + 0
    assert (s["fee_total"], s["city_total"], s["district_total"]) == ("26.00", "13.00", "13.00")
    db.session.rollback()
    e = db.session.scalars(select(Enrolment).order_by(Enrolment.id)).first()
    assert (e.start_date, e.end_date, e.half_year, e.fee, e.city_share) == (
        date(2026, 11, 23), date(2026, 12, 31), True, Decimal("13.00"), Decimal("6.50"),
    )  # fmt: skip
    assert set(cands(client, iw, "有卡无保")) == {m.id for m in iw.members["gA1"][2:]}
    # a new card under the wrong kind, or a member already enrolled: nothing written
    for wrong in ([iw.new_cards[0].id], chosen[:1]):
        body["member_ids"] = wrong
        r = client.post(f"{INSURANCE}/unions/{g.id}/instant/submit", json=body, headers=h)
        assert r.status_code == 422 and "不符合参保条件" in r.get_json()["message"]
    # the one-plan rule holds for instant enrolment too
    other = make_plan(iw.world, year=2026, name="B类会员专享基本保障")
    body = {"kind": "新办卡", "plan_id": other.id, "member_ids": [iw.new_cards[0].id]}
    r = client.post(f"{INSURANCE}/unions/{g.id}/instant/submit", json=body, headers=h)
    assert r.status_code == 409 and "由有卡无保首次提交确定" in r.get_json()["message"]
    body["plan_id"] = iw.plan_2026.id
    r = client.post(f"{INSURANCE}/unions/{g.id}/instant/submit", json=body, headers=h)
    assert r.status_code == 201 and r.get_json()["kind"] == "新办卡"
    db.session.rollback()
    assert db.session.query(UnitSubmission).count() == 2


def test_instant_refuses_bad_input(client, instant_world):
    iw = instant_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    ids = [iw.members["gA1"][0].id]
    for body, status in (
        ({"kind": "会员卡参保", "plan_id": iw.plan_2026.id, "member_ids": ids}, 422),
        ({"kind": "有卡无保", "plan_id": iw.plan.id, "member_ids": ids}, 404),  # a 2027 plan
        ({"kind": "有卡无保", "plan_id": iw.plan_2026.id, "member_ids": []}, 422),
    ):
        r = client.post(f"{INSURANCE}/unions/{g.id}/instant/submit", json=body, headers=h)
        assert r.status_code == status, r.get_json()
    r = client.post(
        f"{INSURANCE}/unions/{g.id}/instant/submit",
        json={"kind": "有卡无保", "plan_id": iw.plan_2026.id, "member_ids": ids},
        headers=login(client, "gb1_operator"),
    )
    assert r.status_code == 404
    db.session.rollback()
    assert db.session.query(Enrolment).count() == db.session.query(UnionPlanChoice).count() == 0


def test_individual_enrolment_then_payment(ctx, instant_world):
    iw = instant_world
    member = iw.members["gA2"][0]
    today = date(2026, 11, 22)
    enrolment = instant.enrol_individual(member, iw.plan_2026, 2026, today)
    db.session.commit()
    assert enrolment.status == EnrolmentStatus.AWAITING_PAYMENT
    assert (enrolment.fee, enrolment.city_share, enrolment.individual_share) == (
        Decimal("13.00"), Decimal("6.50"), Decimal("6.50"),
    )  # fmt: skip
    assert enrolment.district_share == enrolment.grassroots_share == 0
    with pytest.raises(Conflict, match="已参保或有待支付"):
        instant.enrol_individual(member, iw.plan_2026, 2026, today)
    db.session.rollback()
    with pytest.raises(ValidationFailed, match="2026年度"):
        instant.enrol_individual(member, iw.plan, 2027, today)
    submission = instant.mark_paid(enrolment, paid_by_name=member.name)
    db.session.commit()
    assert (submission.kind.value, submission.status, submission.member_count) == (
        "个人参保", SubmissionStatus.SUBMITTED, 1,
    )  # fmt: skip
    assert submission.district_id == iw.org("dA").id and submission.fee_total == Decimal("13.00")
    assert (
        enrolment.status == EnrolmentStatus.SUBMITTED and enrolment.submission_id == submission.id
    )
    with pytest.raises(InvalidTransition):
        instant.mark_paid(enrolment)


def test_individual_refusals_and_cancel(ctx, instant_world):
    iw = instant_world
    today = date(2026, 11, 22)
    (bare,) = add_people(iw.org("gA2"), 1, start_seq=260)
    with pytest.raises(Conflict, match="请先办理工会会员服务卡"):
        instant.enrol_individual(bare, iw.plan_2026, 2026, today)
    member = iw.members["gA2"][1]
    enrolment = instant.enrol_individual(member, iw.plan_2026, 2026, today)
    db.session.commit()
    instant.cancel_unpaid(enrolment)
    db.session.commit()
    assert enrolment.status == EnrolmentStatus.CANCELLED and enrolment.holding_member_id is None
    again = instant.enrol_individual(member, iw.plan_2026, 2026, today)  # the place is free
    db.session.commit()
    assert again.status == EnrolmentStatus.AWAITING_PAYMENT
    # the union's plan, once fixed, binds the member too
    other = make_plan(iw.world, year=2026, name="B类会员专享基本保障")
    db.session.add(
        UnionPlanChoice(
            org_id=iw.org("gA2").id, year=2026, plan_id=other.id, fixed_by_kind="有卡无保"
        )
    )
    db.session.commit()
    with pytest.raises(Conflict, match="B类会员专享基本保障"):
        instant.enrol_individual(iw.members["gA2"][2], iw.plan_2026, 2026, today)
