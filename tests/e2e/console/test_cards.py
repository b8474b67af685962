"""会员服务卡管理 → 卡片信息管理 in Chromium: the seed's columns, rows that cannot be ticked
show why, 添加选中的未办卡会员至待办 (and all N matching) with the count in the confirmation."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from unioncard.cards.models import CardStatus, MemberCard
from unioncard.extensions import db

from .conftest import PASSWORD, account, assert_accessible, screenshot
from .pages import CardsScreen, LoginPage, Shell


def _pending_count(org_id: int) -> int:
    return db.session.scalar(
        select(func.count(MemberCard.id)).where(
            MemberCard.org_id == org_id, MemberCard.status == CardStatus.PENDING
        )
    )


def test_add_ticked_members_then_all_matching_to_pending(page):
    org_id = account("jm_operator").org_id
    before = _pending_count(org_id)
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("卡片信息管理")
    cards = CardsScreen(page)
    for title in (
        "会员编号",
        "姓名",
        "证件类型",
        "证件号码",
        "银行卡号",
        "申办时间",
        "申请通道",
        "状态",
        "操作",
    ):
        expect(cards.table.get_by_role("columnheader", name=title, exact=True)).to_have_count(1)
    expect(page.get_by_text("灵活就业和企业外入会人员如需办卡请至微信公众号")).to_be_visible()
    cards.choose("办理状态", "未办卡")
    cards.search()
    expect(cards.total).not_to_have_text("共 0 条")
    waiting = cards.total_count()
    assert_accessible(page)

    names = [cards.rows.nth(i).locator("td").nth(2).inner_text() for i in range(2)]
    for name in names:
        cards.tick(name)
    cards.add_selected()
    expect(cards.confirmation).to_contain_text("确认将选中的 2 名会员添加至待办？")
    cards.confirm()
    expect(page.get_by_text("已添加 2 人至待办会员列表")).to_be_visible()
    db.session.expire_all()
    assert _pending_count(org_id) == before + 2
    expect(cards.total).to_have_text(f"共 {waiting - 2} 条")

    # a member already 待办中 cannot be ticked: the reason is on the row
    cards.reset()
    cards.choose("办理状态", "待办中")
    cards.search()
    expect(cards.untickable(names[0])).to_have_attribute(
        "aria-label", re.compile("不能勾选：办理状态为「待办中」，无需添加")
    )
    cards.untickable(names[0]).hover()
    expect(page.get_by_role("tooltip", name="办理状态为「待办中」，无需添加")).to_be_visible()
    page.wait_for_timeout(400)  # the tooltip's fade-in, for the README's picture only
    screenshot(page, "cards")

    # the whole page ticked, then every member matching the filter (not only this page)
    cards.reset()
    cards.choose("办理状态", "未办卡")
    cards.search()
    left = cards.total_count()
    assert left > 10
    cards.tick_page()
    page.get_by_role("button", name=f"选择全部 {left} 条符合条件的记录").click()
    cards.add_selected()
    expect(cards.confirmation).to_contain_text(f"确认将选中的 {left} 名会员添加至待办？")
    cards.confirm()
    expect(page.get_by_text(f"已添加 {left} 人至待办会员列表")).to_be_visible()
    expect(cards.total).to_have_text("共 0 条")
    db.session.expire_all()
    assert _pending_count(org_id) == before + 2 + left
