"""年审 (seed 003) in Chromium, clock pinned: a grassroots union reviews by list (单位信息年审 edited,
confirmed, a member marked 退休), submits, the union above returns it with a reason, the unit
resubmits and the union above approves (the member leaves); another reviews by file (the
template downloaded, a wrong file's rows shown, the right one merged), is approved, and the
union above reminds the unit not done yet."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from tests.clock import freeze_today
from unioncard.extensions import db
from unioncard.members.models import Member, MemberStatus
from unioncard.orgs.models import Org
from unioncard.reviews.models import AnnualReview, ReviewReminder, ReviewStatus

from .conftest import PASSWORD, assert_accessible, screenshot
from .pages import LoginPage, Shell
from .pages_reviews import ReviewAuditScreen, ReviewScreen, settled

JIANMING = "上海建明信息科技有限公司工会委员会"
GUOHUA = "上海国华广场物业管理有限公司工会委员会"
DAY = date(2026, 11, 18)


def _active_members(org_name: str, count: int) -> list[Member]:
    org = db.session.scalars(select(Org).where(Org.name == org_name)).one()
    return list(
        db.session.scalars(
            select(Member)
            .where(Member.org_id == org.id, Member.status == MemberStatus.ACTIVE)
            .order_by(Member.id)
            .limit(count)
        )
    )


def _review_of(org_name: str) -> AnnualReview:
    db.session.expire_all()
    return db.session.scalars(
        select(AnnualReview).join(Org, Org.id == AnnualReview.org_id).where(Org.name == org_name)
    ).one()


def _sign_in(page, username: str, *menu: str):
    Shell(page).sign_out()
    LoginPage(page).sign_in(username, PASSWORD)
    Shell(page).go(*menu)


def test_review_by_list_returned_then_approved(page, demo_world, time_machine):
    freeze_today(time_machine, DAY)
    member = _active_members(JIANMING, 1)[0]
    name, member_id = member.name, member.id

    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("年审")
    screen = ReviewScreen(page)
    expect(page.get_by_text("当年只可进行一次年审")).to_be_visible()
    expect(page.get_by_text("本单位2026年度的年审尚未开始")).to_be_visible()
    screen.button("开始年审").click()

    # 单位信息年审: the union's details, edited, then 下一步 and the confirmation
    expect(page.get_by_label("工会全称")).to_have_value(JIANMING)
    page.get_by_label("联系人").fill("王年审")
    assert_accessible(page)
    screenshot(page, "review-unit")
    screen.button("下一步").click()
    expect(page.get_by_role("heading", name="单位年审信息确认")).to_be_visible()
    expect(page.get_by_text("王年审")).to_be_visible()
    screen.button("取消").click()  # back to the form, then forward again
    screen.button("下一步").click()
    screen.button("会员年审").click()

    # 列表年审: one member marked 退休
    expect(screen.counts).to_contain_text("不通过 0 人")
    screen.mark(name, "退休")
    expect(screen.counts).to_contain_text("不通过 1 人（退休 1 人，离职 0 人，死亡 0 人）")
    expect(screen.members.locator("tr").filter(has_text=name)).to_contain_text("不通过")
    assert_accessible(page)
    screenshot(page, "review-members")
    screen.submit()
    expect(page.get_by_text("年审已提交，待上级工会审核")).to_be_visible()
    expect(page.get_by_text("待上级工会审核。")).to_be_visible()
    assert db.session.get(Org, member.org_id).contact_name == "王年审"

    # the union above returns it with a reason
    _sign_in(page, "park_reviewer", "年审审核")
    audit = ReviewAuditScreen(page)
    expect(audit.row(JIANMING)).to_contain_text("待审核")
    audit.open_review(JIANMING)
    expect(audit.review.dialog).to_contain_text("不通过 1 人")
    # the submission time in Shanghai's time (the clock is pinned at 10:00 there)
    expect(audit.review.dialog).to_contain_text("2026-11-18 10:0")
    expect(audit.review.dialog.get_by_label("年审不通过会员")).to_contain_text(name)
    assert_accessible(page)
    screenshot(page, "review-audit")
    audit.review.reject("退休人员请附退休证明后重新提交")
    expect(page.get_by_text(f"已退回{JIANMING}的年审")).to_be_visible()
    expect(audit.rows.filter(has_text=JIANMING)).to_have_count(0)
    assert _review_of(JIANMING).status == ReviewStatus.RETURNED

    # the unit reads the reason and submits again
    _sign_in(page, "jm_operator", "年审")
    expect(page.get_by_role("alert").filter(has_text="上级工会退回")).to_contain_text(
        "退休人员请附退休证明后重新提交"
    )
    screen.submit()
    expect(page.get_by_text("年审已提交，待上级工会审核")).to_be_visible()

    # approved: the member leaves, the year's review is done
    _sign_in(page, "park_reviewer", "年审审核")
    audit.open_review(JIANMING)
    audit.review.approve()
    expect(page.get_by_text(f"{JIANMING}的年审已审核通过")).to_be_visible()
    review = _review_of(JIANMING)
    assert review.status == ReviewStatus.APPROVED and review.year == 2026
    assert db.session.get(Member, member_id).status == MemberStatus.RETIRED

    _sign_in(page, "jm_operator", "年审")
    expect(page.get_by_text("年审完成")).to_contain_text("当年只可进行一次年审")
    expect(screen.button("开始年审")).to_have_count(0)
    expect(screen.button("提交年审")).to_have_count(0)


def _fill(template, rows: list[tuple[str, str]], target):
    wb = load_workbook(template)
    ws = wb.worksheets[0]
    for i, (id_number, reason) in enumerate(rows):
        ws[f"A{4 + i}"] = id_number
        ws[f"B{4 + i}"] = reason
    wb.save(target)
    return target


def test_review_by_file_approved_and_a_reminder(page, demo_world, time_machine, tmp_path):
    freeze_today(time_machine, DAY)
    left, dead = _active_members(GUOHUA, 2)
    failing = {left.id: MemberStatus.LEFT, dead.id: MemberStatus.DECEASED}
    outsider = _active_members(JIANMING, 1)[0]  # not a member of this union

    LoginPage(page).open().sign_in("gh_operator", PASSWORD)
    Shell(page).go("年审")
    screen = ReviewScreen(page)
    screen.button("开始年审").click()
    screen.button("下一步").click()
    screen.button("会员年审").click()
    screen.tab("导入文件年审")
    template = screen.download_template(tmp_path)
    assert template.suffix == ".xlsx"
    assert load_workbook(template).worksheets[0]["A3"].value == "*证件号码"

    # a wrong file: every bad row on screen, nothing merged
    wrong = _fill(
        template, [(left.id_number, "离职"), (outsider.id_number, "退休")], tmp_path / "错.xlsx"
    )
    screen.upload(wrong)
    expect(page.get_by_role("alert").filter(has_text="年审名单有 1 行错误")).to_be_visible()
    expect(screen.file_errors.locator("tbody tr")).to_have_count(1)
    expect(screen.file_errors).to_contain_text("5")
    expect(screen.counts).to_contain_text("不通过 0 人")
    settled(page)
    assert_accessible(page)
    screenshot(page, "review-file")

    right = _fill(
        template, [(left.id_number, "离职"), (dead.id_number, "死亡")], tmp_path / "对.xlsx"
    )
    screen.upload(right)
    expect(page.get_by_text("已合并：名单 2 人，新标记 2 人，修改 0 人。")).to_be_visible()
    expect(screen.counts).to_contain_text("不通过 2 人（退休 0 人，离职 1 人，死亡 1 人）")
    screen.submit()
    expect(page.get_by_text("年审已提交，待上级工会审核")).to_be_visible()

    _sign_in(page, "park_reviewer", "年审审核")
    audit = ReviewAuditScreen(page)
    audit.open_review(GUOHUA)
    expect(audit.review.dialog.get_by_label("年审不通过会员")).to_contain_text(left.name)
    expect(audit.review.dialog.get_by_label("年审不通过会员")).to_contain_text("文件")
    audit.review.approve()
    expect(page.get_by_text(f"{GUOHUA}的年审已审核通过")).to_be_visible()
    db.session.expire_all()
    for member_id, status in failing.items():
        assert db.session.get(Member, member_id).status == status

    # units not done: 建明 only now; remind it
    page.get_by_role("tab", name="未完成年审单位", exact=True).click()
    expect(audit.units.locator("tbody tr")).to_have_count(1)
    expect(audit.units).to_contain_text(JIANMING)
    expect(audit.units).to_contain_text("未开始")
    page.get_by_role("checkbox", name=f"选择 {JIANMING}").press("Space")
    page.get_by_role("button", name="发送年审提醒").click()
    dialog = page.get_by_role("dialog", name="发送年审提醒")
    expect(dialog).to_contain_text("确认向 1 个单位发送年审提醒？")
    dialog.get_by_label("提醒内容（可不填，使用默认内容）").fill("请于本月底前完成年审")
    dialog.get_by_role("button", name="发送提醒").click()
    expect(page.get_by_text("已向 1 个单位发送年审提醒")).to_be_visible()
    expect(dialog).to_be_hidden()
    settled(page)
    assert_accessible(page)
    reminder = db.session.scalars(select(ReviewReminder)).one()
    assert reminder.message == "请于本月底前完成年审"

    _sign_in(page, "jm_operator", "年审")
    expect(page.get_by_text("请于本月底前完成年审")).to_be_visible()
