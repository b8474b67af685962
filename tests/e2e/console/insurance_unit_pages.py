"""Page objects of the grassroots union's insurance screens (会员卡参保信息管理,
社保卡参保信息管理, the query screens): locators and actions only, no assertions."""

from __future__ import annotations

import re

from .pages import ListScreen


def loaded(page):
    """Wait until no table shows its loading mask."""
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.el-table .el-loading-mask')]"
        ".some((mask) => mask.offsetParent !== null)"
    )


def settled(page):
    """Wait until dialogs have faded in (Vue's transition classes gone): colours are checked then."""
    page.wait_for_function("() => !document.querySelector('[class*=\"-enter-active\"]')")


class EnrolDialog:
    """参保确认画面-集中参保办理, shared by both channels."""

    def __init__(self, page):
        self.page = page
        self.dialog = page.get_by_role("dialog", name="参保确认画面-集中参保办理")
        self.summary = self.dialog.get_by_test_id("enrol-summary")
        self.plan = self.dialog.get_by_role("combobox", name="请选择保障类型")
        # the chosen plan's name is drawn next to the (empty, read-only) combobox input
        self.plan_shown = self.dialog.locator(".el-select").filter(
            has=page.get_by_role("combobox", name="请选择保障类型")
        )
        self.fixed_note = self.dialog.get_by_role("note")
        self.confirm_box = page.get_by_role("dialog", name="信息")

    def choose_plan(self, name: str):
        self.plan.focus()
        self.plan.press("Enter")
        self.page.get_by_role("option", name=name, exact=True).click()

    def include(self, name: str):
        """Tick or untick a member's 参保 box in the card channel's list."""
        box = self.dialog.get_by_role("checkbox", name=f"参保：{name}", exact=True)
        box.focus()
        box.press("Space")

    def submit(self, label: str, folder):
        """Submit, confirm the plan in the box, and save the notice that downloads."""
        self.dialog.get_by_role("button", name=label, exact=True).click()
        with self.page.expect_download() as info:
            self.confirm_box.get_by_role("button", name="确认提交").click()
        path = folder / info.value.suggested_filename
        info.value.save_as(path)
        return path


class CardEnrolmentScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "会员卡参保批次列表")
        self.stats = page.get_by_role("status").filter(has_text="集中参保：会员总人数")
        self.enrol = EnrolDialog(page)
        self.to_confirm = page.get_by_role("dialog", name="集中参保待确认名单")

    def press(self, button: str):
        self.page.get_by_role("button", name=button, exact=True).click()
        settled(self.page)

    def confirm_all(self):
        self.to_confirm.get_by_role("button", name="全部确认", exact=True).click()
        self.page.get_by_role("dialog", name="集中参保名单确认").get_by_role(
            "button", name="确认", exact=True
        ).click()


class SocialEnrolmentScreen(ListScreen):
    def __init__(self, page, tab: str = "待校验"):
        super().__init__(page, f"社保卡参保{tab}列表")
        self.check_line = page.get_by_role("status").filter(has_text="社保卡和就业状态")
        self.enrol = EnrolDialog(page)

    def tab(self, label: str):
        self.page.get_by_role("tab", name=label, exact=True).click()
        return SocialEnrolmentScreen(self.page, label)

    def tick(self, name: str):
        self._press(self.page.get_by_role("checkbox", name=f"选择 {name}", exact=True))

    def press(self, button: str):
        self.page.get_by_role("button", name=button, exact=True).click()
        settled(self.page)


class QueryScreen(ListScreen):
    def open_people(self, submission_no: str):
        label = re.compile(f"^查看人员\\s*：\\s*{re.escape(submission_no)}$")
        self.row(submission_no).get_by_role("button", name=label).click()
        return self.page.get_by_role("dialog", name=re.compile("参保人员"))
