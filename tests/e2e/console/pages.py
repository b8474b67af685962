"""Page objects of the staff console: locators and actions by role and label, no assertions."""

from __future__ import annotations

import re


class LoginPage:
    def __init__(self, page):
        self.page = page
        self.username = page.get_by_role("textbox", name="用户名", exact=True)
        self.password = page.get_by_label("密码", exact=True)
        self.submit = page.get_by_role("button", name="登录", exact=True)
        self.alert = page.get_by_role("alert")

    def open(self, path: str = "/console/"):
        self.page.goto(path)
        return self

    def sign_in(self, username: str, password: str):
        self.username.fill(username)
        self.password.fill(password)
        self.submit.click()


class PasswordPage:
    def __init__(self, page):
        self.page = page
        self.heading = page.get_by_role("heading", name="修改密码")
        self.alert = page.get_by_role("alert")

    def change(self, old: str, new: str, again: str | None = None):
        self.page.get_by_label("原密码").fill(old)
        self.page.get_by_label("新密码", exact=True).fill(new)
        self.page.get_by_label("确认新密码").fill(new if again is None else again)
        self.page.get_by_role("button", name="确认修改").click()


class Shell:
    def __init__(self, page):
        self.page = page
        self.menu = page.get_by_role("navigation", name="主菜单")
        self.header = page.locator("header")

    def go(self, *titles: str):
        """Open the menu entry ``titles[-1]``; its groups are clicked only when it is hidden
        (the groups start open, and a click on an open group folds it)."""
        entry = self.menu.get_by_text(titles[-1], exact=True)
        if not entry.is_visible():
            for title in titles[:-1]:
                self.menu.get_by_text(title, exact=True).click()
        entry.click()

    def sign_out(self):
        self.page.get_by_role("button", name="退出登录").click()
        # done when the login page shows: the token is revoked and forgotten by then (a test
        # that navigated at once could abort the logout and find itself still signed in)
        LoginPage(self.page).username.wait_for()

    def large_font(self):
        self.page.get_by_text("大字模式", exact=True).click()


class ListScreen:
    """The shared ListPage grammar: search row, toolbar, table, paging."""

    def __init__(self, page, caption: str):
        self.page = page
        self.table = page.get_by_label(caption, exact=True)
        self.rows = page.locator(".el-table__body-wrapper tbody tr")
        self.total = page.locator(".el-pagination__total")

    def _reloading(self, button: str):
        """Click and wait until the list has its answer on screen."""
        with self.page.expect_response(
            lambda r: "/api/admin/v1/" in r.url and r.request.method == "GET"
        ):
            self.page.get_by_role("button", name=button, exact=True).click()
        # every table's loading mask gone (a screen may hold more than one table)
        self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.el-table .el-loading-mask')]"
            ".some((mask) => mask.offsetParent !== null)"
        )

    def search(self):
        self._reloading("搜索")

    def reset(self):
        self._reloading("重置")

    def fill(self, label: str, value: str):
        self.page.get_by_role("textbox", name=label, exact=True).fill(value)

    def choose(self, label: str, option: str):
        box = self.page.get_by_role("combobox", name=label)
        box.focus()
        box.press("Enter")  # by keyboard, as a clerk without a mouse would
        self.page.get_by_role("option", name=option, exact=True).click()

    def row(self, text: str):
        return self.rows.filter(has_text=text).first

    def _press(self, checkbox):
        checkbox.focus()
        checkbox.press("Space")  # by keyboard: the box itself is drawn by a styled span

    def column_settings(self):
        self.page.get_by_role("button", name="列设置").click()
        return self.page.get_by_role("group", name="显示的列")

    def total_count(self) -> int:
        match = re.search(r"\d+", self.total.inner_text())
        return int(match.group()) if match else -1

    def download(self, button: str, folder):
        """Click a download button; the file saved into ``folder`` under its suggested name."""
        with self.page.expect_download() as info:
            self.page.get_by_role("button", name=button, exact=True).click()
        path = folder / info.value.suggested_filename
        info.value.save_as(path)
        return path

    def export(self, folder):
        """导出: the confirmation's text, and the file saved into ``folder``."""
        self.page.get_by_role("button", name="导出", exact=True).click()
        dialog = self.page.get_by_role("dialog", name="导出")
        text = dialog.inner_text()
        return text, self.download("确认导出", folder)

    def tick_page(self):
        self._press(self.table.get_by_role("checkbox", name="选择本页全部可选的行"))

    def tick(self, name: str):
        self._press(self.table.get_by_role("checkbox", name=f"选择 {name}", exact=True))

    def page_button(self, number: int):
        return self.page.locator(".el-pager").get_by_text(str(number), exact=True)


class MembersScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "会员列表")
        self.drawer = page.get_by_role("dialog", name=re.compile("会员详情"))

    def open_detail(self, name: str):
        self.row(name).get_by_role("button", name=re.compile("查看详情")).click()

    def reveal(self, reason: str):
        self.drawer.get_by_role("button", name="查看完整号码").click()
        dialog = self.page.get_by_role("dialog", name="查看完整号码")
        dialog.get_by_label("查看原因").fill(reason)
        dialog.get_by_role("button", name="确认查看").click()
        return dialog

    def register(self, **fields: str):
        """新增会员: fill the labelled fields and confirm; the dialog for what it answers."""
        self.page.get_by_role("button", name="新增会员", exact=True).click()
        dialog = self.page.get_by_role("dialog", name="新增会员")
        for label, value in fields.items():
            # a required field's name starts with the asterisk Element draws before the label
            dialog.get_by_role("textbox", name=label).fill(value)
        dialog.get_by_role("button", name="确认登记").click()
        return dialog

    def edit_address(self, address: str):
        self.drawer.get_by_role("button", name="编辑").click()
        dialog = self.page.get_by_role("dialog", name="编辑会员信息")
        dialog.get_by_label("工作单位地址").fill(address)
        dialog.get_by_role("button", name="保存").click()
        return dialog


class CardsScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "卡片信息列表")
        self.confirmation = page.get_by_role("dialog").filter(has_text="添加至待办")

    def tick(self, name: str):
        self._press(self.page.get_by_role("checkbox", name=f"选择 {name}"))

    def tick_page(self):
        self._press(self.page.get_by_role("checkbox", name="选择本页全部可选的行"))

    def untickable(self, name: str):
        return self.page.get_by_label(re.compile(f"^{re.escape(name)}不能勾选"))

    def add_selected(self):
        self.page.get_by_role("button", name="添加选中的未办卡会员至待办").click()

    def add_all(self):
        self.page.get_by_role("button", name="添加全部的未办卡会员至待办").click()

    def confirm(self):
        self.confirmation.get_by_role("button", name="确认添加").click()


class PendingScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "待办会员列表")
        self.summary = page.get_by_role("status").filter(has_text="待办会员共")
        self.confirmation = page.get_by_role("dialog").filter(has_text="确认")

    def tab(self, label: str):
        return self.page.get_by_role("tab", name=label, exact=True)

    def row_action(self, name: str, action: str):
        label = re.compile(f"^{re.escape(action)}\\s*：\\s*{re.escape(name)}$")
        self.row(name).get_by_role("button", name=label).click()

    def confirm(self, button: str):
        self.page.get_by_role("button", name=button).click()

    def complete_info(self, name: str, expiry: str, country: str):
        self.row_action(name, "完善信息")
        dialog = self.page.get_by_role("dialog", name="完善信息")
        dialog.get_by_label("证件到期日").fill(expiry)
        dialog.get_by_label("证件到期日").press("Enter")
        dialog.get_by_label("国籍").fill(country)
        dialog.get_by_role("button", name="保存").click()
        return dialog


class AccountsScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "账号列表")
        self.confirmation = page.get_by_role("dialog").filter(has_text="确认")
        self.secret = page.get_by_role("dialog", name="一次性密码")

    def create(self, username: str, name: str, org: str, role: str) -> str:
        self.page.get_by_role("button", name="新建账号").click()
        dialog = self.page.get_by_role("dialog", name="新建账号")
        dialog.get_by_role("textbox", name="用户名", exact=True).fill(username)
        dialog.get_by_role("textbox", name="姓名", exact=True).fill(name)
        for label, option in (("所属工会", org), ("角色", role)):
            box = dialog.get_by_role("combobox", name=label)
            box.focus()
            box.press("Enter")
            self.page.get_by_role("option", name=option, exact=True).click()
        dialog.get_by_role("button", name="确认新建").click()
        return self.secret_password()

    def secret_password(self) -> str:
        return self.secret.locator(".secret").inner_text().strip()

    def close_secret(self):
        self.secret.get_by_role("button", name="我已记下").click()

    def row_action(self, username: str, action: str):
        label = re.compile(f"^{re.escape(action)}\\s*：\\s*{re.escape(username)}$")
        self.row(username).get_by_role("button", name=label).click()

    def confirm(self):
        self.page.get_by_role("button", name="确认", exact=True).click()


class BatchesScreen(ListScreen):
    def __init__(self, page):
        super().__init__(page, "办卡批次列表")
        self.drawer = page.get_by_role("dialog", name=re.compile("批次详情"))

    def row_action(self, batch_no: str, action: str):
        label = re.compile(f"^{re.escape(action)}\\s*：\\s*{re.escape(batch_no)}$")
        self.row(batch_no).get_by_role("button", name=label).click()

    def close_drawer(self):
        self.page.keyboard.press("Escape")

    def tick(self, batch_no: str):
        self._press(self.page.get_by_role("checkbox", name=f"选择 批次 {batch_no}"))

    def untickable(self, batch_no: str):
        return self.page.get_by_label(re.compile(f"^批次 {re.escape(batch_no)}不能勾选"))

    def open_revocation(self):
        self.page.get_by_role("button", name="撤销办卡批次申请").click()
        return self.page.get_by_role("dialog", name="撤销办卡批次申请")


class ImportScreen(ListScreen):
    """会员管理 → 会员导入: the wizard above, the job history (a ListPage) below."""

    def __init__(self, page):
        super().__init__(page, "导入记录")
        self.issues = page.get_by_label("错误明细", exact=True)
        self.issue_rows = self.issues.locator(".el-table__body-wrapper tbody tr")
        self.confirmation = page.get_by_role("dialog", name="确认导入")
        self.cancellation = page.get_by_role("dialog", name="取消导入任务")

    def upload(self, path, button: str = "上传采集表"):
        with self.page.expect_file_chooser() as chooser:
            self.page.get_by_role("button", name=button, exact=True).click()
        chooser.value.set_files(str(path))

    def commit(self):
        self.page.get_by_role("button", name="确认导入", exact=True).click()
        self.confirmation.wait_for()
        # the dialog fades in: its colours are checked once the transition has ended
        # (Vue's transition classes stay on the overlay until then)
        self.page.wait_for_function("() => !document.querySelector('[class*=\"-enter-active\"]')")

    def cancel_job(self, job_id: int):
        label = re.compile(f"^取消\\s*：\\s*导入任务 {job_id}$")
        self.table.get_by_role("button", name=label).click()
        self.cancellation.get_by_role("button", name="确认取消").click()
