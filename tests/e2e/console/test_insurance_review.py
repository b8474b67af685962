"""会员专享保障 above grassroots in Chromium (seed 002 §4): the district returns one unit's
collective enrolment with a reason and accepts another, submits inside its window with the
handler's details (the district notice downloads), downloads the statistics workbook and
uploads the payment voucher; 职保中心 confirms. The district window is closed the day before
and the day after (clock pinned); the split form refuses amounts that do not add up.

Units' submissions are made with the core service (the grassroots screens are tested
elsewhere); the clock is pinned to the demo's day so the campaign's windows are where the demo
put them."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from tests.clock import freeze_today
from unioncard.accounts.scope import Scope
from unioncard.extensions import db
from unioncard.insurance import collective
from unioncard.insurance.models import (
    Campaign,
    InsuranceBatch,
    InsuranceBatchStatus,
    PlanSplit,
    SubmissionStatus,
    UnitSubmission,
)

from .conftest import DEMO_DAY, PASSWORD, account, assert_accessible, screenshot
from .insurance_review_pages import (
    ConfirmScreen,
    InsuranceBatchesScreen,
    ReviewScreen,
    SplitScreen,
)
from .pages import LoginPage, Shell

YEAR = DEMO_DAY.year + 1
JIANMING = "上海建明信息科技有限公司工会委员会"
GUOHUA = "上海国华广场物业管理有限公司工会委员会"


@pytest.fixture()
def demo_day(time_machine):
    freeze_today(time_machine, DEMO_DAY)


def _unit_submits(username: str) -> UnitSubmission:
    """The unit's 提交至区局审核 of every carded member (会员卡参保), through the core service."""
    from unioncard.insurance.models import CoveragePlan

    plan = db.session.scalars(select(CoveragePlan).where(CoveragePlan.year == YEAR)).one()
    sub = collective.submit(
        Scope.for_account(account(username)), None, kind="会员卡参保", plan_id=plan.id, year=YEAR
    )
    db.session.commit()
    return sub


def _sign_in(page, username: str):
    LoginPage(page).open().sign_in(username, PASSWORD)
    expect(Shell(page).menu).to_be_visible()


