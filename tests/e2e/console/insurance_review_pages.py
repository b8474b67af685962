"""Page objects of the 会员专享保障 screens above grassroots (保障金额设置, 集中参保审核,
参保批次管理, 参保批次确认): locators and actions by role and label, no assertions."""

from __future__ import annotations

import re

from .pages import ListScreen


class SplitScreen:
    def __init__(self, page):
        self.page = page
        self.district = page.get_by_label("区局/各级工会默认缴纳(元/人)", exact=True)
        self.grassroots = page.get_by_label("基层单位默认缴纳(元/人)", exact=True)
        self.save = page.get_by_role("button", name="保存设置", exact=True)
        self.problem = page.get_by_role("alert").filter(has_text="之和应为")
        self.sum_line = page.get_by_role("status").filter(has_text="参保费用")

    def fill(self, district: str, grassroots: str):
        self.district.fill(district)
        self.grassroots.fill(grassroots)


class ReviewScreen(ListScreen):
    """集中参保审核: two tabs over one list grammar."""

    def __init__(self, page):
        super().__init__(page, "待审批参保列表")
        self.dialog = page.get_by_role("dialog", name="集中参保审核")
        self.submit_dialog = page.get_by_role("dialog", name="批次确认")
        self.submit_button = page.get_by_role("button", name="提交列表中的参保信息", exact=True)
        self.totals = page.get_by_role("status").filter(has_text="合计参保人数")

    def tab(self, label: str):
        with self.page.expect_response(lambda r: "/insurance/review/" in r.url):
            self.page.get_by_role("tab", name=label, exact=True).click()
        self.table = self.page.get_by_label(label, exact=True)

    def open_review(self, org: str):
        self.page.get_by_role("button", name=re.compile(f"^审核\\s*：\\s*{re.escape(org)}")).click()

    def return_with(self, reason: str):
        self.dialog.get_by_role("button", name="退回", exact=True).click()
        self.dialog.get_by_label("退回原因").fill(reason)
        self.dialog.get_by_role("button", name="确认退回", exact=True).click()

    def accept(self):
        self.dialog.get_by_role("button", name="添加至待提交", exact=True).click()

    def submit(self, name: str, phone: str, email: str):
        self.submit_button.click()
        self.submit_dialog.get_by_label("经办人", exact=True).fill(name)
        self.submit_dialog.get_by_label("手机号", exact=True).fill(phone)
        self.submit_dialog.get_by_label("邮箱", exact=True).fill(email)
        self.submit_dialog.get_by_role("button", name="确认提交至职保中心").click()


class InsuranceBatchesScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "参保批次列表")
        self.voucher_dialog = page.get_by_role("dialog", name="缴费凭证管理")

    def tick(self, batch_no: str):
        self._press(self.page.get_by_role("checkbox", name=f"选择 批次 {batch_no}"))

    def toolbar(self, button: str):
        self.page.get_by_role("button", name=button, exact=True).click()

    def upload_voucher(self, batch_no: str, path, title: str):
        self.toolbar("缴费凭证管理")
        dialog = self.voucher_dialog
        box = dialog.get_by_role("combobox", name="①选择批次")
        box.focus()
        box.press("Enter")  # by keyboard (the chosen batch's label lies over the input)
        option = self.page.get_by_role("option", name=re.compile(f"^{re.escape(batch_no)}"))
        option.click()
        option.wait_for(state="hidden")  # the list fades out before the next step
        dialog.get_by_label("③缴费凭证").set_input_files(str(path))
        dialog.get_by_label("④文件名称", exact=True).fill(title)
        return dialog

    def save_voucher(self):
        self.voucher_dialog.get_by_role("button", name="⑥保存提交", exact=True).click()


class ConfirmScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "参保批次确认列表")
        self.box = page.get_by_role("dialog", name="参保批次确认")

    def confirm(self, batch_no: str):
        name = re.compile(f"^确认\\s*：\\s*{re.escape(batch_no)}$")
        self.page.get_by_role("button", name=name).click()
        self.box.get_by_role("button", name="确认已缴费", exact=True).click()
