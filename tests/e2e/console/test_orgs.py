"""组织管理 in Chromium: the tree from the user's node, search by name, a union's details with
its related enterprises; nothing outside the district."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from unioncard.extensions import db
from unioncard.orgs.models import Org

from .conftest import PASSWORD, assert_accessible, screenshot
from .pages import LoginPage, Shell


def test_tree_search_and_details(page):
    jianming = db.session.scalars(select(Org).where(Org.name.contains("建明"))).one()
    LoginPage(page).open().sign_in("yp_admin", PASSWORD)
    Shell(page).go("组织管理")
    tree = page.get_by_role("tree", name="组织树")
    expect(tree.get_by_role("treeitem", name="上海市杨浦区总工会")).to_be_visible()
    expect(tree.get_by_text("上海市杨浦区科技园区工会联合会")).to_be_visible()
    expect(tree.get_by_text("上海市长宁区总工会")).to_have_count(0)
    expect(tree.get_by_text("上海市总工会", exact=True)).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("textbox", name="按名称查找工会").fill("国华")
    expect(tree.get_by_text("上海建明信息科技有限公司工会委员会")).to_be_hidden()
    page.get_by_role("textbox", name="按名称查找工会").fill("建明")
    tree.get_by_text("上海建明信息科技有限公司工会委员会").click()
    detail = page.get_by_role("heading", name="上海建明信息科技有限公司工会委员会")
    expect(detail).to_be_visible()
    expect(page.get_by_text(jianming.uscc)).to_be_visible()
    expect(page.get_by_label("关联企业", exact=True)).to_contain_text("上海建明信息科技有限公司")
    screenshot(page, "orgs")
