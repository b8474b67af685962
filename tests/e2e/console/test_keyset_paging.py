"""Paging on through a list: the console sends the previous answer's keyset cursor, so the API
reads on after the last row shown instead of skipping pages (OFFSET); the rows are those page
numbering gives. A page further on asks by its number; a refused cursor falls back to it."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from .conftest import PASSWORD, assert_accessible
from .pages import LoginPage, MembersScreen, Shell

MEMBERS = "/api/admin/v1/members"


def _by_number(app, page_no: int) -> list[dict]:
    """Page ``page_no`` of city_admin's member list as page numbering gives it (no cursor)."""
    client = app.test_client()
    login = client.post(
        "/api/admin/v1/auth/login", json={"username": "city_admin", "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    answer = client.get(f"{MEMBERS}?page={page_no}&page_size=10", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]


def _go_to(page, members: MembersScreen, number: int, *, by_number: bool = False):
    """Click page ``number`` in the pager; the URL of the request that answered it (the one
    without a cursor when ``by_number``), its member ids and the answer."""

    def answering(r):
        return (
            MEMBERS in r.url
            and f"page={number}" in r.url
            and r.request.method == "GET"
            and not (by_number and "cursor=" in r.url)
        )

    with page.expect_response(answering) as answer:
        members.page_button(number).click()
    expect(page.locator(".el-pager .is-active")).to_have_text(str(number))
    response = answer.value
    return response.request.url, [row["id"] for row in response.json()], response


def test_next_page_reads_on_from_the_cursor_with_the_rows_of_page_numbering(page, console):
    from flask import current_app

    app = current_app._get_current_object()
    LoginPage(page).open().sign_in("city_admin", PASSWORD)
    Shell(page).go("会员信息")
    members = MembersScreen(page)
    expect(members.rows.first).to_be_visible()
    expect(members.total).not_to_have_text("共 0 条")
    assert members.total_count() > 60  # the demo city: enough for page 6

    # 2 and 3 follow the page before: each asks with the cursor page 1, then 2, answered
    url, ids, response = _go_to(page, members, 2)
    assert "cursor=" in url
    assert ids == _ids(_by_number(app, 2))
    assert json.loads(response.headers["x-pagination"])["next_cursor"]
    expect(members.rows.first).to_contain_text(str(response.json()[0]["name"]))
    url, ids, _ = _go_to(page, members, 3)
    assert "cursor=" in url
    assert ids == _ids(_by_number(app, 3))

    # a page further on: by its number, as before
    url, ids, _ = _go_to(page, members, 5)
    assert "cursor=" not in url
    assert ids == _ids(_by_number(app, 5))

    # the API refuses a cursor (422): the same page is asked again by its number, no error shown
    refused: list[str] = []

    def refuse(route):
        refused.append(route.request.url)
        route.fulfill(
            status=422,
            content_type="application/json",
            body=json.dumps(
                {"code": 422, "message": "翻页标记与当前筛选条件不符，请从第一页重新查询"}
            ),
        )

    page.route("**/api/admin/v1/members?*cursor=*", refuse)
    url, ids, _ = _go_to(page, members, 6, by_number=True)
    assert len(refused) == 1 and "page=6" in refused[0]
    assert "cursor=" not in url
    sixth = _by_number(app, 6)
    assert ids == _ids(sixth)
    expect(members.rows.first).to_contain_text(sixth[0]["name"])
    expect(page.get_by_text("翻页标记")).to_have_count(0)
    assert_accessible(page)
