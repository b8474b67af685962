"""会员服务卡管理 → 办卡批次管理 in Chromium: the seed's columns, a batch the bank has not
answered yet, 查看详情 with each member's result, 打印清册 as a real PDF, and
撤销办卡批次申请 with the applicant's name and phone (both required)."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from unioncard.accounts.scope import Scope
from unioncard.cards import batches, pending
from unioncard.cards.models import CardBatch, MemberCard, RevocationStatus
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.orgs.services import branch_codes_for

from .card_setup import special_and_complete
from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import BatchesScreen, LoginPage, Shell


def _submitted_batch(app, count: int = 3) -> tuple[CardBatch, list[str]]:
    """A batch of ``count`` members through the special channel, submitted and not yet sent
    (no bank here: the delivery task is off, so the bank has not answered)."""
    clerk = account("jm_operator")
    scope = Scope.for_account(clerk)
    rows = db.session.execute(
        select(Member, MemberCard)
        .outerjoin(MemberCard, MemberCard.member_id == Member.id)
        .where(Member.org_id == clerk.org_id)
        .order_by(Member.id)
    ).all()
    members = [m for m, card in rows if pending.refusal(m, card) is None][:count]
    assert len(members) == count
    ids = [m.id for m in members]
    special_and_complete(scope, ids, "护照")
    branch = branch_codes_for(clerk.org)[0][0]
    app.config["TASK_MODE"] = "off"
    try:
        batch = batches.submit(scope, clerk.org_id, "特殊", branch)
        db.session.commit()
    finally:
        app.config["TASK_MODE"] = "eager"
    return batch, [m.name for m in members]


def test_batch_list_detail_roster_and_revocation(page, demo_world):
    batch, names = _submitted_batch(demo_world)
    batch_no, batch_id = batch.batch_no, batch.id
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("办卡批次管理")
    screen = BatchesScreen(page)
    for title in (
        "批次编号",
        "办理总人数",
        "办理成功人数",
        "提交时间",
        "银行反馈时间",
        "办理通道",
        "批次撤销情况",
        "网点地址",
        "操作",
    ):
        expect(screen.table.get_by_role("columnheader", name=title, exact=True)).to_have_count(1)
    row = screen.row(batch_no)
    expect(row).to_contain_text("特殊")
    expect(row).to_contain_text("银行未反馈")
    expect(row.locator("td").nth(2)).to_have_text("3")  # after the checkbox: 批次编号, 办理总人数
    assert_accessible(page)

    # 查看详情: every member of the batch, none answered yet
    screen.row_action(batch_no, "查看详情")
    expect(screen.drawer).to_contain_text(f"批次内会员（共 {len(names)} 人）")
    members = screen.drawer.get_by_label("批次内会员", exact=True)
    for name in names:
        expect(members.locator("tr").filter(has_text=name)).to_contain_text("银行未反馈")
    # ID numbers stay masked in the detail
    expect(members).to_contain_text("*")
    assert_accessible(page)
    screenshot(page, "batches")
    screen.close_drawer()

    # 打印清册: the button hands over a real PDF, and the endpoint answers one
    with page.expect_download() as download:
        screen.row_action(batch_no, "打印清册")
    saved = download.value
    assert saved.suggested_filename == f"办卡清册-{batch_no}.pdf"
    with open(saved.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    token = page.evaluate("() => sessionStorage.getItem('unioncard.console.token')")
    answer = page.request.get(
        f"/api/admin/v1/cards/batches/{batch_id}/roster",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.ok and answer.headers["content-type"].startswith("application/pdf")
    assert answer.body().startswith(b"%PDF")

    # 撤销办卡批次申请: both fields required, then the request goes to review
    screen.tick(batch_no)
    dialog = screen.open_revocation()
    expect(dialog).to_contain_text(f"确认申请撤销批次 {batch_no}（3 人）")
    dialog.get_by_role("button", name="提交撤销申请").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请填写申请人姓名")
    dialog.get_by_label("申请人姓名").fill("张经办")
    dialog.get_by_role("button", name="提交撤销申请").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请填写申请人电话")
    dialog.get_by_label("申请人电话").fill("123")
    dialog.get_by_role("button", name="提交撤销申请").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请填写申请人的11位手机号码")
    dialog.get_by_label("申请人电话").fill("13800001234")
    dialog.get_by_role("button", name="提交撤销申请").click()
    expect(page.get_by_text(f"已提交批次 {batch_no} 的撤销申请，待上级工会审核")).to_be_visible()
    expect(screen.row(batch_no)).to_contain_text("审核中")
    db.session.expire_all()
    assert db.session.get(CardBatch, batch_id).revocation == RevocationStatus.REVIEWING
    # a batch with a revocation under review cannot be ticked again: the reason is on the row
    expect(screen.untickable(batch_no)).to_have_attribute(
        "aria-label", re.compile("不能勾选：该批次已有撤销申请（审核中）")
    )
