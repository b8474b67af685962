"""会员专享保障 for a grassroots union in Chromium (seed 002 §3): 集中参保待确认名单 with its
warning, 集中参保办理 through the confirmation screen with live figures and the notice PDF,
社保卡参保 (获取社保卡和就业状态 over HTTP to the registers sandbox, 待提交, ticking) whose
plan then fixes the card channel's, and the query screens scoped to the union.

The clock is pinned inside the demo's collective campaign (the demo is built around
DEMO_DAY: the unit window for next year is open then)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from integrations.sandboxes import ServerThread
from integrations.verification.sandbox import create_registers_sandbox
from tests.clock import freeze_today
from unioncard.accounts.scope import Scope
from unioncard.extensions import db
from unioncard.insurance import collective
from unioncard.insurance.models import (
    Campaign,
    CoveragePlan,
    Enrolment,
    Payout,
    UnitSubmission,
)
from unioncard.orgs.models import Org

from .conftest import DEMO_DAY, PASSWORD, account, assert_accessible, screenshot
from .insurance_unit_pages import CardEnrolmentScreen, QueryScreen, SocialEnrolmentScreen, loaded
from .pages import LoginPage, Shell

YEAR = DEMO_DAY.year + 1
JIANMING = "上海建明信息科技有限公司工会委员会"
GUOHUA = "上海国华广场物业管理有限公司工会委员会"
PLAN_A = "A类会员专享基本保障"
PLAN_B = "B类会员专享基本保障"


def pdf_text(path) -> str:
    """The text of a saved PDF, without the line breaks its layout puts anywhere."""
    with open(path, "rb") as handle:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    return "".join(text.split())


def cn_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def figures(summary: str) -> tuple[int, list[Decimal]]:
    """可参保人数 and the four amounts (保障费用, 市总, 区局, 基层) of the summary line."""
    count = int(re.search(r"可参保人数：(\d+)人", summary).group(1))
    amounts = [
        Decimal(re.search(f"{label}：([0-9.]+)元", summary).group(1))
        for label in ("保障费用", "市总统一划拨", "区局/各级工会缴费", "基层单位缴费")
    ]
    return count, amounts


@pytest.fixture()
def campaign_day(time_machine, demo_world):
    freeze_today(time_machine, DEMO_DAY)
    return db.session.scalars(select(Campaign).where(Campaign.year == YEAR)).one()


@pytest.fixture()
def registers(demo_world, monkeypatch):
    """The population and social-security registers' sandbox on loopback, the app pointed at it."""
    server = ServerThread(create_registers_sandbox(today=DEMO_DAY))
    monkeypatch.setitem(
        demo_world.config, "SOCIAL_SECURITY_API_URL", f"{server.url}/social-security"
    )
    monkeypatch.setitem(demo_world.config, "POPULATION_API_URL", f"{server.url}/population")
    yield server
    server.stop()


