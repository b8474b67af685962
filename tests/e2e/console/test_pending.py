"""会员服务卡管理 → 待办会员列表 in Chromium: the two channel tabs with their counts, the
seed's summary line, 切换通道, 完善信息 in 特殊, 移除, and 提交办卡 naming the count."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import func, select

from unioncard.accounts.scope import Scope
from unioncard.cards.models import CardStatus, Channel, MemberCard
from unioncard.cards.pending import add_to_pending
from unioncard.extensions import db

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import LoginPage, PendingScreen


def test_channels_summary_switch_complete_and_remove(page):
    org_id = account("jm_operator").org_id
    add_to_pending(Scope.for_account(account("jm_operator")), None)
    db.session.commit()
    # the API chose each member's channel (rare characters, other ID types go to 特殊)
    n, special = (
        db.session.scalar(
            select(func.count(MemberCard.id)).where(
                MemberCard.org_id == org_id,
                MemberCard.status == CardStatus.PENDING,
                MemberCard.channel == channel,
            )
        )
        for channel in (Channel.NORMAL, Channel.SPECIAL)
    )
    assert n >= 3
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    # 首页 counts the work waiting and leads to it
    page.get_by_role("link", name=f"待办会员：{n + special} 人（校验未通过或信息未完善：").click()
    pending = PendingScreen(page)
    expect(pending.tab(f"普通办卡通道 ({n})")).to_be_visible()
    expect(pending.tab(f"特殊办卡通道 ({special})")).to_be_visible()
    expect(pending.summary).to_have_text(
        f"待办会员共：{n}人；校验通过：0人；未通过：0人。"
        "（请移除校验未通过及未校验的会员，才能进行提交办卡。）"
    )
    expect(pending.total).to_have_text(f"共 {n} 条")
    assert_accessible(page)
    screenshot(page, "pending")

    first = pending.rows.nth(0).locator("td").nth(1).inner_text()
    second = pending.rows.nth(1).locator("td").nth(1).inner_text()
    pending.row_action(first, "切换通道")
    expect(pending.confirmation).to_contain_text(f"确认将 {first} 切换至特殊办卡通道？")
    pending.confirm("确认切换")
    expect(pending.tab(f"普通办卡通道 ({n - 1})")).to_be_visible()
    expect(pending.tab(f"特殊办卡通道 ({special + 1})")).to_be_visible()

    pending.row_action(second, "移除")
    expect(pending.confirmation).to_contain_text(f"确认将 {second} 移出待办会员列表？")
    pending.confirm("确认移除")
    expect(pending.tab(f"普通办卡通道 ({n - 2})")).to_be_visible()

    pending.tab(f"特殊办卡通道 ({special + 1})").click()
    complete = db.session.scalar(
        select(func.count(MemberCard.id)).where(
            MemberCard.org_id == org_id,
            MemberCard.channel == Channel.SPECIAL,
            MemberCard.info_complete.is_(True),
        )
    )
    expect(pending.summary).to_contain_text(
        f"待办会员共：{special + 1}人；信息已完善：{complete}人；未完善：{special + 1 - complete}人。"
    )
    expect(pending.row(first)).to_contain_text("未完善")
    dialog = pending.complete_info(first, "2036-05-31", "中国")
    expect(dialog).to_be_hidden()
    expect(pending.summary).to_contain_text(
        f"待办会员共：{special + 1}人；信息已完善：{complete + 1}人；未完善：{special - complete}人。"
    )
    expect(pending.row(first)).to_contain_text("已完善")
    assert_accessible(page)

    page.get_by_role("button", name="提交办卡").click()
    submit = page.get_by_role("dialog", name="提交办卡")
    expect(submit).to_contain_text(f"确认提交特殊办卡通道的 {complete + 1} 名会员办卡？")
    submit.get_by_role("button", name="确认提交").click()
    expect(submit.get_by_role("alert")).to_contain_text("请选择领卡网点")
    submit.get_by_role("button", name="取消").click()
