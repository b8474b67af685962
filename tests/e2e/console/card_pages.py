"""Page objects of the card issuance screens beyond pages.py: 办卡批次管理's tabs and
撤销办卡批次审核. Locators and actions by role and label, no assertions."""

from __future__ import annotations

import re

from .pages import BatchesScreen, ListScreen


def _action(name: str, action: str) -> re.Pattern:
    return re.compile(f"^{re.escape(action)}\\s*：\\s*{re.escape(name)}$")


class TableScreen(ListScreen):
    """A ListPage whose rows are those of its own table (the screen may hold others, such as
    a closed drawer's)."""

    def __init__(self, page, caption: str):
        super().__init__(page, caption)
        self.rows = self.table.locator(".el-table__body-wrapper tbody tr")


class BatchTabs(BatchesScreen):
    """办卡批次管理 with its tabs: 办卡批次, 办卡失败待处理 (N), 待发放卡片 (N)."""

    def __init__(self, page):
        super().__init__(page)
        self.rows = self.table.locator(".el-table__body-wrapper tbody tr")

    def tab(self, label: str):
        return self.page.get_by_role("tab", name=re.compile(f"^{re.escape(label)}"))

    def open_tab(self, label: str):
        self.tab(label).click()
        return TableScreen(
            self.page, "待发放卡片列表" if label == "待发放卡片" else "办卡失败会员列表"
        )

    def member_action(self, name: str, action: str):
        rows = self.page.get_by_label(re.compile("^(待发放卡片列表|办卡失败会员列表)$"))
        rows.locator("tbody tr").filter(has_text=name).first.get_by_role(
            "button", name=_action(name, action)
        ).click()

    def confirm(self, button: str):
        self.page.get_by_role("dialog").get_by_role("button", name=button, exact=True).click()

    def detail_table(self, label: str):
        return self.drawer.get_by_label(label, exact=True)


class RevocationsScreen(TableScreen):
    """会员服务卡管理 → 撤销办卡批次审核 (the union above)."""

    def __init__(self, page):
        super().__init__(page, "撤销办卡批次申请列表")
        self.dialog = page.get_by_role("dialog", name="撤销办卡批次审核")

    def open_review(self, batch_no: str):
        self.row(batch_no).get_by_role("button", name=_action(batch_no, "审核")).click()
        return self.dialog

    def approve(self):
        self.dialog.get_by_role("button", name="审核通过", exact=True).click()

    def choose_reject(self):
        self.dialog.get_by_role("button", name="审核不通过", exact=True).click()

    def confirm_reject(self, reason: str):
        self.dialog.get_by_label("不通过原因").fill(reason)
        self.dialog.get_by_role("button", name="确认审核不通过", exact=True).click()
