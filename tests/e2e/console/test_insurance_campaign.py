"""The 2025-style collective campaign (seed 002) end to end, every step through the screens:
建明 submits both channels (社保卡参保 after the registers' answer, then 会员卡参保), 国华
submits its member cards; the district returns 国华 with a reason and accepts 建明's two
submissions, submits inside its window with the handler's details, downloads the statistics
workbook and uploads the voucher; the 职保中心 confirms. Clock pinned on the demo's day."""

from __future__ import annotations

import re
from decimal import Decimal

import openpyxl
import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from integrations.sandboxes import ServerThread
from integrations.verification.sandbox import create_registers_sandbox
from tests.clock import freeze_today
from unioncard.extensions import db
from unioncard.insurance.models import (
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
    UnitSubmission,
)
from unioncard.orgs.models import Org

from .conftest import DEMO_DAY, PASSWORD, assert_accessible
from .insurance_review_pages import ConfirmScreen, InsuranceBatchesScreen, ReviewScreen
from .insurance_unit_pages import CardEnrolmentScreen, SocialEnrolmentScreen
from .pages import LoginPage, Shell

YEAR = DEMO_DAY.year + 1
JIANMING = "上海建明信息科技有限公司工会委员会"
GUOHUA = "上海国华广场物业管理有限公司工会委员会"
REASON = "名单中有9月退休人员，请核对后重新提交"


@pytest.fixture()
def campaign(time_machine, demo_world, monkeypatch):
    """The demo's day (the unit and district windows of next year's campaign are open) and
    the registers' sandbox on loopback for 获取社保卡和就业状态."""
    freeze_today(time_machine, DEMO_DAY)
    server = ServerThread(create_registers_sandbox(today=DEMO_DAY))
    monkeypatch.setitem(
        demo_world.config, "SOCIAL_SECURITY_API_URL", f"{server.url}/social-security"
    )
    monkeypatch.setitem(demo_world.config, "POPULATION_API_URL", f"{server.url}/population")
    yield
    server.stop()


def _sign_in(page, username: str):
    LoginPage(page).open().sign_in(username, PASSWORD)
    expect(Shell(page).menu).to_be_visible()


def _card_channel(page, folder):
    """会员卡参保信息管理: the members waiting for confirmation confirmed, then 集中参保办理."""
    Shell(page).go("会员卡参保信息管理")
    screen = CardEnrolmentScreen(page)
    expect(screen.stats).to_contain_text("待确认人数：")
    if "待确认人数：0人" not in screen.stats.inner_text():
        screen.press("集中参保待确认名单")
        screen.confirm_all()
        expect(screen.to_confirm.get_by_text("没有待确认的会员")).to_be_visible()
        screen.to_confirm.get_by_role("button", name="关闭", exact=True).click()
    screen.press("集中参保办理")
    return screen.enrol.submit("提交至区局审核", folder)


def _submissions(unit: str) -> list[UnitSubmission]:
    db.session.expire_all()
    org = db.session.scalars(select(Org).where(Org.name == unit)).one()
    stmt = select(UnitSubmission).where(UnitSubmission.org_id == org.id)
    return list(db.session.scalars(stmt.order_by(UnitSubmission.id)))