def test_district_reviews_submits_pays_and_the_centre_confirms(page, demo_day, tmp_path):
    kept = _unit_submits("jm_operator")
    returned = _unit_submits("gh_operator")
    kept_count, kept_id, returned_id = kept.member_count, kept.id, returned.id
    assert kept_count > 0 and returned.member_count > 0

    _sign_in(page, "yp_reviewer")
    Shell(page).go("集中参保审核")
    screen = ReviewScreen(page)
    for title in ("单位名称", "上级工会", "保障类型", "参保人数", "类型", "保障费用", "提交时间"):
        expect(screen.table.get_by_role("columnheader", name=title, exact=True)).to_have_count(1)
    for label in ("单位名称", "组织机构代码"):
        expect(page.get_by_role("textbox", name=label, exact=True)).to_be_visible()
    for label in ("上级工会", "保障类型", "参保通道"):
        expect(page.get_by_role("combobox", name=label, exact=True)).to_be_visible()
    expect(screen.row(JIANMING)).to_contain_text(str(kept_count))
    expect(screen.row(GUOHUA)).to_contain_text("会员卡参保")
    assert_accessible(page)
    screenshot(page, "insurance-review-pending")

    # 退回 needs a reason; the unit reads it
    screen.open_review(GUOHUA)
    screen.dialog.get_by_role("button", name="退回", exact=True).click()
    screen.dialog.get_by_role("button", name="确认退回", exact=True).click()
    expect(screen.dialog.get_by_role("alert")).to_contain_text("请填写退回原因")
    screen.dialog.get_by_label("退回原因").fill("名单中有9月退休人员，请核对后重新提交")
    screen.dialog.get_by_role("button", name="确认退回", exact=True).click()
    expect(screen.rows.filter(has_text=GUOHUA)).to_have_count(0)
    screen.open_review(JIANMING)
    screen.accept()
    expect(page.get_by_text("已添加 1 个单位的参保信息至待提交参保列表")).to_be_visible()
    db.session.expire_all()
    back = db.session.get(UnitSubmission, returned_id)
    assert back.status == SubmissionStatus.RETURNED
    assert back.return_reason == "名单中有9月退休人员，请核对后重新提交"
    assert db.session.get(UnitSubmission, kept_id).status == SubmissionStatus.ACCEPTED

    # 待提交参保列表: the seed's totals line, the window open with its countdown
    screen.tab("待提交参保列表")
    fee = Decimal("26.00") * kept_count
    expect(screen.totals).to_contain_text(
        f"合计参保人数：{kept_count}人（会员卡参保人数 {kept_count} 人，社保卡参保人数 0 人）。"
        f"保障费用：{fee}元"
    )
    expect(page.get_by_text("距截止还剩")).to_be_visible()
    expect(screen.submit_button).to_be_enabled()
    assert_accessible(page)
    screenshot(page, "insurance-review-accepted")

    # 批次确认: the handler's details are checked by the API, then the notice downloads
    screen.submit("王经办", "123", "wang@example.com")
    expect(screen.submit_dialog.get_by_role("alert")).to_contain_text("请填写11位有效的手机号码")
    screen.submit_dialog.get_by_label("手机号", exact=True).fill("13812341234")
    with page.expect_download() as notice:
        screen.submit_dialog.get_by_role("button", name="确认提交至职保中心").click()
    with open(notice.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    db.session.expire_all()
    batch = db.session.scalars(select(InsuranceBatch)).one()
    batch_no, batch_id = batch.batch_no, batch.id
    assert notice.value.suggested_filename == f"集中参保告知书-{batch_no}.pdf"
    assert batch.member_count == kept_count and batch.handler_name == "王经办"
    assert batch.status == InsuranceBatchStatus.AWAITING_PAYMENT

    # 参保批次管理: the statistics workbook, then the voucher in six steps
    Shell(page).go("参保批次管理")
    batches = InsuranceBatchesScreen(page)
    expect(batches.row(batch_no)).to_contain_text("待缴费")
    batches.tick(batch_no)
    with page.expect_download() as workbook:
        batches.toolbar("下载集中参保统计表")
    assert workbook.value.suggested_filename == f"集中参保统计表-{batch_no}.xlsx"
    saved = tmp_path / workbook.value.suggested_filename
    workbook.value.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "批次编号"
    assert len(rows) == kept_count + 2  # header, one row per member, 合计
    assert {r[0] for r in rows[1:-1]} == {batch_no}
    assert rows[-1][0] == "合计" and rows[-1][1] == f"{kept_count}人"
    assert Decimal(str(rows[-1][-4])) == fee  # 保障费用
    assert Decimal(str(rows[-1][-3])) == Decimal("13.00") * kept_count  # 市总统一划拨
    assert all("*" in r[5] for r in rows[1:-1])  # ID numbers masked
    assert_accessible(page)

    photo = tmp_path / "voucher.png"
    Image.new("RGB", (80, 40), (200, 220, 240)).save(photo)
    dialog = batches.upload_voucher(batch_no, photo, "杨浦区2027集中参保缴费凭证")
    expect(dialog.get_by_role("status")).to_contain_text(f"保障费用：{fee}元")
    assert_accessible(page)
    screenshot(page, "insurance-review-voucher")
    batches.save_voucher()
    expect(page.get_by_text(f"批次 {batch_no} 的缴费凭证已提交，等待职保中心确认")).to_be_visible()
    expect(batches.row(batch_no)).to_contain_text("已上传凭证")

    # 集中参保实时监控画面: per unit and channel
    batches.toolbar("集中参保实时监控画面")
    unit = page.get_by_label("按单位统计", exact=True).locator("tr").filter(has_text=JIANMING)
    expect(unit).to_contain_text(str(kept_count))
    with page.expect_response(lambda r: "/insurance/monitor" in r.url):
        page.get_by_role("button", name="立即刷新").click()
    assert_accessible(page)
    screenshot(page, "insurance-review-monitor")
    Shell(page).sign_out()

    # 职保中心 confirms the paid batch
    _sign_in(page, "center")
    Shell(page).go("参保批次确认")
    centre = ConfirmScreen(page)
    expect(centre.row(batch_no)).to_contain_text("已上传凭证")
    assert_accessible(page)
    screenshot(page, "insurance-review-confirm")
    centre.confirm(batch_no)
    expect(page.get_by_text(f"批次 {batch_no} 已确认，状态为「已完成」")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(InsuranceBatch, batch_id).status == InsuranceBatchStatus.COMPLETED
    assert db.session.get(UnitSubmission, kept_id).status == SubmissionStatus.COMPLETED


@pytest.mark.parametrize("side", ["before", "after"])
def test_district_window_closed_the_day_before_and_after(page, time_machine, side):
    _unit_submits_on_demo_day(time_machine)
    campaign = db.session.scalars(select(Campaign).where(Campaign.year == YEAR)).one()
    day = (
        campaign.district_from - timedelta(days=1)
        if side == "before"
        else campaign.district_to + timedelta(days=1)
    )
    freeze_today(time_machine, day)
    _sign_in(page, "yp_reviewer")
    Shell(page).go("集中参保审核")
    screen = ReviewScreen(page)
    screen.tab("待提交参保列表")
    expect(screen.row(JIANMING)).to_be_visible()
    banner = "当前未开放" if side == "before" else "已结束，不能再提交列表中的参保信息"
    expect(page.get_by_role("status").filter(has_text=banner)).to_be_visible()
    expect(screen.submit_button).to_be_disabled()
    assert_accessible(page)
    if side == "before":
        screenshot(page, "insurance-review-closed")
    # the API refuses too: the button only shows what it answers
    token = page.evaluate("() => sessionStorage.getItem('unioncard.console.token')")
    answer = page.request.post(
        "/api/admin/v1/insurance/review/submit",
        headers={"Authorization": f"Bearer {token}"},
        data={"handler_name": "王经办", "handler_phone": "13812341234", "handler_email": "w@a.cn"},
    )
    assert answer.status == 409, answer.text()
    assert "区局" in answer.json()["message"]
    assert db.session.scalars(select(InsuranceBatch)).first() is None


def _unit_submits_on_demo_day(time_machine):
    """jianming's submission, accepted by the district on the demo's day."""
    from unioncard.insurance import review

    freeze_today(time_machine, DEMO_DAY)
    sub = _unit_submits("jm_operator")
    review.accept(Scope.for_account(account("yp_reviewer")), [sub.id])
    db.session.commit()


def test_split_form_refuses_a_sum_that_does_not_add_up(page, demo_day):
    _sign_in(page, "yp_admin")
    Shell(page).go("保障金额设置")
    split = SplitScreen(page)
    expect(page.get_by_text(f"{YEAR}年度保障金额设置时间")).to_be_visible()
    expect(split.district).to_have_value("13.00")
    expect(page.get_by_text("2027-01-01 00:00", exact=True)).to_be_visible()  # Shanghai time
    split.fill("10", "1")
    expect(split.problem).to_contain_text("区局/各级工会缴纳与基层单位缴纳之和应为 13.00 元")
    expect(split.problem).to_contain_text("现在是 11.00 元")
    expect(split.save).to_be_disabled()
    screenshot(page, "insurance-review-split")
    split.grassroots.fill("1.005")
    expect(page.get_by_role("alert").filter(has_text="最多两位小数")).to_be_visible()
    expect(split.save).to_be_disabled()
    assert_accessible(page)
    split.grassroots.fill("3")
    expect(split.sum_line).to_contain_text("参保费用 26.00 元 = 市总统一划拨 13.00 元")
    split.save.click()
    expect(page.get_by_text("保障金额设置已保存")).to_be_visible()
    db.session.expire_all()
    saved = db.session.scalars(select(PlanSplit)).one()
    assert (saved.district_share, saved.grassroots_share) == (Decimal("10.00"), Decimal("3.00"))


def test_split_form_is_read_only_outside_its_window(page, time_machine):
    campaign = db.session.scalars(select(Campaign).where(Campaign.year == YEAR)).one()
    freeze_today(time_machine, campaign.split_to + timedelta(days=1))
    _sign_in(page, "yp_admin")
    Shell(page).go("保障金额设置")
    split = SplitScreen(page)
    expect(page.get_by_role("status").filter(has_text="当前不在设置时间内")).to_be_visible()
    expect(split.district).to_be_disabled()
    expect(split.save).to_be_disabled()


def test_centre_screens_plans_campaigns_and_payout_import(page, demo_day, tmp_path):
    _sign_in(page, "center")
    shell = Shell(page)
    shell.go("保障类型设置")
    plans = page.get_by_label("保障类型列表", exact=True)
    expect(plans.locator("tr").filter(has_text="A类会员专享基本保障")).to_contain_text("26.00")
    expect(page.get_by_role("combobox", name="保障年度")).to_be_visible()
    assert_accessible(page)

    shell.go("集中参保时间设置")
    campaigns = page.get_by_label("集中参保列表", exact=True)
    expect(campaigns.locator("tr").filter(has_text=str(YEAR))).to_contain_text("进行中")
    assert_accessible(page)

    shell.go("给付信息管理")
    with page.expect_download() as template:
        page.get_by_role("button", name="下载导入模板", exact=True).click()
    saved = tmp_path / "template.xlsx"
    template.value.save_as(saved)
    book = openpyxl.load_workbook(saved)
    header = next(book.active.iter_rows(values_only=True))
    assert header[:3] == ("给付编号", "姓名", "证件号码")
    # a row naming nobody: nothing is imported and the reason is shown
    book.active.append(
        ["GF2027-0001", "无此人", "310110198803151234", "住院", "100", "2027-03-01", ""]
    )
    book.save(saved)
    page.get_by_label("选择给付信息文件").set_input_files(str(saved))
    expect(page.get_by_role("alert").filter(has_text="第2行")).to_be_visible()
    assert_accessible(page)


def test_secondary_union_reviews_but_the_district_submits(page, demo_day):
    _unit_submits("jm_operator")
    _sign_in(page, "park_reviewer")
    shell = Shell(page)
    expect(shell.menu.get_by_text("集中参保审核", exact=True)).to_be_visible()
    for title in ("参保批次管理", "保障金额设置", "即时参保审核"):
        expect(shell.menu.get_by_text(title, exact=True)).to_have_count(0)
    shell.go("集中参保审核")
    screen = ReviewScreen(page)
    screen.open_review(JIANMING)
    screen.accept()
    screen.tab("待提交参保列表")
    expect(screen.row(JIANMING)).to_be_visible()
    expect(screen.submit_button).to_have_count(0)
    expect(page.get_by_text("由区局(产业)工会统一提交至职保中心")).to_be_visible()
    assert_accessible(page)


def test_district_approves_an_instant_enrolment_and_sees_the_refunds(page, demo_day):
    from unioncard.insurance import instant
    from unioncard.insurance.models import CoveragePlan

    clerk = Scope.for_account(account("jm_operator"))
    rows = list(db.session.execute(instant.candidates(clerk, None, "有卡无保")))[:2]
    assert len(rows) == 2
    plan = db.session.scalars(select(CoveragePlan).where(CoveragePlan.year == DEMO_DAY.year)).one()
    sub = instant.submit(
        clerk, None, kind="有卡无保", plan_id=plan.id, member_ids=[r[0].id for r in rows]
    )
    db.session.commit()
    sub_id = sub.id

    _sign_in(page, "yp_reviewer")
    Shell(page).go("即时参保审核")
    row = page.get_by_label("即时参保审核列表", exact=True).locator("tr").filter(has_text=JIANMING)
    expect(row).to_contain_text("有卡无保")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(f"^审核\\s*：\\s*{re.escape(JIANMING)}")).click()
    dialog = page.get_by_role("dialog", name="即时参保审核")
    expect(dialog).to_contain_text("有卡无保 2 人")
    dialog.get_by_role("button", name="通过", exact=True).click()
    expect(page.get_by_text("审核通过，已生成即时参保批次")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(UnitSubmission, sub_id).batch_id is not None

    page.get_by_role("tab", name="个人缴费退款", exact=True).click()
    expect(page.get_by_label("个人缴费退款列表", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name="退款状态")).to_be_visible()
    assert_accessible(page)
