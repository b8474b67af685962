"""组织管理 in Chromium: the tree from the user's node, search by name, a union's details with
its related enterprises; nothing outside the district."""

from __future__ import annotations

import re

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


def _pick(page, name: str):
    page.get_by_role("textbox", name="按名称查找工会").fill(name)
    page.get_by_role("tree", name="组织树").get_by_text(name, exact=True).click()
    return page.get_by_role("heading", name=name, exact=True)


def test_edit_a_union_with_the_apis_uscc_check_and_its_enterprises(page):
    name = "上海建明信息科技有限公司工会委员会"
    jianming = db.session.scalars(select(Org).where(Org.name == name)).one()
    good, accepts = jianming.uscc, jianming.accepts_individuals
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    LoginPage(page).open().sign_in("yp_admin", PASSWORD)
    Shell(page).go("组织管理")
    expect(_pick(page, name)).to_be_visible()

    page.get_by_role("button", name="编辑", exact=True).click()
    dialog = page.get_by_role("dialog", name="编辑工会信息")
    dialog.get_by_role("textbox", name="统一社会信用代码").fill(bad)
    dialog.get_by_role("button", name="保存").click()
    uscc_item = dialog.locator(".el-form-item").filter(
        has=page.get_by_role("textbox", name="统一社会信用代码")
    )
    expect(uscc_item).to_contain_text("统一社会信用代码无效")
    assert_accessible(page)
    dialog.get_by_role("textbox", name="统一社会信用代码").fill(good)
    switch = dialog.get_by_role("switch", name="接收个人入会")
    switch.focus()
    switch.press("Space")  # by keyboard: the switch's input is drawn by a styled span
    dialog.get_by_role("button", name="保存").click()
    expect(dialog).to_be_hidden()
    shown = "否" if accepts else "是"
    flag = page.locator(".el-descriptions__cell").filter(has_text="接收个人入会")
    expect(flag.locator("xpath=following-sibling::*[1]")).to_have_text(shown)
    db.session.expire_all()
    assert db.session.get(Org, jianming.id).accepts_individuals is (not accepts)

    page.get_by_role("button", name="添加关联企业").click()
    adding = page.get_by_role("dialog", name="添加关联企业")
    adding.get_by_role("textbox", name="企业名称").fill("上海建明数据服务有限公司")
    adding.get_by_role("button", name="确认添加").click()
    enterprises = page.get_by_label("关联企业", exact=True)
    expect(enterprises).to_contain_text("上海建明数据服务有限公司")
    enterprises.get_by_role(
        "button", name=re.compile("^移除\\s*：\\s*上海建明数据服务有限公司$")
    ).click()
    confirm = page.get_by_role("dialog", name="移除关联企业")
    expect(confirm).to_contain_text("确认移除关联企业“上海建明数据服务有限公司”？")
    confirm.get_by_role("button", name="确认移除").click()
    expect(enterprises).not_to_contain_text("上海建明数据服务有限公司")
    expect(enterprises).to_contain_text("上海建明信息科技有限公司")


def test_a_districts_branches(page):
    LoginPage(page).open().sign_in("yp_admin", PASSWORD)
    Shell(page).go("组织管理")
    expect(_pick(page, "上海市杨浦区总工会")).to_be_visible()
    branches = page.get_by_label("领卡网点", exact=True)
    expect(branches.locator("tbody tr").first).to_be_visible()
    page.get_by_role("button", name="新增网点").click()
    dialog = page.get_by_role("dialog", name="新增领卡网点")
    dialog.get_by_role("textbox", name="网点代码").fill("YP-99")
    dialog.get_by_role("textbox", name="网点名称").fill("杨浦五角场测试网点")
    dialog.get_by_role("textbox", name="网点地址").fill("上海市杨浦区淞沪路1号")
    dialog.get_by_role("button", name="确认新增").click()
    code_item = dialog.locator(".el-form-item").filter(
        has=page.get_by_role("textbox", name="网点代码")
    )
    expect(code_item.locator(".el-form-item__error")).to_be_visible()
    dialog.get_by_role("textbox", name="网点代码").fill("YP099")
    dialog.get_by_role("button", name="确认新增").click()
    expect(dialog).to_be_hidden()
    row = branches.locator("tbody tr").filter(has_text="杨浦五角场测试网点")
    expect(row).to_contain_text("启用")
    row.get_by_role("button", name=re.compile("^停用\\s*：\\s*杨浦五角场测试网点$")).click()
    page.get_by_role("dialog", name="停用领卡网点").get_by_role("button", name="确认停用").click()
    expect(row).to_contain_text("已停用")
    assert_accessible(page)
    screenshot(page, "orgs-branches")
    # a grassroots union has no 领卡网点 section
    expect(_pick(page, "上海建明信息科技有限公司工会委员会")).to_be_visible()
    expect(page.get_by_label("领卡网点", exact=True)).to_have_count(0)
