"""/docs works as a person uses it: Authorize with a staff token, then "Try it out"."""

from __future__ import annotations

import requests

from tests.world import PASSWORD, build_world


def test_authorize_then_try_an_admin_call(live_server, browser):
    build_world(members_per_union=1)
    login = requests.post(
        f"{live_server}/api/admin/v1/auth/login",
        json={"username": "da_admin", "password": PASSWORD},
        timeout=10,
    )
    assert login.status_code == 200, login.text
    token = login.json()["token"]

    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    outside: list[str] = []

    def local_only(route):
        if route.request.url.startswith(live_server):
            route.continue_()
        else:  # no CDN, no validator badge: an intranet has no internet
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", local_only)
    try:
        page.goto(f"{live_server}/docs")
        page.get_by_role("button", name="Authorize").first.click()
        staff = page.locator(".auth-container").filter(has_text="staffToken")
        staff.get_by_label("auth-bearer-value").fill(token)
        staff.get_by_role("button", name="Apply credentials").click()
        staff.get_by_role("button", name="Remove authorization").wait_for()  # authorised
        staff.get_by_role("button", name="Close").click()

        me = page.locator(".opblock").filter(
            has=page.locator('.opblock-summary-path[data-path="/api/admin/v1/auth/me"]')
        )
        me.locator(".opblock-summary").click()
        me.get_by_role("button", name="Try it out").click()
        with page.expect_response(lambda r: r.url.endswith("/api/admin/v1/auth/me")) as answer:
            me.get_by_role("button", name="Execute").click()
        assert answer.value.status == 200
        assert answer.value.request.headers["authorization"] == f"Bearer {token}"
        status = me.locator(".live-responses-table tbody .response-col_status").first
        assert status.inner_text().strip() == "200"
        assert "da_admin" in me.locator(".live-responses-table").inner_text()
    finally:
        context.close()
    assert outside == []
