"""业务工作台 through the API: the figures and the work waiting for each level's scope, the
入会人数统计图 series for 今日 / 本周 / 本月 and a date range (Shanghai days, clock pinned),
the card funnel and the enrolment progress per district, and clear Chinese 422s."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from tests.clock import freeze_today
from tests.world import build_world, login
from unioncard.accounts.scope import Scope
from unioncard.cards import pending
from unioncard.extensions import db
from unioncard.members.models import Member, MemberStatus
from unioncard.reviews import services as reviews
from unioncard.selfservice.models import JoinApplication, MemberUser

URL = "/api/admin/v1/workbench"
WEDNESDAY = date(2026, 11, 18)


@pytest.fixture()
def world(ctx, time_machine):
    freeze_today(time_machine, WEDNESDAY)
    w = build_world(members_per_union=4)
    # every member joined long ago, so that the chart's days hold only what a test puts there
    db.session.execute(update(Member).values(join_date=date(2020, 1, 6)))
    db.session.commit()
    return w


def scope_of(world, username):
    return Scope.for_account(world.accounts[username])


def member_ids(world, key) -> list[int]:
    return list(
        db.session.scalars(
            select(Member.id).where(Member.org_id == world.org(key).id).order_by(Member.id)
        )
    )


def overview(client, username) -> dict:
    r = client.get(URL, headers=login(client, username))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def charts(client, username) -> dict:
    """The charts' series: asked apart, when the clerk shows the charts."""
    r = client.get(f"{URL}/charts", headers=login(client, username))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def work_of(answer: dict) -> dict[str, int]:
    return {item["key"]: item["count"] for item in answer["work"]}


def test_grassroots_figures_and_work(client, world):
    ids = member_ids(world, "gA1")
    pending.add_to_pending(scope_of(world, "ga1_operator"), ids[:2])
    db.session.execute(
        update(Member).where(Member.id == ids[3]).values(status=MemberStatus.UNREVIEWED)
    )
    user = MemberUser(openid="wb-applicant", name="入会申请人", token_version=0)
    db.session.add(user)
    db.session.flush()
    db.session.add(
        JoinApplication(
            user_id=user.id,
            open_user_id=user.id,
            org_id=world.org("gA2").id,
            source="灵活就业",
            status="待审核",
        )
    )
    db.session.commit()

    answer = overview(client, "ga1_operator")
    assert answer["org_name"] == world.org("gA1").name
    assert answer["level"] == "基层工会"
    assert answer["today"] == "2026-11-18"
    assert answer["figures"] == {"members": 4, "grassroots_unions": 1, "enterprises": 1}
    work = work_of(answer)
    assert work == {
        "import_errors": 0,
        "members_unreviewed": 1,  # still a member: counted in 会员数 too
        "pending_members": 2,
        "batches_waiting": 0,
        "card_failures": 0,
        "cards_overdue": 0,
        "joins_to_review": 0,  # the application is to gA2, not here
    }
    units = {item["key"]: item["unit"] for item in answer["work"]}
    assert units["pending_members"] == "人"
    details = {item["key"]: item["detail"] for item in answer["work"]}
    # as the pending list's own summaries count them: failed checks, incomplete information
    s = pending.summary(scope_of(world, "ga1_operator"), None)
    unready = s["normal"]["failed"] + s["special"]["incomplete"]
    assert details["pending_members"] == f"校验未通过或信息未完善：{unready} 人"
    # the home page's answer carries no chart series: they are asked when shown
    assert set(answer) == {"org_name", "level", "today", "figures", "work"}
    shown = charts(client, "ga1_operator")
    # the funnel: two cards reached 待办中, none further
    funnel = {step["status"]: step["count"] for step in shown["card_funnel"]}
    assert funnel["待办中"] == 2 and funnel["办理中"] == 0 and funnel["办卡失败"] == 0
    # a grassroots union's progress is its own single row
    assert [row["org_name"] for row in shown["enrolment"]["rows"]] == [world.org("gA1").name]
    assert shown["enrolment"]["rows"][0]["members"] == 4

    assert work_of(overview(client, "ga2_operator"))["joins_to_review"] == 1


