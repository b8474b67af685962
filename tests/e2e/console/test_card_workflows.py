"""The card issuance path of seed 000 in Chromium, one test per workflow, through the screens,
with the bank and the registers as loopback sandboxes reached over real HTTP (signed batches
out, signed callbacks back into the served app):

- 卡片信息管理 → 待办 → 提交系统校验 → 提交办卡 → 办卡批次管理 → 打印清册 (a real PDF) →
  the bank's successes and failure in 查看详情;
- a NAME_CHARSET failure put back through 办卡失败待处理 → 特殊 → 完善信息 → a new batch;
- revocations asked by the unit, one approved and one rejected by the union above, the
  reason seen by the unit;
- a clerk of a sibling union finds none of these members on any card screen;
- the 提交办卡 dialog opened, filled and confirmed by keyboard only;
- cards to hand out, the overdue first, 登记发放.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from integrations.sandboxes import start_sandboxes
from tests.cards.helpers import person, wait_until
from unioncard.accounts.scope import Scope
from unioncard.cards import batches, checks, pending
from unioncard.cards.models import (
    BatchStatus,
    CardBatch,
    CardStatus,
    Channel,
    MemberCard,
    Verification,
)
from unioncard.demo.seed import add_members
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.models_base import utcnow
from unioncard.orgs.services import branch_codes_for

from .card_pages import BatchTabs, RevocationsScreen
from .card_setup import special_and_complete
from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import CardsScreen, LoginPage, PendingScreen, Shell

SUMMARY_TAIL = "（请移除校验未通过及未校验的会员，才能进行提交办卡。）"
BRANCH = "中国银行上海市杨浦支行（上海市杨浦区黄兴路1599号）"


@pytest.fixture()
def bank(console, demo_world, monkeypatch):
    """The bank and the registers on loopback, calling back into the served console app.
    The bank answers a batch at once; card events (制卡, 送达) are not sent in these tests."""
    cfg = demo_world.config
    boxes = start_sandboxes(
        callback_base_url=console,
        client_id=cfg["BANK_CLIENT_ID"],
        client_secret=cfg["BANK_CLIENT_SECRET"],
        bank_id="BOC-SH",
        bank_secret=cfg["BANK_CALLBACK_SECRETS"]["BOC-SH"],
        result_delay=0.05,
        event_delay=3600,
    )
    monkeypatch.setitem(cfg, "BANK_API_URL", boxes.bank_url)
    monkeypatch.setitem(cfg, "POPULATION_API_URL", boxes.population_url)
    monkeypatch.setitem(cfg, "SOCIAL_SECURITY_API_URL", boxes.social_security_url)
    yield boxes
    boxes.stop()


def _cast(*people: tuple[str, str]) -> dict[str, int]:
    """Members of 建明 with chosen names and ID sequence digits (the bank's and the registers'
    rules read them: seq 444 is refused by the bank as ID_MISMATCH)."""
    org = account("jm_operator").org
    add_members(
        org,
        [person(name, seq, mobile_tail=9900 + i) for i, (name, seq) in enumerate(people)],
    )
    db.session.commit()
    rows = db.session.execute(
        select(Member.name, Member.id, Member.member_no).where(
            Member.name.in_([name for name, _ in people])
        )
    ).all()
    # the bank refuses member numbers ending in 77 or 99: these must not, or the test lies
    assert not [no for _, _, no in rows if no.endswith(("77", "99"))]
    return {name: member_id for name, member_id, _ in rows}


def _scope(username: str = "jm_operator") -> Scope:
    return Scope.for_account(account(username))


def _branch() -> str:
    return branch_codes_for(account("jm_operator").org)[0][0]


def _special_batch(ids: list[int]) -> CardBatch:
    """Set-up through the core: ``ids`` in the special channel, complete, submitted."""
    scope = _scope()
    special_and_complete(scope, ids)
    batch = batches.submit(scope, None, "特殊", _branch())
    db.session.commit()
    return batch


def _card(member_id: int) -> MemberCard:
    return db.session.scalar(select(MemberCard).where(MemberCard.member_id == member_id))


def _latest_batch() -> CardBatch:
    return db.session.scalar(
        select(CardBatch)
        .where(CardBatch.org_id == account("jm_operator").org_id)
        .order_by(CardBatch.id.desc())
    )


def _settled(page) -> None:
    """Wait until no finite animation runs (a dialog's fade-in): axe measures contrast as
    the clerk sees it, not half-way through a transition."""
    page.wait_for_function(
        "() => document.getAnimations().every((a) => a.playState !== 'running'"
        " || a.effect?.getTiming().iterations === Infinity)"
    )


def _pdf_text(path) -> str:
    return "".join(page.extract_text() for page in PdfReader(path).pages)


def test_card_path_from_card_info_to_the_banks_answer(page, bank):
    ids = _cast(("巫马晓东", "301"), ("巫马丽娟", "302"), ("巫马志强", "444"))
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)

    # 卡片信息管理: the three found by name, ticked, added to 待办
    Shell(page).go("卡片信息管理")
    cards = CardsScreen(page)
    cards.fill("姓名", "巫马")
    cards.search()
    expect(cards.total).to_have_text("共 3 条")
    cards.tick_page()
    cards.add_selected()
    expect(cards.confirmation).to_contain_text("确认将选中的 3 名会员添加至待办？")
    cards.confirm()
    expect(page.get_by_text("已添加 3 人至待办会员列表")).to_be_visible()

    # 待办会员列表: 提交系统校验 against the registers, then 提交办卡 with the branch
    Shell(page).go("待办会员列表")
    todo = PendingScreen(page)
    expect(todo.tab("普通办卡通道 (3)")).to_be_visible()
    expect(todo.summary).to_have_text(
        f"待办会员共：3人；校验通过：0人；未通过：0人。{SUMMARY_TAIL}"
    )
    page.get_by_role("button", name="提交系统校验").click()
    expect(todo.confirmation).to_contain_text("确认提交 3 人进行系统校验？")
    todo.confirm("确认提交")
    expect(todo.summary).to_have_text(
        f"待办会员共：3人；校验通过：3人；未通过：0人。{SUMMARY_TAIL}"
    )
    for name in ids:
        expect(todo.row(name)).to_contain_text("已通过")
    assert_accessible(page)

    page.get_by_role("button", name="提交办卡", exact=True).click()
    submit = page.get_by_role("dialog", name="提交办卡")
    expect(submit).to_contain_text("确认提交普通办卡通道的 3 名会员办卡？")
    todo.choose("领卡网点", BRANCH)
    submit.get_by_role("button", name="确认提交").click()
    expect(page.get_by_text(re.compile("^已提交办卡，批次编号 "))).to_be_visible()
    batch = _latest_batch()
    batch_no, batch_id = batch.batch_no, batch.id
    expect(page.get_by_text(f"已提交办卡，批次编号 {batch_no}")).to_be_visible()

    # 办卡批次管理: the batch, its 清册 as a real PDF
    Shell(page).go("办卡批次管理")
    screen = BatchTabs(page)
    expect(screen.row(batch_no).locator("td").nth(2)).to_have_text("3")
    with page.expect_download() as download:
        screen.row_action(batch_no, "打印清册")
    assert download.value.suggested_filename == f"办卡清册-{batch_no}.pdf"
    text = _pdf_text(download.value.path())
    assert "工会会员服务卡办卡清册" in text and batch_no in text
    assert all(name in text for name in ids)

    # the bank answered over HTTP: two cards, one refusal with its reason
    wait_until(
        lambda: db.session.get(CardBatch, batch_id).status == BatchStatus.ANSWERED,
        message="the bank sandbox never answered the batch",
    )
    screen.search()
    row = screen.row(batch_no)
    expect(row.locator("td").nth(3)).to_have_text("2")  # 办理成功人数
    expect(row.locator("td").nth(5)).not_to_have_text("银行未反馈")
    screen.row_action(batch_no, "查看详情")
    expect(screen.drawer).to_contain_text(re.compile(r"成功 / 失败\s*2 / 1"))
    members = screen.detail_table("批次内会员")
    expect(members.locator("tr").filter(has_text="巫马晓东")).to_contain_text("办理成功")
    expect(members.locator("tr").filter(has_text="巫马丽娟")).to_contain_text("办理成功")
    refused = members.locator("tr").filter(has_text="巫马志强")
    expect(refused).to_contain_text("办理失败")
    expect(refused).to_contain_text("姓名与证件号码不符")
    _settled(page)
    assert_accessible(page)
    screenshot(page, "batch-detail")
    screen.close_drawer()

    # the refusal waits in 办卡失败待处理 with the bank's reason
    failed = screen.open_tab("办卡失败待处理")
    expect(screen.tab("办卡失败待处理 (1)")).to_be_visible()
    expect(failed.row("巫马志强")).to_contain_text("姓名与证件号码不符")


def test_name_charset_failure_retried_through_the_special_channel(page, bank):
    ids = _cast(("巫马珺", "311"))
    member_id = ids["巫马珺"]
    # set-up through the core: the name passes our GBK test (普通), the registers pass it,
    # and the bank refuses it
    scope = _scope()
    pending.add_to_pending(scope, [member_id])
    db.session.commit()
    assert _card(member_id).channel == Channel.NORMAL
    checks.start(scope, None)
    db.session.commit()
    wait_until(lambda: _card(member_id).verification == Verification.PASSED)
    first = batches.submit(scope, None, "普通", _branch())
    db.session.commit()
    wait_until(lambda: _card(member_id).status == CardStatus.FAILED)

    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("办卡批次管理")
    screen = BatchTabs(page)
    expect(screen.tab("办卡失败待处理 (1)")).to_be_visible()
    failed = screen.open_tab("办卡失败待处理")
    row = failed.row("巫马珺")
    expect(row).to_contain_text("姓名含银行无法打印的字符")
    expect(row).to_contain_text("特殊")  # the bank's refusal moved the member to 特殊
    assert_accessible(page)
    screenshot(page, "batches-failed")
    screen.member_action("巫马珺", "重新加入待办")
    expect(page.get_by_role("dialog", name="重新加入待办")).to_contain_text(
        "确认将 巫马珺 重新加入待办会员列表？"
    )
    screen.confirm("确认加入")
    expect(page.get_by_text("巫马珺：已重新加入待办会员列表")).to_be_visible()
    expect(screen.tab("办卡失败待处理 (0)")).to_be_visible()

    # 待办会员列表 → 特殊: the API put the member there; 完善信息, then 提交办卡
    Shell(page).go("待办会员列表")
    todo = PendingScreen(page)
    todo.tab("特殊办卡通道 (1)").click()
    expect(todo.row("巫马珺")).to_contain_text("未完善")
    expect(todo.summary).to_contain_text("待办会员共：1人；信息已完善：0人；未完善：1人。")
    dialog = todo.complete_info("巫马珺", "2036-05-31", "中国")
    expect(dialog).to_be_hidden()
    expect(todo.row("巫马珺")).to_contain_text("已完善")
    expect(todo.summary).to_contain_text("待办会员共：1人；信息已完善：1人；未完善：0人。")
    page.get_by_role("button", name="提交办卡", exact=True).click()
    submit = page.get_by_role("dialog", name="提交办卡")
    expect(submit).to_contain_text("确认提交特殊办卡通道的 1 名会员办卡？")
    todo.choose("领卡网点", BRANCH)
    submit.get_by_role("button", name="确认提交").click()
    expect(page.get_by_text(re.compile("^已提交办卡，批次编号 "))).to_be_visible()
    second = _latest_batch()
    assert second.id != first.id and second.channel == Channel.SPECIAL

    # the bank prints the special channel by hand: this time the card is made
    wait_until(lambda: _card(member_id).status == CardStatus.ISSUED)
    Shell(page).go("办卡批次管理")
    screen.row_action(second.batch_no, "查看详情")
    expect(screen.drawer).to_contain_text(re.compile(r"办理通道\s*特殊"))
    expect(
        screen.detail_table("批次内会员").locator("tr").filter(has_text="巫马珺")
    ).to_contain_text("办理成功")


def test_revocation_approved_and_rejected_by_the_union_above(page, bank):
    ids = _cast(("巫马晓东", "321"), ("巫马丽娟", "322"), ("巫马志强", "323"))
    bank.bank.pause_callbacks()  # the bank takes its time: both batches can be revoked
    kept = _special_batch([ids["巫马晓东"]])
    withdrawn = _special_batch([ids["巫马丽娟"], ids["巫马志强"]])
    for batch_id in (kept.id, withdrawn.id):
        wait_until(lambda b=batch_id: db.session.get(CardBatch, b).status == BatchStatus.SENT)

    # the unit asks, with the applicant's name and phone
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("办卡批次管理")
    screen = BatchTabs(page)
    for batch, applicant in ((withdrawn, "张经办"), (kept, "李经办")):
        screen.tick(batch.batch_no)
        dialog = screen.open_revocation()
        expect(dialog).to_contain_text(f"确认申请撤销批次 {batch.batch_no}（{batch.total} 人）")
        dialog.get_by_label("申请人姓名").fill(applicant)
        dialog.get_by_label("申请人电话").fill("13800001234")
        dialog.get_by_role("button", name="提交撤销申请").click()
        expect(
            page.get_by_text(f"已提交批次 {batch.batch_no} 的撤销申请，待上级工会审核")
        ).to_be_visible()
        expect(screen.row(batch.batch_no)).to_contain_text("审核中")
    Shell(page).sign_out()

    # the union above: the requests with batch, union, applicant (phone masked) and members
    LoginPage(page).open().sign_in("park_reviewer", PASSWORD)
    Shell(page).go("撤销办卡批次审核")
    review = RevocationsScreen(page)
    expect(review.total).to_have_text("共 2 条")
    row = review.row(withdrawn.batch_no)
    expect(row).to_contain_text("上海建明信息科技有限公司工会委员会")
    expect(row).to_contain_text("张经办")
    expect(row).to_contain_text("138****1234")
    assert_accessible(page)
    screenshot(page, "revocations")
    dialog = review.open_review(withdrawn.batch_no)
    expect(dialog).to_contain_text(f"撤销办卡批次 {withdrawn.batch_no}（2 人）")
    members = dialog.get_by_label("批次内会员", exact=True)
    expect(members).to_contain_text("巫马丽娟")
    expect(members).to_contain_text("巫马志强")
    _settled(page)
    assert_accessible(page)
    review.approve()
    expect(page.get_by_text(f"已通过批次 {withdrawn.batch_no} 的撤销申请")).to_be_visible()
    expect(review.total).to_have_text("共 1 条")  # only 审核中 is listed by default

    review.open_review(kept.batch_no)
    review.choose_reject()
    review.confirm_reject("")
    expect(review.dialog.get_by_role("alert")).to_contain_text("请填写不通过原因")
    review.confirm_reject("批次信息无误，请照常办理")
    expect(page.get_by_text(f"已退回批次 {kept.batch_no} 的撤销申请，批次照常办理")).to_be_visible()
    Shell(page).sign_out()

    # approved: the bank withdrew it and the members are back to 未办卡
    wait_until(lambda: db.session.get(CardBatch, withdrawn.id).status == BatchStatus.REVOKED)
    assert withdrawn.batch_no in bank.bank.revoked
    # the unit sees both decisions, the rejection with its reason
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("办卡批次管理")
    expect(screen.row(withdrawn.batch_no)).to_contain_text("审核通过")
    expect(screen.row(kept.batch_no)).to_contain_text("审核不通过")
    screen.row_action(kept.batch_no, "查看详情")
    decisions = screen.detail_table("撤销申请")
    expect(decisions).to_contain_text("李经办")
    expect(decisions).to_contain_text("审核不通过")
    expect(decisions).to_contain_text("批次信息无误，请照常办理")
    screen.close_drawer()
    Shell(page).go("卡片信息管理")
    cards = CardsScreen(page)
    cards.fill("姓名", "巫马丽娟")
    cards.search()
    expect(cards.row("巫马丽娟")).to_contain_text("未办卡")


def test_a_sibling_union_finds_none_of_these_members(page, bank):
    ids = _cast(("巫马晓东", "331"), ("巫马丽娟", "444"), ("巫马志强", "333"))
    scope = _scope()
    batch = _special_batch([ids["巫马丽娟"]])  # the bank refuses it: 办卡失败
    wait_until(lambda: _card(ids["巫马丽娟"]).status == CardStatus.FAILED)
    pending.add_to_pending(scope, [ids["巫马晓东"]])  # 待办中
    db.session.commit()

    # 国华 is 建明's sibling under the same 二级工会
    LoginPage(page).open().sign_in("gh_operator", PASSWORD)
    Shell(page).go("卡片信息管理")
    cards = CardsScreen(page)
    cards.fill("姓名", "巫马")
    cards.search()
    expect(cards.total).to_have_text("共 0 条")
    Shell(page).go("待办会员列表")
    todo = PendingScreen(page)
    for tab in ("普通办卡通道", "特殊办卡通道"):
        page.get_by_role("tab", name=re.compile(f"^{tab}")).click()
        todo.fill("姓名", "巫马")
        todo.search()
        expect(todo.total).to_have_text("共 0 条")
    Shell(page).go("办卡批次管理")
    screen = BatchTabs(page)
    screen.fill("批次编号", batch.batch_no)
    screen.search()
    expect(screen.total).to_have_text("共 0 条")
    for tab in ("办卡失败待处理", "待发放卡片"):
        listed = screen.open_tab(tab)
        listed.fill("姓名", "巫马")
        listed.search()
        expect(listed.total).to_have_text("共 0 条")
    # and the API behind the screens answers the same
    token = page.evaluate("() => sessionStorage.getItem('unioncard.console.token')")
    headers = {"Authorization": f"Bearer {token}"}
    for path in (
        f"/api/admin/v1/cards/batches/{batch.id}",
        f"/api/admin/v1/cards/batches/{batch.id}/members",
        f"/api/admin/v1/cards/members/{ids['巫马丽娟']}/log",
    ):
        assert page.request.get(path, headers=headers).status == 404, path


def test_submit_dialog_by_keyboard_only(page, bank):
    ids = _cast(("巫马晓东", "341"))
    special_and_complete(_scope(), list(ids.values()))
    db.session.commit()

    LoginPage(page).open("/console/pending?tab=特殊").sign_in("jm_operator", PASSWORD)
    todo = PendingScreen(page)
    expect(todo.row("巫马晓东")).to_contain_text("已完善")
    button = page.get_by_role("button", name="提交办卡", exact=True)
    button.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="提交办卡")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("确认提交特殊办卡通道的 1 名会员办卡？")

    def tab_to(locator, limit: int = 10) -> None:
        for _ in range(limit):
            if locator.evaluate("(el) => el === document.activeElement"):
                return
            page.keyboard.press("Tab")
        raise AssertionError("the keyboard never reached the control")

    branch = dialog.get_by_role("combobox", name="领卡网点")
    tab_to(branch)
    page.keyboard.press("Enter")
    option = page.get_by_role("option", name=BRANCH, exact=True)
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(option).to_have_class(re.compile("is-hovering"))
    page.keyboard.press("Enter")
    expect(option).to_be_hidden()
    confirm = dialog.get_by_role("button", name="确认提交")
    tab_to(confirm)
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile("^已提交办卡，批次编号 "))).to_be_visible()
    expect(dialog).to_be_hidden()
    db.session.expire_all()
    batch = _latest_batch()
    assert batch is not None and batch.channel == Channel.SPECIAL
    assert batch.branch_name == "中国银行上海市杨浦支行"


def test_cards_to_hand_out_overdue_first(page):
    # the demo's two cards delivered to 建明 and not handed out: one an hour ago, one 30 days
    # ago (past the 5 working days on any day)
    org_id = account("jm_operator").org_id
    recent, old = db.session.scalars(
        select(MemberCard)
        .where(MemberCard.org_id == org_id, MemberCard.status == CardStatus.DELIVERED)
        .order_by(MemberCard.member_id)
    ).all()
    now = utcnow()
    recent.delivered_at, old.delivered_at = now - timedelta(hours=1), now - timedelta(days=30)
    db.session.commit()
    recent_name = db.session.get(Member, recent.member_id).name
    old_name, old_id = db.session.get(Member, old.member_id).name, old.member_id

    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("办卡批次管理")
    screen = BatchTabs(page)
    expect(screen.tab("待发放卡片 (2)")).to_be_visible()
    listed = screen.open_tab("待发放卡片")
    expect(listed.total).to_have_text("共 2 条")
    expect(listed.rows.nth(0)).to_contain_text(old_name)
    expect(listed.rows.nth(0)).to_contain_text("超期未发放")
    expect(listed.rows.nth(1)).to_contain_text(recent_name)
    expect(listed.rows.nth(1)).to_contain_text("未超期")
    expect(listed.rows.nth(0)).to_contain_text("6231*")  # the card number, masked
    expect(page.get_by_text("共 1 张超期")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "batches-hand-out")

    screen.member_action(old_name, "登记发放")
    expect(page.get_by_role("dialog", name="登记发放")).to_contain_text(f"发放给 {old_name}？")
    screen.confirm("确认发放")
    expect(page.get_by_text(f"{old_name}：已登记发放")).to_be_visible()
    expect(screen.tab("待发放卡片 (1)")).to_be_visible()
    expect(listed.total).to_have_text("共 1 条")
    db.session.expire_all()
    assert _card(old_id).status == CardStatus.HANDED_OUT
