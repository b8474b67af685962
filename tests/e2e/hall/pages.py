"""Page objects of the service hall: locators and actions by role and label, no assertions."""

from __future__ import annotations


class Hall:
    """What every page of the hall has: the title, the bottom navigation, alerts."""

    def __init__(self, page):
        self.page = page
        self.title = page.get_by_role("heading", level=1)
        self.nav = page.get_by_role("navigation", name="主导航")
        self.alert = page.get_by_role("alert")

    def open(self, path: str = "/hall/"):
        self.page.goto(path)
        return self

    def go(self, tab: str):
        self.nav.get_by_role("link", name=tab, exact=True).click()

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def cell(self, title: str):
        """A van-cell by its title: the cell's element, value included."""
        return self.page.locator(".van-cell").filter(
            has=self.page.locator(".van-cell__title", has_text=title)
        )


class Login(Hall):
    def sign_in_as(self, person_label: str):
        """微信授权登录, then pick the WeChat user on the sandbox's authorize page."""
        self.button("微信授权登录").click()
        self.page.get_by_role("link", name=person_label, exact=True).click()


class PhoneBinding(Hall):
    def request_code(self, mobile: str):
        self.page.get_by_label("手机号码", exact=True).fill(mobile)
        self.button("获取验证码").click()

    def bind(self, code: str):
        self.page.get_by_label("验证码", exact=True).fill(code)
        self.button("绑定手机").click()


class Identity(Hall):
    def verify(self, name: str, id_number: str, expiry: str, id_type: str = "身份证", **other):
        self.page.get_by_label("姓名", exact=True).fill(name)
        self.page.get_by_label("证件类型", exact=True).select_option(id_type)
        self.page.get_by_label("证件号码", exact=True).fill(id_number)
        self.page.get_by_label("证件到期日", exact=True).fill(expiry)
        if "country" in other:
            self.page.get_by_label("国家/地区", exact=True).fill(other["country"])
        if "gender" in other:
            self.page.get_by_label("性别", exact=True).select_option(other["gender"])
        if "birth_date" in other:
            self.page.get_by_label("出生日期", exact=True).fill(other["birth_date"])
        self.button("提交实名认证").click()


class Join(Hall):
    def find(self, district: str, name: str = ""):
        self.page.get_by_label("所在区", exact=True).select_option(label=district)
        self.page.get_by_label("工会名称", exact=True).fill(name)
        self.button("查询工会").click()

    def apply(self, union: str, source: str, address: str):
        self.page.get_by_role("radio", name=union, exact=True).click()
        self.page.get_by_label("入会方式", exact=True).select_option(source)
        self.page.get_by_label("工作单位地址", exact=True).fill(address)
        self.button("提交入会申请").click()


class Card(Hall):
    def __init__(self, page):
        super().__init__(page)
        self.timeline = page.get_by_role("list", name="办卡进度")

    def apply(self, district: str, branch: str, address: str, expiry: str):
        self.page.get_by_label("所在区", exact=True).select_option(label=district)
        self.page.get_by_role("radio", name=branch, exact=True).click()
        self.page.get_by_label("邮寄地址", exact=True).fill(address)
        self.page.get_by_label("证件到期日", exact=True).fill(expiry)
        self.button("提交办卡申请").click()

    def stage(self, name: str):
        return self.timeline.get_by_role("listitem").filter(has_text=name)


class Insurance(Hall):
    def enrol(self, plan: str):
        self.button(f"参加{plan}").click()
        self.page.get_by_role("dialog").get_by_role("button", name="参保并支付").click()

    def enrolment(self, year: int, plan: str):
        return self.page.locator(".van-cell-group").filter(has_text=f"{year} 年度 {plan}")


class PaySheet:
    """The WeChat Pay sandbox's stand-in for WeChat's pay sheet."""

    def __init__(self, page):
        self.page = page
        self.heading = page.get_by_role("heading", name="微信支付（沙箱）")

    def confirm(self):
        self.page.get_by_role("button", name="确认支付", exact=True).click()