def test_card_channel_confirmation_screen_and_notice(page, campaign_day, tmp_path):
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("会员卡参保信息管理")
    screen = CardEnrolmentScreen(page)
    for title in ("批次编号", "会员卡参保人数", "提交时间", "最后更新时间", "状态", "参保类型"):
        expect(screen.table.get_by_role("columnheader", name=title, exact=True)).to_have_count(1)
    expect(screen.stats).to_contain_text(f"{YEAR}年度集中参保：会员总人数：")
    expect(screen.stats).to_contain_text("待确认人数：3人。")
    assert_accessible(page)

    # 集中参保待确认名单: the seed's warning, then 全部确认
    screen.press("集中参保待确认名单")
    expect(screen.to_confirm).to_contain_text("已确认的会员会自动加入集中参保名单且无法移除")
    expect(screen.to_confirm.locator("tbody tr")).to_have_count(3)
    assert_accessible(page)
    screen.confirm_all()
    expect(page.get_by_role("alert").filter(has_text="已确认 3 人")).to_be_visible()
    expect(screen.to_confirm.get_by_text("没有待确认的会员")).to_be_visible()
    screen.to_confirm.get_by_role("button", name="关闭", exact=True).click()
    expect(screen.stats).to_contain_text("待确认人数：0人。")

    # 集中参保办理: the seed's text with this union's live figures
    screen.press("集中参保办理")
    enrol = screen.enrol
    expect(enrol.summary).to_contain_text(f"保障年度：{YEAR}年。可参保人数：")
    expect(enrol.dialog).to_contain_text(
        f"请于{cn_date(campaign_day.payment_deadline)}之前，将对应的参保费用划入所属区局（产业）工会账户，"
        f"保障日期为{YEAR}年1月1日起至{YEAR}年12月31日止。"
    )
    expect(enrol.dialog).to_contain_text(
        f"【重要提示】各单位请注意：{YEAR}年1月1日前（不含当日）的退休人员"
    )
    expect(enrol.dialog.get_by_role("status")).to_contain_text("会员总人数：")
    expect(enrol.dialog.get_by_role("status")).to_contain_text("集中参保已提交人数：0人。")
    expect(enrol.dialog).to_contain_text("同一保障年度只能选择一个保障类型")
    expect(enrol.plan_shown).to_have_text(PLAN_A)
    heading = enrol.dialog.get_by_role("heading", name=re.compile("参保人员"))
    listed = int(re.search(r"共 (\d+) 人", heading.inner_text()).group(1))
    excluded = int(re.search(r"已排除 (\d+) 人", heading.inner_text()).group(1))
    people = enrol.dialog.get_by_label("集中参保人员", exact=True)
    for title in ("起保日期", "终保日期", "半年/全年"):
        expect(people.get_by_role("columnheader", name=title, exact=True)).to_have_count(1)
    first = people.locator("tbody tr").first
    expect(first).to_contain_text(f"{YEAR}-01-01")
    expect(first).to_contain_text(f"{YEAR}-12-31")
    expect(first).to_contain_text("全年")
    expect(people).to_contain_text("*")  # ID and card numbers masked
    count, amounts = figures(enrol.summary.inner_text())
    assert count == listed - excluded > 1
    assert amounts == [26 * count, 13 * count, 13 * count, 0]

    # one member left out by hand: the figures follow
    name = first.locator("td").nth(2).inner_text().strip()
    enrol.include(name)
    expect(enrol.summary).to_contain_text(f"可参保人数：{count - 1}人")
    assert_accessible(page)
    screenshot(page, "insurance-card-enrol")

    enrol.dialog.get_by_role("button", name="提交至区局审核", exact=True).click()
    expect(enrol.confirm_box).to_contain_text(f"您选择的保障类型为：{PLAN_A}，请确认无误后再提交！")
    enrol.confirm_box.get_by_role("button", name="取消", exact=True).click()
    notice = enrol.submit("提交至区局审核", tmp_path)
    assert notice.suffix == ".pdf"
    text = pdf_text(notice)
    n = count - 1
    assert f"{JIANMING}：" in text
    assert (
        f"你会集中参保{YEAR}年度上海工会会员专享基本保障计划，截至今日参加A类会员共计{n}人" in text
    )
    assert f"（会员卡参保{n}人，社保卡参保0人）" in text
    assert f"请于{cn_date(campaign_day.payment_deadline)}之前" in text

    # the batch in the list, as the database has it
    db.session.rollback()
    submission = db.session.scalars(select(UnitSubmission)).one()
    enrolled = db.session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.submission_id == submission.id)
    )
    assert submission.member_count == enrolled == n
    row = screen.rows.filter(has_text="会员卡参保").first
    expect(row).to_contain_text("区局确认中")
    expect(row.locator("td").nth(1)).to_have_text(str(n))
    expect(screen.stats).to_contain_text(f"集中参保已提交人数：{n}人。")
    expect(row.locator("td").nth(2)).to_have_text(f"{DEMO_DAY} 10:00")  # Shanghai time
    loaded(page)
    screenshot(page, "insurance-card")

    # 重新下载集中参保告知书: the same notice again
    with page.expect_download() as again:
        screen.press("重新下载集中参保告知书")
    assert f"共计{n}人（会员卡参保{n}人，社保卡参保0人）" in pdf_text(again.value.path())