def test_district_sees_its_subtree_and_the_reviews_waiting(client, world):
    operator = scope_of(world, "ga1_operator")
    review = reviews.start_review(operator)
    reviews.confirm_unit(operator, review.id, {})
    reviews.submit(operator, review.id)
    db.session.commit()

    answer = overview(client, "da_reviewer")
    assert answer["figures"] == {"members": 8, "grassroots_unions": 2, "enterprises": 4}
    work = work_of(answer)
    assert work == {
        "revocations_to_review": 0,
        "reviews_to_review": 1,
        "reviews_not_done": 2,  # submitted is not done: only an approved review is
    }
    # per union directly below the district: the secondary union (with gA1) and gA2
    rows = {
        row["org_name"]: row["members"]
        for row in charts(client, "da_reviewer")["enrolment"]["rows"]
    }
    assert rows == {world.org("sA").name: 4, world.org("gA2").name: 4}

    # the sibling district sees none of it
    other = overview(client, "db_reviewer")
    assert other["figures"]["members"] == 4
    assert work_of(other)["reviews_to_review"] == 0

    # the city: one row per district
    city = overview(client, "city_admin")
    assert city["figures"]["members"] == 12
    city_rows = charts(client, "city_admin")["enrolment"]["rows"]
    assert {row["org_name"]: row["members"] for row in city_rows} == {
        world.org("dA").name: 8,
        world.org("dB").name: 4,
    }


def _joined(ids: list[int], day: date) -> None:
    db.session.execute(update(Member).where(Member.id.in_(ids)).values(join_date=day))


def test_joins_series_today_week_month_and_range(client, world):
    ids = member_ids(world, "gA1")
    _joined(ids[:2], date(2026, 11, 16))  # Monday of this week
    _joined(ids[2:3], WEDNESDAY)
    _joined(ids[3:4], date(2026, 11, 2))
    db.session.commit()
    headers = login(client, "ga1_operator")

    week = client.get(f"{URL}/joins", headers=headers).get_json()  # 本周 by default
    assert (week["from"], week["to"], week["total"]) == ("2026-11-16", "2026-11-18", 3)
    assert [(d["day"], d["new"], d["existing"]) for d in week["days"]] == [
        ("2026-11-16", 2, 1),
        ("2026-11-17", 0, 3),
        ("2026-11-18", 1, 3),
    ]
    today = client.get(f"{URL}/joins?period=today", headers=headers).get_json()
    assert [(d["day"], d["new"], d["existing"]) for d in today["days"]] == [("2026-11-18", 1, 3)]
    month = client.get(f"{URL}/joins?period=month", headers=headers).get_json()
    assert month["from"] == "2026-11-01" and len(month["days"]) == 18 and month["total"] == 4
    ranged = client.get(f"{URL}/joins?from=2026-11-02&to=2026-11-16", headers=headers).get_json()
    assert ranged["total"] == 3 and ranged["days"][0] == {
        "day": "2026-11-02",
        "new": 1,
        "existing": 0,
    }
    # another union's members are not counted
    other = client.get(f"{URL}/joins", headers=login(client, "gb1_operator")).get_json()
    assert other["total"] == 0