def test_the_campaign_from_the_units_to_the_centre(page, campaign, tmp_path):
    # 建明: the social-security channel first (2 members), then its member cards
    _sign_in(page, "jm_operator")
    Shell(page).go("社保卡参保信息管理")
    social = SocialEnrolmentScreen(page)
    social.press("获取社保卡和就业状态")
    expect(social.check_line).to_contain_text("社保卡和就业状态已于")
    ready = social.tab("待提交")
    expect(ready.rows.first).to_contain_text("正常")
    for name in [ready.rows.nth(i).locator("td").nth(1).inner_text().strip() for i in range(2)]:
        ready.tick(name)
    ready.press("提交至上级审核")
    assert ready.enrol.submit("提交至上级审核", tmp_path).suffix == ".pdf"
    _card_channel(page, tmp_path)
    jianming = _submissions(JIANMING)
    assert sorted(s.kind.value for s in jianming) == ["会员卡参保", "社保卡参保"]
    counts = {s.kind.value: s.member_count for s in jianming}
    cards = counts["会员卡参保"]
    assert cards > 0 and counts["社保卡参保"] == 2
    Shell(page).sign_out()

    # 国华: its member cards
    _sign_in(page, "gh_operator")
    _card_channel(page, tmp_path)
    [guohua] = _submissions(GUOHUA)
    Shell(page).sign_out()

    # the district: 国华 returned with a reason, 建明's two submissions accepted
    _sign_in(page, "yp_reviewer")
    Shell(page).go("集中参保审核")
    review = ReviewScreen(page)
    expect(review.rows.filter(has_text=JIANMING)).to_have_count(2)
    review.open_review(GUOHUA)
    review.return_with(REASON)
    expect(review.rows.filter(has_text=GUOHUA)).to_have_count(0)
    for _ in range(2):
        page.get_by_role("button", name=re.compile(f"^审核\\s*：\\s*{JIANMING}")).first.click()
        review.accept()
        expect(page.get_by_text("已添加 1 个单位的参保信息至待提交参保列表")).to_be_visible()
        page.get_by_text("已添加 1 个单位的参保信息至待提交参保列表").wait_for(state="hidden")
    expect(review.rows.filter(has_text=JIANMING)).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(UnitSubmission, guohua.id).return_reason == REASON

    review.tab("待提交参保列表")
    total = cards + 2
    fee = Decimal("26.00") * total
    expect(review.totals).to_contain_text(
        f"合计参保人数：{total}人（会员卡参保人数 {cards} 人，社保卡参保人数 2 人）。"
        f"保障费用：{fee}元"
    )
    assert_accessible(page)
    review.submit_button.click()
    dialog = review.submit_dialog
    dialog.get_by_label("经办人", exact=True).fill("王经办")
    dialog.get_by_label("手机号", exact=True).fill("13812341234")
    dialog.get_by_label("邮箱", exact=True).fill("wang@example.com")
    with page.expect_download() as notice:
        dialog.get_by_role("button", name="确认提交至职保中心").click()
    assert notice.value.suggested_filename.endswith(".pdf")
    db.session.expire_all()
    batch = db.session.scalars(select(InsuranceBatch)).one()
    batch_no, batch_id = batch.batch_no, batch.id
    assert batch.member_count == total and batch.handler_name == "王经办"

    # 参保批次管理: the statistics workbook, then the voucher
    Shell(page).go("参保批次管理")
    batches = InsuranceBatchesScreen(page)
    batches.tick(batch_no)
    with page.expect_download() as workbook:
        batches.toolbar("下载集中参保统计表")
    saved = tmp_path / workbook.value.suggested_filename
    workbook.value.save_as(saved)
    rows = list(openpyxl.load_workbook(saved).active.iter_rows(values_only=True))
    assert len(rows) == total + 2 and rows[-1][0] == "合计" and rows[-1][1] == f"{total}人"
    assert Decimal(str(rows[-1][-4])) == fee
    photo = tmp_path / "voucher.png"
    Image.new("RGB", (80, 40), (200, 220, 240)).save(photo)
    batches.upload_voucher(batch_no, photo, "杨浦区集中参保缴费凭证")
    batches.save_voucher()
    expect(batches.row(batch_no)).to_contain_text("已上传凭证")
    Shell(page).sign_out()

    # the 职保中心 confirms the paid batch: every accepted submission is done
    _sign_in(page, "center")
    Shell(page).go("参保批次确认")
    ConfirmScreen(page).confirm(batch_no)
    expect(page.get_by_text(f"批次 {batch_no} 已确认，状态为「已完成」")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(InsuranceBatch, batch_id).status == InsuranceBatchStatus.COMPLETED
    assert {s.status for s in _submissions(JIANMING)} == {SubmissionStatus.COMPLETED}
    assert _submissions(GUOHUA)[0].status == SubmissionStatus.RETURNED