def test_social_channel_fixes_the_plan_of_the_card_channel(page, campaign_day, registers, tmp_path):
    city = db.session.scalars(select(Org).where(Org.name == "上海市总工会")).one()
    plan_a = db.session.scalars(
        select(CoveragePlan).where(CoveragePlan.year == YEAR, CoveragePlan.name == PLAN_A)
    ).one()
    db.session.add(
        CoveragePlan(
            org_id=city.id,
            year=YEAR,
            name=PLAN_B,
            fee=Decimal("40.00"),
            half_year_fee=None,
            city_share=Decimal("20.00"),
            district_share=Decimal("20.00"),
            grassroots_share=Decimal("0.00"),
            individual_share=Decimal("20.00"),
            valid_from=plan_a.valid_from,
            valid_to=plan_a.valid_to,
            updated_by_name="职保中心经办",
        )
    )
    db.session.commit()

    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("社保卡参保信息管理")
    screen = SocialEnrolmentScreen(page)
    expect(screen.check_line).to_contain_text("需等待一个工作日返回结果")
    for title in ("姓名", "证件类型", "证件号码", "社保卡状态", "就业状态", "原因"):
        expect(screen.table.get_by_role("columnheader", name=title, exact=True)).to_have_count(1)
    expect(screen.rows.first).to_contain_text("尚未获取")
    assert_accessible(page)

    # 获取社保卡和就业状态: the wait is announced, the register answers over HTTP
    screen.press("获取社保卡和就业状态")
    expect(
        page.get_by_role("alert").filter(has_text="已提交获取社保卡和就业状态的请求，预计")
    ).to_be_visible()
    expect(screen.check_line).to_contain_text("社保卡和就业状态已于")

    ready = screen.tab("待提交")
    expect(ready.table.get_by_role("columnheader", name="起保日期", exact=True)).to_have_count(1)
    expect(ready.rows.first).to_contain_text("正常")
    expect(ready.rows.first).to_contain_text("在职")
    ready.choose("社保卡状态", "封存")
    ready.search()
    expect(ready.table).to_contain_text("暂无数据")
    ready.reset()
    assert_accessible(page)
    names = [ready.rows.nth(i).locator("td").nth(1).inner_text().strip() for i in range(2)]
    for name in names:
        ready.tick(name)
    ready.press("提交至上级审核")
    enrol = ready.enrol
    expect(enrol.summary).to_contain_text(f"保障年度：{YEAR}年。可参保人数：2人。")
    expect(enrol.dialog).to_contain_text("同一保障年度只能选择一个保障类型")
    enrol.choose_plan(PLAN_B)
    expect(enrol.summary).to_contain_text("保障费用：80.00元；市总统一划拨：40.00元")
    screenshot(page, "insurance-social-enrol")
    notice = enrol.submit("提交至上级审核", tmp_path)
    text = pdf_text(notice)
    assert "参加B类会员共计2人（会员卡参保0人，社保卡参保2人）" in text

    # the card channel's screen now shows B fixed, chosen by the social channel
    Shell(page).go("会员卡参保信息管理")
    card = CardEnrolmentScreen(page)
    expect(card.rows.filter(has_text="社保卡参保")).to_contain_text("区局确认中")
    card.press("集中参保办理")
    expect(card.enrol.plan_shown).to_have_text(PLAN_B)
    expect(card.enrol.plan).to_be_disabled()
    expect(card.enrol.fixed_note).to_contain_text(
        f"本单位{YEAR}年度的保障类型已由社保卡参保首次提交确定为“{PLAN_B}”"
    )
    count, amounts = figures(card.enrol.summary.inner_text())
    assert count > 0 and amounts[:2] == [40 * count, 20 * count]
    notice = card.enrol.submit("提交至区局审核", tmp_path)
    assert f"参加B类会员共计{count + 2}人（会员卡参保{count}人，社保卡参保2人）" in pdf_text(notice)
    db.session.rollback()
    kinds = db.session.execute(
        select(UnitSubmission.kind, CoveragePlan.name).join(CoveragePlan)
    ).all()
    assert sorted((k.value, p) for k, p in kinds) == [
        ("会员卡参保", PLAN_B),
        ("社保卡参保", PLAN_B),
    ]


