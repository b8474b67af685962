"""集中参保 by a grassroots union over HTTP: statistics, 待确认名单, the eligible list with
retirement warnings, the confirmation screen, submission (window, one-plan rule, scope,
bad input), and concurrent submissions on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.conftest import PG_URL
from tests.insurance.helpers import (
    INSURANCE,
    add_people,
    freeze_today,
    give_cards,
    login,
    make_plan,
)
from tests.insurance.helpers import (
    collective_url as url,
)
from unioncard.accounts.scope import Scope
from unioncard.cards.models import CardStatus
from unioncard.errors import DomainError
from unioncard.extensions import db
from unioncard.insurance import collective
from unioncard.insurance.models import (
    Enrolment,
    Notice,
    UnionPlanChoice,
    UnitSubmission,
)
from unioncard.members.models import EmploymentStatus, InsuranceStatus, Member, MemberStatus
from unioncard.members.models import SocialCardStatus as SocialCard


def card_submit(iw, **extra):
    return {"kind": "会员卡参保", "plan_id": iw.plan.id, "year": 2027} | extra


def rows(model, **where):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def make_social_ready(members):
    for m in members:
        m.social_card_status = SocialCard.NORMAL
        m.employment_status = EmploymentStatus.EMPLOYED
    db.session.commit()


def test_statistics_line_counts_every_group(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    carded = iw.members["gA1"]
    # one carded member retired by the register, one dead, one to confirm
    carded[0].retired_on = date(2026, 8, 31)
    carded[1].status = MemberStatus.DECEASED
    carded[2].insurance_status = InsuranceStatus.TO_CONFIRM
    retired = add_people(g, 1, start_seq=150)
    retired[0].status = MemberStatus.RETIRED
    db.session.commit()
    r = client.get(url(g, "stats?year=2027"), headers=login(client, "ga1_operator"))
    assert r.status_code == 200
    assert r.get_json() | {"line": None} == {
        "year": 2027,
        "total": 7,
        "with_card": 4,
        "submitted": 0,
        "without_card": 3,
        "retired": 2,
        "deceased": 1,
        "to_confirm": 1,
        "line": None,
    }
    assert r.get_json()["line"] == (
        "会员总人数：7人。有卡总会员数：4人。集中参保已提交人数：0人。未办卡人数：3人。"
        "退休人数：2人。死亡人数：1人。待确认人数：1人。"
    )


def test_statistics_of_each_union_and_year_are_their_own(client, insurance_world):
    """The statistics statement is built once per year and each union's id bound at the call:
    one union, another, then the first again, and another year, each answer is its own."""
    iw = insurance_world
    a, b = iw.org("gA1"), iw.org("gA2")
    r = client.post(url(a, "submit"), json=card_submit(iw), headers=login(client, "ga1_operator"))
    assert r.status_code == 201, r.get_json()
    first = collective._stats(a.id, 2027)
    other = collective._stats(b.id, 2027)
    assert collective._stats(a.id, 2027) == first
    assert (first["total"], first["with_card"], first["submitted"]) == (6, 4, 4)
    assert (other["total"], other["with_card"], other["submitted"]) == (3, 3, 0)
    next_year = collective._stats(a.id, 2028)
    assert (next_year["year"], next_year["total"], next_year["submitted"]) == (2028, 6, 0)


def test_to_confirm_then_confirm_one_and_all(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    a, b = iw.members["gA1"][:2]
    social = iw.uncarded["gA1"][0]
    for m in (a, b, social):
        m.insurance_status = InsuranceStatus.TO_CONFIRM
    db.session.commit()
    listed = client.get(url(g, "to-confirm?year=2027"), headers=h).get_json()
    assert {m["member_id"] for m in listed} == {a.id, b.id, social.id}
    assert all("*" in m["id_number"] for m in listed)
    eligible = client.get(url(g, "eligible?year=2027"), headers=h).get_json()
    assert a.id not in {m["member_id"] for m in eligible}

    r = client.post(url(g, "confirmations"), json={"year": 2027, "member_id": a.id}, headers=h)
    assert r.status_code == 200 and r.get_json()["count"] == 1
    again = client.post(url(g, "confirmations"), json={"year": 2027, "member_id": a.id}, headers=h)
    assert again.status_code == 409 and "已确认" in again.get_json()["message"]
    eligible = client.get(url(g, "eligible?year=2027"), headers=h).get_json()
    assert a.id in {m["member_id"] for m in eligible}

    r = client.post(url(g, "confirmations/all"), json={"year": 2027}, headers=h)
    assert r.status_code == 200 and r.get_json()["count"] == 2
    assert client.get(url(g, "to-confirm?year=2027"), headers=h).get_json() == []
    r = client.post(url(g, "confirmations/all"), json={"year": 2027}, headers=h)
    assert r.status_code == 409
    # a confirmation is for one year only
    assert len(client.get(url(g, "to-confirm?year=2028"), headers=h).get_json()) == 3


def test_preview_shows_the_confirmation_screen(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    r = client.post(
        url(g, "preview"),
        json=card_submit(iw, exclude_member_ids=[iw.members["gA1"][0].id]),
        headers=login(client, "ga1_operator"),
    )
    assert r.status_code == 200, r.get_json()
    p = r.get_json()
    assert p["count"] == 3
    assert p["summary"] == (
        "保障年度：2027年。可参保人数：3人。——保障费用：78.00元；市总统一划拨：39.00元；"
        "区局/各级工会缴费：39.00元；基层单位缴费：0.00元。"
    )
    assert "请于2026年12月25日之前" in p["payment_text"]
    assert "2027年1月1日起至2027年12月31日止" in p["payment_text"]
    assert p["important"].startswith(
        "【重要提示】各单位请注意：2027年1月1日前（不含当日）的退休人员"
    )
    assert p["confirm_text"] == "您选择的保障类型为：A类会员专享基本保障，请确认无误后再提交！"
    assert rows(UnitSubmission) == 0  # a preview writes nothing


def test_submit_creates_submission_enrolments_and_notice(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    excluded = iw.members["gA1"][3]
    r = client.post(
        url(g, "submit"), json=card_submit(iw, exclude_member_ids=[excluded.id]), headers=h
    )
    assert r.status_code == 201, r.get_json()
    s = r.get_json()
    assert (s["status"], s["kind"], s["member_count"]) == ("区局确认中", "会员卡参保", 3)
    assert (s["fee_total"], s["city_total"], s["district_total"], s["grassroots_total"]) == (
        "78.00", "39.00", "39.00", "0.00",
    )  # fmt: skip
    assert s["notice_id"] and s["submission_no"].startswith("TJ20261122")
    db.session.rollback()
    enrolments = db.session.scalars(select(Enrolment).order_by(Enrolment.member_id)).all()
    assert [e.member_id for e in enrolments] == [m.id for m in iw.members["gA1"][:3]]
    e = enrolments[0]
    assert (e.status.value, e.start_date, e.end_date, e.half_year) == (
        "区局确认中", date(2027, 1, 1), date(2027, 12, 31), False,
    )  # fmt: skip
    assert (e.fee, e.city_share, e.district_share, e.grassroots_share) == (26, 13, 13, 0)
    assert e.holding_member_id == e.member_id and e.submission_id == s["id"]
    choice = db.session.get(UnionPlanChoice, (g.id, 2027))
    assert choice.plan_id == iw.plan.id and choice.fixed_by_kind.value == "会员卡参保"
    stats = client.get(url(g, "stats?year=2027"), headers=h).get_json()
    assert stats["submitted"] == 3
    # the excluded member can still be submitted later; the others are gone from the list
    eligible = client.get(url(g, "eligible?year=2027"), headers=h).get_json()
    assert [m["member_id"] for m in eligible] == [excluded.id]
    again = client.post(url(g, "submit"), json=card_submit(iw), headers=h)
    assert again.status_code == 201 and again.get_json()["member_count"] == 1
    nothing = client.post(url(g, "submit"), json=card_submit(iw), headers=h)
    assert nothing.status_code == 409 and "没有可参保的会员" in nothing.get_json()["message"]
    listed = client.get(f"{INSURANCE}/submissions?org_id={g.id}", headers=h).get_json()
    assert [x["member_count"] for x in listed] == [1, 3]
    members = client.get(f"{INSURANCE}/submissions/{s['id']}/members", headers=h).get_json()
    assert len(members) == 3 and all("*" in m["id_number"] for m in members)


@pytest.mark.parametrize(
    "day, ok",
    [(date(2026, 10, 25), False), (date(2026, 10, 26), True), (date(2026, 12, 25), True),
     (date(2026, 12, 26), False)],
)  # fmt: skip
def test_submission_only_inside_the_unit_window(client, insurance_world, time_machine, day, ok):
    freeze_today(time_machine, day)
    iw = insurance_world
    g = iw.org("gA1")
    r = client.post(url(g, "submit"), json=card_submit(iw), headers=login(client, "ga1_operator"))
    if ok:
        assert r.status_code == 201
    else:
        assert r.status_code == 409
        assert r.get_json()["message"] == (
            "集中参保提交时间为2026年10月26日至2026年12月25日，当前不在提交时间内"
        )
        assert rows(UnitSubmission) == rows(Enrolment) == rows(UnionPlanChoice) == 0


def test_one_plan_per_union_and_year_across_channels(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    other = make_plan(
        iw.world, name="B类会员专享基本保障", fee=Decimal("30"), district_share=Decimal("17")
    )
    make_social_ready(iw.uncarded["gA1"])
    assert client.post(url(g, "submit"), json=card_submit(iw), headers=h).status_code == 201
    social = {
        "plan_id": other.id,
        "year": 2027,
        "member_ids": [m.id for m in iw.uncarded["gA1"]],
    }
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/submit", json=social, headers=h)
    assert r.status_code == 409
    assert r.get_json()["message"] == (
        "本年度本单位已选择保障类型：A类会员专享基本保障（由会员卡参保首次提交确定），"
        "同一保障年度只能选择一个保障类型"
    )
    assert rows(Enrolment, kind="社保卡参保") == 0
    social["plan_id"] = iw.plan.id
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/submit", json=social, headers=h)
    assert r.status_code == 201 and r.get_json()["kind"] == "社保卡参保"
    # another union chooses freely
    g2 = iw.org("gA2")
    r = client.post(
        url(g2, "submit"),
        json=card_submit(iw, plan_id=other.id),
        headers=login(client, "ga2_operator"),
    )
    assert r.status_code == 201 and r.get_json()["fee_total"] == "90.00"


def test_scope_and_level(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    # a sibling unit can neither see nor submit another's
    sibling = login(client, "ga2_operator")
    assert client.get(url(g, "stats"), headers=sibling).status_code == 404
    assert client.get(url(g, "eligible"), headers=sibling).status_code == 404
    assert client.post(url(g, "submit"), json=card_submit(iw), headers=sibling).status_code == 404
    other_district = login(client, "db_admin")
    assert (
        client.post(url(g, "submit"), json=card_submit(iw), headers=other_district).status_code
        == 404
    )
    assert rows(Enrolment) == 0
    # a reviewer may not enrol; a district is not a union that enrols
    assert client.get(url(g, "stats"), headers=login(client, "ga1_reviewer")).status_code == 403
    r = client.get(url(iw.org("dA"), "stats"), headers=login(client, "da_admin"))
    assert r.status_code == 422 and "基层工会" in r.get_json()["message"]
    # the district's admin may act for a union of its subtree
    r = client.get(url(g, "stats"), headers=login(client, "da_admin"))
    assert r.status_code == 200 and r.get_json()["with_card"] == 4
    # submissions lists are scoped
    client.post(url(g, "submit"), json=card_submit(iw), headers=login(client, "ga1_operator"))
    assert client.get(f"{INSURANCE}/submissions", headers=sibling).get_json() == []
    assert (
        len(client.get(f"{INSURANCE}/submissions", headers=login(client, "da_reviewer")).get_json())
        == 1
    )
    r = client.get(f"{INSURANCE}/submissions?org_id={g.id}", headers=sibling)
    assert r.status_code == 404


@pytest.mark.parametrize(
    "body, status",
    [
        ({"kind": "有卡无保"}, 422),
        ({"kind": "会员卡参保", "year": 1999}, 422),
        ({"plan_id": 999999}, 404),
        ({"year": 2028}, 409),  # no campaign for 2028
        ({"member_ids": [0]}, 422),
        ({"plan_id": "abc"}, 422),
    ],
)
def test_bad_input_is_refused_and_nothing_written(client, insurance_world, body, status):
    iw = insurance_world
    r = client.post(
        url(iw.org("gA1"), "submit"),
        json=card_submit(iw) | body,
        headers=login(client, "ga1_operator"),
    )
    assert r.status_code == status, r.get_json()
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.get_json()["message"])
    assert rows(UnitSubmission) == rows(Enrolment) == rows(UnionPlanChoice) == rows(Notice) == 0


def test_social_submit_refuses_members_not_ready(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    ready, not_ready = iw.uncarded["gA1"]
    make_social_ready([ready])
    body = {"plan_id": iw.plan.id, "year": 2027, "member_ids": [ready.id, not_ready.id]}
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/submit", json=body, headers=h)
    assert r.status_code == 422 and "1 人已不符合参保条件" in r.get_json()["message"]
    # a carded member is not in the social channel either
    body["member_ids"] = [ready.id, iw.members["gA1"][0].id]
    r = client.post(f"{INSURANCE}/unions/{g.id}/social/submit", json=body, headers=h)
    assert r.status_code == 422
    assert rows(Enrolment) == rows(UnionPlanChoice) == 0
    body["member_ids"] = [ready.id]
    assert (
        client.post(f"{INSURANCE}/unions/{g.id}/social/submit", json=body, headers=h).status_code
        == 201
    )


# --- PostgreSQL: concurrency and volume ------------------------------------------------
def _scope(world, username, org_key):
    account = world.accounts[username]
    org = world.org(org_key)
    return Scope(account.id, account.display_name, account.role, org.id, org.path)


def _race(ctx, jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def run(i, job):
        with ctx.app_context():
            barrier.wait()
            try:
                job()
                db.session.commit()
                outcomes[i] = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcomes[i] = exc.message
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.mark.skipif(not PG_URL, reason="row locks need PostgreSQL; SQLite serialises writers")
def test_both_channels_at_once_with_different_plans_one_wins(ctx, insurance_world):
    iw = insurance_world
    other = make_plan(
        iw.world, name="B类会员专享基本保障", fee=Decimal("30"), district_share=Decimal("17")
    )
    make_social_ready(iw.uncarded["gA1"])
    scope = _scope(iw.world, "ga1_operator", "gA1")
    org_id = iw.org("gA1").id
    plan_a, plan_b = iw.plan.id, other.id  # plain values: the threads share no ORM object
    social_ids = [m.id for m in iw.uncarded["gA1"]]
    ctx.config["TASK_MODE"] = "off"
    try:
        outcomes = _race(
            ctx,
            [
                lambda: collective.submit(
                    scope, org_id, kind="会员卡参保", plan_id=plan_a, year=2027
                ),
                lambda: collective.submit(
                    scope,
                    org_id,
                    kind="社保卡参保",
                    plan_id=plan_b,
                    year=2027,
                    member_ids=social_ids,
                ),
            ],
        )
    finally:
        ctx.config["TASK_MODE"] = "eager"
    assert outcomes.count("ok") == 1, outcomes
    (loser,) = [o for o in outcomes if o != "ok"]
    assert (
        loser.startswith("本年度本单位已选择保障类型：")
        and "同一保障年度只能选择一个保障类型" in loser
    )
    db.session.rollback()
    choice = db.session.get(UnionPlanChoice, (org_id, 2027))
    winner_plans = set(db.session.scalars(select(Enrolment.plan_id)))
    assert winner_plans == {choice.plan_id}
    assert db.session.scalar(select(func.count(UnitSubmission.id))) == 1


@pytest.mark.skipif(not PG_URL, reason="row locks need PostgreSQL; SQLite serialises writers")
def test_double_submit_enrols_each_member_once(ctx, insurance_world):
    iw = insurance_world
    # the plan is already fixed (a first submission went through): both go to the insert
    org_id, plan_id = iw.org("gA1").id, iw.plan.id  # plain values: the threads share no ORM object
    scope = _scope(iw.world, "ga1_operator", "gA1")
    first = iw.members["gA1"][0].id
    collective.submit(
        scope, org_id, kind="会员卡参保", plan_id=iw.plan.id, year=2027, member_ids=[first]
    )
    db.session.commit()
    ctx.config["TASK_MODE"] = "off"
    try:

        def job():
            return collective.submit(scope, org_id, kind="会员卡参保", plan_id=plan_id, year=2027)

        outcomes = _race(ctx, [job, job])
    finally:
        ctx.config["TASK_MODE"] = "eager"
    assert outcomes.count("ok") == 1, outcomes
    (loser,) = [o for o in outcomes if o != "ok"]
    assert loser in (
        "部分会员已被其他提交加入参保，请刷新后重试",
        "没有可参保的会员，请刷新列表后重试",
    )
    db.session.rollback()
    per_member = db.session.execute(
        select(Enrolment.member_id, func.count()).group_by(Enrolment.member_id)
    ).all()
    assert len(per_member) == 4 and all(n == 1 for _m, n in per_member)
    assert db.session.scalar(select(func.count(UnitSubmission.id))) == 2  # nothing half-written


@pytest.mark.skipif(not PG_URL, reason="the 50,000-member union is built on PostgreSQL")
def test_fifty_thousand_members_submit_whole(ctx, insurance_world):
    """A 50,000-member union's statistics and submission are whole and exact. How fast they
    are is measured by bench/insurance_bench.py (`make bench`), not here: a timed test fails
    on a loaded machine and proves nothing on an idle one."""
    from unioncard.demo.people import Person
    from unioncard.demo.seed import add_members

    iw = insurance_world
    org = iw.org("gA2")
    n = 50_000
    people = [
        Person(
            name=f"批量{i}",
            id_type="护照",
            id_number=f"P{i:09d}",
            id_expiry=date(2036, 1, 1),
            country="美国",
            gender="男",
            birth_date=date(1990, 1, 1),
            mobile=f"1370{i:07d}",
            work_address="上海市杨浦区黄兴路1599号",
            join_date=date(2020, 1, 1),
        )
        for i in range(n)
    ]
    add_members(org, people)
    db.session.commit()
    members = db.session.scalars(
        select(Member).where(Member.org_id == org.id, Member.id_type == "护照")
    ).all()
    give_cards(members, CardStatus.HANDED_OUT)
    scope = _scope(iw.world, "ga2_operator", "gA2")
    stats = collective.stats(scope, org.id, 2027)
    submission = collective.submit(scope, org.id, kind="会员卡参保", plan_id=iw.plan.id, year=2027)
    db.session.commit()
    assert stats["with_card"] == n + 3
    assert submission.member_count == n + 3
    assert submission.fee_total == Decimal(26 * (n + 3))
