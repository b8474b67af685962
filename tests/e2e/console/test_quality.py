"""The console's quality bars in Chromium: the first load's weight (login + shell + 首页, the
files the browser really requests, gzipped), 会员信息 without horizontal page scroll at
1366×768 and 1920×1080, and the keyboard reaching every control of 会员信息 and 组织管理."""

from __future__ import annotations

import gzip
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import DIST, PASSWORD, assert_accessible, screenshot
from .pages import LoginPage, MembersScreen, Shell

FIRST_LOAD_BUDGET = 300 * 1024  # bytes of JS + CSS, gzipped

# Every visible control inside the page's main area gets a number; Tab must reach them all.
MARK_CONTROLS = """() => {
  const main = document.querySelector('main')
  const selector = 'button, a[href], input, textarea, select, [role=combobox], [tabindex]'
  const shown = (el) => {
    const box = (el.type === 'checkbox' || el.type === 'radio') ? el.parentElement : el
    const r = box.getBoundingClientRect()
    return r.width > 0 && r.height > 0 && getComputedStyle(box).visibility !== 'hidden'
  }
  const controls = [...main.querySelectorAll(selector)].filter((el) =>
    !el.disabled && el.tabIndex >= 0 && el.getAttribute('aria-hidden') !== 'true' &&
    !el.closest('[aria-hidden=true], [inert]') && shown(el))
  controls.forEach((el, i) => el.setAttribute('data-uc-control', String(i)))
  return controls.map((el) => (el.getAttribute('aria-label') || el.textContent || el.name || el.tagName).trim().slice(0, 40))
}"""
FOCUSED = "() => document.activeElement && document.activeElement.getAttribute('data-uc-control')"


def _assets_requested(page) -> set[str]:
    names: set[str] = set()

    def seen(response):
        path = urlsplit(response.url).path
        if path.startswith("/console/assets/") and path.endswith((".js", ".css")):
            names.add(path.rsplit("/", 1)[1])

    page.on("response", seen)
    return names


def test_first_load_is_at_most_300_kb_gzipped(page):
    requested = _assets_requested(page)
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("业务工作台"))).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert any(n.startswith("index-") and n.endswith(".js") for n in requested), requested
    # the charts (ECharts, their own chunk) come only when the clerk opens them on 首页
    assert not [n for n in requested if n.startswith("WorkbenchCharts-")], requested
    sizes = {
        name: len(gzip.compress((DIST / "assets" / name).read_bytes(), compresslevel=9))
        for name in requested
    }
    total = sum(sizes.values())
    biggest = sorted(sizes.items(), key=lambda kv: -kv[1])[:5]
    assert total <= FIRST_LOAD_BUDGET, f"首次加载 {total / 1024:.0f} KB（gzip）：{biggest}"


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1920, 1080)])
def test_members_fit_the_screen_without_horizontal_scroll(page, width, height):
    page.set_viewport_size({"width": width, "height": height})
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    expect(members.total).to_contain_text("共")
    expect(members.rows.first).to_be_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{width}×{height}：页面横向溢出 {overflow}px"
    screenshot(page, f"members-{width}")


def _tab_through(page, at_least: int) -> tuple[list[str], set[str]]:
    """Tab from the top of the page (header, menu, then the screen) until every control of
    the screen's main area has had the focus, or a generous number of presses ran out."""
    controls = page.evaluate(MARK_CONTROLS)
    assert len(controls) >= at_least, controls
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached: set[str] = set()
    for _ in range(len(controls) * 2 + 120):
        page.keyboard.press("Tab")
        index = page.evaluate(FOCUSED)
        if index is not None:
            reached.add(index)
        if len(reached) == len(controls):
            break
    return controls, reached


def test_keyboard_reaches_every_control_of_members(page):
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    expect(members.rows.first).to_be_visible()
    controls, reached = _tab_through(page, 15)
    missed = [name for i, name in enumerate(controls) if str(i) not in reached]
    assert missed == [], f"Tab 键到达不了：{missed}"
    assert_accessible(page)


def test_keyboard_reaches_every_control_of_orgs(page):
    LoginPage(page).open().sign_in("yp_admin", PASSWORD)
    Shell(page).go("组织管理")
    page.get_by_role("tree", name="组织树").get_by_text("上海市杨浦区总工会", exact=True).click()
    expect(page.get_by_label("领卡网点", exact=True).locator("tbody tr").first).to_be_visible()
    controls, reached = _tab_through(page, 6)
    missed = [name for i, name in enumerate(controls) if str(i) not in reached]
    assert missed == [], f"Tab 键到达不了：{missed}"
    assert_accessible(page)
