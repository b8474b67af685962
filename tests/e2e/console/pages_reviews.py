"""Page objects of 年审, 年审审核, 入会审核 and the 首页 workbench: locators and actions, no
assertions (kept apart from pages.py so that the screen groups merge without touching it)."""

from __future__ import annotations

import re

from .pages import ListScreen


def settled(page) -> None:
    """Wait until no CSS transition or animation runs (a dialog fading in is not yet readable,
    and axe would measure its half-transparent text)."""
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")


def _action(name: str, action: str):
    return re.compile(f"^{re.escape(action)}\\s*：\\s*{re.escape(name)}$")


class ReviewDialogPart:
    """The shared ReviewDialog: 通过, or 退回/驳回 with a required reason."""

    def __init__(self, page, title: str):
        self.page = page
        self.dialog = page.get_by_role("dialog", name=title)

    def approve(self, label: str = "通过"):
        self.dialog.get_by_role("button", name=label, exact=True).click()

    def reject(self, reason: str, label: str = "退回", reason_label: str = "退回原因"):
        self.dialog.get_by_role("button", name=label, exact=True).click()
        self.dialog.get_by_label(reason_label).fill(reason)
        self.dialog.get_by_role("button", name=f"确认{label}", exact=True).click()


class JoinsScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "入会申请列表")
        self.review = ReviewDialogPart(page, "入会审核")

    def open_review(self, name: str):
        self.row(name).get_by_role("button", name=_action(name, "审核")).click()
        self.review.dialog.wait_for()
        settled(self.page)


class ReviewScreen:
    """年审 of a grassroots union: the wizard."""

    def __init__(self, page):
        self.page = page
        self.counts = page.get_by_role("status").filter(has_text="参加年审会员")
        self.members = page.get_by_label("年审会员列表", exact=True)
        self.file_errors = page.get_by_label("年审名单错误", exact=True)

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def mark(self, name: str, reason: str):
        box = self.page.get_by_role("combobox", name=f"{name}不通过原因")
        box.focus()
        box.press("Enter")
        self.page.get_by_role("option", name=reason, exact=True).click()
        self.members.get_by_role("button", name=_action(name, "标记不通过")).click()

    def tab(self, label: str):
        self.page.get_by_role("tab", name=label, exact=True).click()

    def upload(self, path):
        with self.page.expect_file_chooser() as chooser:
            self.button("上传年审名单").click()
        chooser.value.set_files(str(path))

    def download_template(self, folder):
        with self.page.expect_download() as download:
            self.button("下载年审批量导入模板").click()
        target = folder / download.value.suggested_filename
        download.value.save_as(str(target))
        return target

    def submit(self):
        self.button("提交年审").click()
        self.page.get_by_role("dialog", name="提交年审").get_by_role(
            "button", name="确认提交"
        ).click()


class ReviewAuditScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "年审列表")
        self.review = ReviewDialogPart(page, "年审审核")
        self.units = page.get_by_label("未完成年审单位列表", exact=True)

    def open_review(self, org_name: str):
        self.row(org_name).get_by_role("button", name=_action(org_name, "审核")).click()
        self.review.dialog.wait_for()
        settled(self.page)


class HomeScreen:
    def __init__(self, page):
        self.page = page
        self.figures = page.get_by_role("region", name="统计")
        self.work = page.get_by_role("list", name="待办事项")

    def figure(self, label: str):
        return self.figures.locator(".figure").filter(has_text=label).locator(".number")

    def work_link(self, label: str):
        return self.work.get_by_role("link", name=re.compile(f"^{re.escape(label)}："))

    def work_item(self, label: str):
        return self.work.get_by_role("listitem").filter(
            has_text=re.compile(f"^{re.escape(label)}：")
        )

    def period(self, label: str):
        """今日 / 本周 / 本月, by keyboard (the styled span covers the radio itself)."""
        radio = self.page.get_by_role("radio", name=label)
        radio.focus()
        radio.press("Space")

    def show_charts(self):
        """显示统计图: the charts' own chunk is loaded only then."""
        self.page.get_by_role("button", name="显示统计图", exact=True).click()

    def chart(self, name: str):
        return self.page.locator(f"[data-chart='{name}']")