def _submitted(username: str, plan_id: int) -> UnitSubmission:
    """The union's card channel submitted through the service, with one payout recorded."""
    clerk = account(username)
    submission = collective.submit(
        Scope.for_account(clerk), clerk.org_id, kind="会员卡参保", plan_id=plan_id, year=YEAR
    )
    enrolment = db.session.scalars(
        select(Enrolment).where(Enrolment.submission_id == submission.id).order_by(Enrolment.id)
    ).first()
    db.session.add(
        Payout(
            reference=f"GF{YEAR}{clerk.org_id:04d}",
            member_id=enrolment.member_id,
            org_id=clerk.org_id,
            year=YEAR,
            enrolment_id=enrolment.id,
            item="住院津贴",
            amount=Decimal("800.00"),
            paid_on=DEMO_DAY.replace(year=YEAR),
            recorded_by_name="职保中心经办",
        )
    )
    db.session.commit()
    return submission


def test_query_screens_show_the_union_and_not_its_sibling(page, campaign_day):
    plan = db.session.scalars(
        select(CoveragePlan).where(CoveragePlan.year == YEAR, CoveragePlan.name == PLAN_A)
    ).one()
    jm = _submitted("jm_operator", plan.id)
    gh = _submitted("gh_operator", plan.id)
    jm_no, gh_no = f"TJ{DEMO_DAY:%Y%m%d}{jm.id:06d}", f"TJ{DEMO_DAY:%Y%m%d}{gh.id:06d}"
    gh_count = gh.member_count

    LoginPage(page).open().sign_in("gh_operator", PASSWORD)
    shell = Shell(page)
    shell.go("参保信息查询")
    enrolments = QueryScreen(page, "参保信息列表")
    expect(enrolments.row(gh_no)).to_contain_text(GUOHUA)
    expect(enrolments.row(gh_no)).to_contain_text("区局确认中")
    expect(enrolments.table).not_to_contain_text(jm_no)
    expect(enrolments.table).not_to_contain_text(JIANMING)
    assert enrolments.total_count() == 1
    people = enrolments.open_people(gh_no)
    expect(people).to_contain_text(f"共 {gh_count} 人")
    expect(people.locator("tbody tr")).to_have_count(min(gh_count, 100))
    expect(people).to_contain_text("*")  # masked
    assert_accessible(page)
    screenshot(page, "insurance-enrolments")
    page.keyboard.press("Escape")

    shell.go("保障信息查询")
    coverage = QueryScreen(page, "保障信息列表")
    expect(coverage.total).to_have_text(f"共 {gh_count} 条")
    expect(coverage.rows.first).to_contain_text(GUOHUA)
    expect(coverage.table).not_to_contain_text(JIANMING)
    assert_accessible(page)

    shell.go("给付信息查询")
    payouts = QueryScreen(page, "给付信息列表")
    for title in ("给付编号", "姓名", "证件号码", "给付项目", "给付金额（元）", "给付日期"):
        expect(payouts.table.get_by_role("columnheader", name=title, exact=True)).to_have_count(1)
    expect(payouts.row(f"GF{YEAR}{gh.org_id:04d}")).to_contain_text("800.00")
    expect(payouts.table).not_to_contain_text(f"GF{YEAR}{jm.org_id:04d}")
    assert payouts.total_count() == 1
    assert_accessible(page)
    screenshot(page, "insurance-payouts")

    # the district sees both of its unions, and no grassroots enrolment screen in its menu
    shell.sign_out()
    LoginPage(page).sign_in("yp_admin", PASSWORD)
    expect(shell.menu.get_by_text("参保信息查询", exact=True)).to_have_count(1)
    expect(shell.menu.get_by_text("会员卡参保信息管理", exact=True)).to_have_count(0)
    shell.go("参保信息查询")
    enrolments = QueryScreen(page, "参保信息列表")
    expect(enrolments.row(jm_no)).to_contain_text(JIANMING)
    expect(enrolments.row(gh_no)).to_contain_text(GUOHUA)
