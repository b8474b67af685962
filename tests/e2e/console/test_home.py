"""首页 (业务工作台) in Chromium, clock pinned: the figures of a grassroots union and of a district
(counted here from the database, independently of the API), each work item a link that lands
on the filtered list, and the charts drawn (a canvas, an aria-label, a table of the figures);
the chart library stays out of the first load."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import func, select, update

from tests.clock import freeze_today
from unioncard.accounts.scope import Scope
from unioncard.cards import pending
from unioncard.cards.models import CardStatus, Channel, MemberCard
from unioncard.extensions import db
from unioncard.members.models import Member, MemberStatus
from unioncard.orgs.models import Org, OrgLevel
from unioncard.reviews import services as reviews

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import ListScreen, LoginPage, Shell
from .pages_reviews import HomeScreen, settled

JIANMING = "上海建明信息科技有限公司工会委员会"
YANGPU = "上海市杨浦区总工会"
DAY = date(2026, 11, 18)  # a Wednesday: 本周 is 16–18 November
CURRENT = (MemberStatus.ACTIVE, MemberStatus.UNREVIEWED, MemberStatus.TRANSFERRING)


def _org(name: str) -> Org:
    return db.session.scalars(select(Org).where(Org.name == name)).one()


def _members(path: str, *where) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Member)
        .join(Org, Org.id == Member.org_id)
        .where(Org.path.startswith(path), *where)
    )


def _figure(home: HomeScreen, label: str, value: int):
    expect(home.figure(label)).to_have_text(str(value))


def test_grassroots_home_figures_links_and_charts(page, demo_world, time_machine):
    freeze_today(time_machine, DAY)
    org = _org(JIANMING)
    rows = db.session.execute(
        select(Member, MemberCard)
        .outerjoin(MemberCard, MemberCard.member_id == Member.id)
        .where(Member.org_id == org.id, Member.status == MemberStatus.ACTIVE)
        .order_by(Member.id)
    ).all()
    ids = [m.id for m, card in rows if pending.refusal(m, card) is None]
    pending.add_to_pending(Scope.for_account(account("jm_operator")), ids[:2])
    new_cards = list(
        db.session.scalars(select(MemberCard).where(MemberCard.member_id.in_(ids[:2])))
    )
    db.session.execute(
        update(Member).where(Member.id.in_(ids[2:5])).values(join_date=date(2026, 11, 17))
    )
    db.session.commit()
    members = _members(org.path, Member.status.in_(CURRENT))
    unreviewed = _members(org.path, Member.status == MemberStatus.UNREVIEWED)
    this_week = _members(
        org.path,
        Member.status.in_(CURRENT),
        Member.join_date.between(date(2026, 11, 16), DAY),
    )
    today = _members(org.path, Member.status.in_(CURRENT), Member.join_date == DAY)
    assert unreviewed > 0 and this_week >= 3

    asked: list[str] = []  # the API calls of the page, in order
    page.on("request", lambda r: "/api/admin/v1/" in r.url and asked.append(r.url))
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    home = HomeScreen(page)
    expect(page.get_by_role("heading", name=f"业务工作台 · {JIANMING}")).to_be_visible()
    _figure(home, "会员数", members)
    _figure(home, "基层工会组织数", 1)
    s = pending.summary(Scope.for_account(account("jm_operator")), None)
    unready = s["normal"]["failed"] + s["special"]["incomplete"]
    expect(home.work_link("待办会员")).to_have_text(
        f"待办会员：2 人（校验未通过或信息未完善：{unready} 人）"
    )
    expect(home.work_link("未审核的会员")).to_have_text(f"未审核的会员：{unreviewed} 人")
    # nothing waiting: shown, but not a link
    expect(home.work_item("办卡失败待处理")).to_have_text("办卡失败待处理：0 人")
    expect(home.work.get_by_role("link", name=re.compile("^办卡失败待处理"))).to_have_count(0)
    # a grassroots operator is not offered the reviews of the union above
    expect(home.work_item("待审核的年审")).to_have_count(0)

    # the charts: not loaded until asked for (the first load stays light), then drawn on a
    # canvas, described by an aria-label, the figures in a table
    expect(home.chart("joins")).to_have_count(0)
    # nor are their series counted: the home page asked for the figures and the work only
    assert any(url.endswith("/workbench") for url in asked)
    assert not any("/workbench/charts" in url for url in asked)
    with page.expect_response(lambda r: "/api/admin/v1/workbench/charts" in r.url):
        home.show_charts()
    joins = home.chart("joins")
    expect(joins.locator("canvas")).to_have_count(1)
    expect(joins).to_have_attribute("aria-label", re.compile("的数据是"))
    expect(page.get_by_text(f"本周共计入会人数 {this_week}")).to_be_visible()
    table = page.get_by_label("入会人数统计表", exact=True)
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(1)).to_contain_text("2026-11-17")
    for name in ("funnel", "progress"):
        expect(home.chart(name).locator("canvas")).to_have_count(1)
        expect(home.chart(name)).to_have_attribute("aria-label", re.compile("的数据是"))
    funnel = page.get_by_label("卡片状态统计表", exact=True)
    # the funnel's first step: every card on its way (not 未办卡, not 办卡失败), the two new included
    on_the_way = db.session.scalar(
        select(func.count())
        .select_from(MemberCard)
        .where(
            MemberCard.org_id == org.id,
            MemberCard.status.not_in((CardStatus.NONE, CardStatus.FAILED)),
        )
    )
    assert on_the_way >= 2
    expect(funnel.locator("tr").filter(has_text="待办中")).to_have_text(f"待办中{on_the_way}")
    screenshot(page, "home")
    home.period("今日")
    expect(page.get_by_text(f"今日共计入会人数 {today}")).to_be_visible()
    settled(page)
    assert_accessible(page)

    # each work link lands on the filtered list
    home.work_link("未审核的会员").click()
    expect(page).to_have_url(re.compile(r"/console/members\?status="))
    members_list = ListScreen(page, "会员列表")
    expect(members_list.total).to_have_text(f"共 {unreviewed} 条")
    expect(members_list.rows.filter(has_text="未审核")).to_have_count(unreviewed)
    Shell(page).go("首页")
    home.work_link("待办会员").click()
    expect(page).to_have_url(re.compile(r"/console/pending$"))
    # the two new ones are in the pending list, each in its channel
    for channel in (Channel.NORMAL, Channel.SPECIAL):
        n = sum(1 for card in new_cards if card.channel == channel)
        expect(page.get_by_role("tab", name=f"{channel.value}办卡通道 ({n})")).to_be_visible()


def test_district_home_figures_and_review_links(page, demo_world, time_machine):
    freeze_today(time_machine, DAY)
    operator = Scope.for_account(account("jm_operator"))
    review = reviews.start_review(operator)
    reviews.confirm_unit(operator, review.id, {})
    reviews.submit(operator, review.id)
    db.session.commit()
    district = _org(YANGPU)
    members = _members(district.path, Member.status.in_(CURRENT))
    grassroots = db.session.scalar(
        select(func.count())
        .select_from(Org)
        .where(Org.path.startswith(district.path), Org.level == OrgLevel.GRASSROOTS)
    )
    assert grassroots == 3

    LoginPage(page).open().sign_in("yp_reviewer", PASSWORD)
    home = HomeScreen(page)
    _figure(home, "会员数", members)
    _figure(home, "基层工会组织数", grassroots)
    expect(home.work_link("待审核的年审")).to_have_text("待审核的年审：1 个")
    expect(home.work_link("本年度尚未完成年审的基层工会")).to_have_text(
        f"本年度尚未完成年审的基层工会：{grassroots} 个"
    )
    # the progress chart has a row per union directly below the district (the choice to show
    # the charts is remembered on this PC only: a new browser starts without them)
    home.show_charts()
    progress = page.get_by_label("参保进度统计表", exact=True)
    below = db.session.scalar(
        select(func.count()).select_from(Org).where(Org.parent_id == district.id)
    )
    expect(progress.locator("tbody tr")).to_have_count(below)
    page.reload()  # remembered on this PC: shown again without asking
    expect(progress.locator("tbody tr")).to_have_count(below)
    settled(page)
    assert_accessible(page)

    home.work_link("待审核的年审").click()
    expect(page).to_have_url(re.compile(r"/console/review-audit\?status="))
    audit = ListScreen(page, "年审列表")
    expect(audit.total).to_have_text("共 1 条")
    expect(audit.row(JIANMING)).to_contain_text("待审核")
    Shell(page).go("首页")
    home.work_link("本年度尚未完成年审的基层工会").click()
    units = ListScreen(page, "未完成年审单位列表")
    expect(units.total).to_have_text(f"共 {grassroots} 条")
    settled(page)
    assert_accessible(page)


def test_the_chart_library_is_not_in_the_first_load(console_dist):
    html = (console_dist / "index.html").read_text(encoding="utf-8")
    first = re.findall(r"assets/[^\"]+\.js", html)
    home = list((console_dist / "assets").glob("HomePage-*.js"))
    assert first and len(home) == 1
    charts = list((console_dist / "assets").glob("WorkbenchCharts-*.js"))
    assert len(charts) == 1 and "_echarts_instance_" in charts[0].read_text(encoding="utf-8")
    for name in [*first, f"assets/{home[0].name}"]:
        assert "_echarts_instance_" not in (console_dist / name).read_text(encoding="utf-8"), name