def test_joins_existing_counts_unknown_dates_and_leaves_out_later_and_former(client, world):
    """原有 at the start of the range: members who joined before it or whose 入会时间 is
    unknown; members who joined after the range, and former members, are in neither line."""
    ids = member_ids(world, "gA1")  # four members, all joined 2020-01-06
    db.session.execute(update(Member).where(Member.id == ids[0]).values(join_date=None))
    _joined(ids[1:2], date(2026, 11, 17))  # in the range
    _joined(ids[2:3], date(2026, 11, 18))  # after it
    db.session.execute(
        update(Member).where(Member.id == ids[3]).values(status=MemberStatus.RETIRED)
    )
    db.session.commit()
    ranged = client.get(
        f"{URL}/joins?from=2026-11-16&to=2026-11-17", headers=login(client, "ga1_operator")
    ).get_json()
    assert [(d["day"], d["new"], d["existing"]) for d in ranged["days"]] == [
        ("2026-11-16", 0, 1),  # the unknown date: there from the start
        ("2026-11-17", 1, 1),
    ]
    assert ranged["total"] == 1


@pytest.mark.parametrize(
    "query, field, words",
    [
        ("period=year", "period", None),
        ("from=2026-11-01", "to", "请同时选择开始日期和结束日期"),
        ("from=2026-11-10&to=2026-11-01", "from", "开始日期不能晚于结束日期"),
        ("from=2024-01-01&to=2026-11-01", "to", "日期范围最多366天"),
        ("from=2026-13-01&to=2026-11-01", "from", None),
    ],
)
def test_joins_bad_input_is_a_clear_422(client, world, query, field, words):
    r = client.get(f"{URL}/joins?{query}", headers=login(client, "ga1_operator"))
    assert r.status_code == 422
    body = r.get_json()
    assert field in str(body["errors"])
    if words:
        assert words in body["message"]


def test_workbench_needs_a_login(client, world):
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/charts").status_code == 401


def test_enrolment_progress_counts_each_part_enrolled_and_covered(client, world):
    """The progress chart's rows: per union directly below the caller (per district for the
    city), the year's members enrolled (submitted or further) and covered (已完成), each member
    once; other years and unpaid or cancelled enrolments are not counted."""
    from tests.insurance.helpers import make_plan
    from unioncard import workbench
    from unioncard.insurance.models import Enrolment, EnrolmentKind, EnrolmentStatus

    year = workbench.coverage_year()
    plan = make_plan(world, year=year)

    def enrol(key: str, index: int, status: EnrolmentStatus, in_year: int = year) -> None:
        member_id = member_ids(world, key)[index]
        db.session.add(
            Enrolment(member_id=member_id, holding_member_id=member_id,
                      org_id=world.org(key).id, year=in_year, plan_id=plan.id,
                      kind=EnrolmentKind.CARD, status=status,
                      start_date=date(in_year, 1, 1), end_date=date(in_year, 12, 31), fee=26,
                      city_share=13, district_share=13, grassroots_share=0)
        )  # fmt: skip

    enrol("gA1", 0, EnrolmentStatus.SUBMITTED)
    enrol("gA1", 1, EnrolmentStatus.COMPLETED)
    enrol("gA1", 2, EnrolmentStatus.AWAITING_PAYMENT)  # not enrolled until paid
    enrol("gA2", 0, EnrolmentStatus.SENT)
    enrol("gA2", 1, EnrolmentStatus.COMPLETED)
    enrol("gA2", 2, EnrolmentStatus.CANCELLED)
    enrol("gA2", 3, EnrolmentStatus.COMPLETED, in_year=year - 1)  # another year
    db.session.commit()

    def progress(username: str) -> dict[str, tuple[int, int, int]]:
        shown = charts(client, username)["enrolment"]
        assert shown["year"] == year
        return {r["org_name"]: (r["members"], r["enrolled"], r["covered"]) for r in shown["rows"]}

    # the district: the secondary union (holding gA1) and gA2, directly below it
    assert progress("da_reviewer") == {
        world.org("sA").name: (4, 2, 1),
        world.org("gA2").name: (4, 2, 1),
    }
    # the city: per district
    assert progress("city_admin") == {
        world.org("dA").name: (8, 4, 2),
        world.org("dB").name: (4, 0, 0),
    }
    # a grassroots union: its own single row
    assert progress("ga1_operator") == {world.org("gA1").name: (4, 2, 1)}
