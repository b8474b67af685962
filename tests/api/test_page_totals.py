"""A list's page and its total come back in one statement, and the total is right.

``SelectPage`` reads the capped count as a scalar subquery of the page's own statement; only a
page past the end counts on its own. For every paginated admin list without path parameters, the
city admin pages through everything with small pages: the ``X-Pagination`` total on every page
(and on a page past the end) must equal the number of rows actually paged through, and the rows
must be the same, in the same order, as one big page.
"""

from __future__ import annotations

import json

from sqlalchemy import event

from tests.api.test_list_statements import _SPEC_PARAMS, paginated_lists, statements
from tests.world import autocommit, build_world, login
from unioncard.extensions import db


def _page(client, url, headers):
    r = client.get(url, headers=headers)
    return r.status_code, r.get_json(), json.loads(r.headers.get("X-Pagination", "{}"))


def _key(row: dict):
    return row.get("id", row.get("member_id")), json.dumps(row, sort_keys=True, default=str)


def _lists(app, client) -> list[str]:
    """Every paginated admin list without path parameters."""
    spec = client.get("/openapi.json").get_json()
    for path, item in spec["paths"].items():
        if item.get("get"):
            _SPEC_PARAMS[path] = {p["name"] for p in item["get"].get("parameters", [])}
    return [p for p in paginated_lists(app) if "<" not in p]


def test_every_list_total_matches_the_rows_paged_through(app, client, ctx):
    build_world(members_per_union=4)
    headers = login(client, "city_admin")
    checked = []
    for path in _lists(app, client):
        status, whole, meta = _page(client, f"{path}?page_size=100", headers)
        if status != 200 or not 3 <= len(whole) < 100:
            continue  # needs other filters, or too few rows here to tell
        checked.append(path)
        assert meta["total"] == len(whole) and meta["total_capped"] is False, path
        paged, page = [], 1
        while True:
            status, rows, meta = _page(client, f"{path}?page_size=2&page={page}", headers)
            assert status == 200 and meta["total"] == len(whole), (path, page, meta)
            if not rows:
                break
            paged += rows
            page += 1
        assert [_key(r) for r in paged] == [_key(r) for r in whole], path
    assert {"/api/admin/v1/members", "/api/admin/v1/orgs", "/api/admin/v1/cards"} <= set(checked)


def test_a_member_page_is_one_statement_beside_the_login(client, ctx):
    """The account (with its org) is one statement; the page, its total and every row's union
    name another. Before, the total and the rows' unions were a statement each."""
    world = build_world(members_per_union=6)
    headers = login(client, "ga1_admin")  # a grassroots union: its scope needs no lookup
    union = world.org("gA1").name
    db.session.expunge_all()  # as in a request of its own: nothing loaded yet
    status, rows, count = statements(client, "/api/admin/v1/members?page_size=5", headers)
    assert (status, rows, count) == (200, 5, 2)
    body = client.get("/api/admin/v1/members?page_size=5", headers=headers).get_json()
    assert {r["org_name"] for r in body} == {union}
    # past the end: no rows, the same total, counted on its own
    status, rows, count = statements(client, "/api/admin/v1/members?page_size=5&page=99", headers)
    assert (status, rows, count) == (200, 0, 3)
    # nothing matches: an empty first page is its own total (0), no count
    r = client.get("/api/admin/v1/members?page_size=5&name=无此人", headers=headers)
    assert r.get_json() == [] and json.loads(r.headers["X-Pagination"])["total"] == 0
    status, rows, count = statements(client, "/api/admin/v1/members?name=无此人", headers)
    assert (status, rows, count) == (200, 0, 2)


def test_capped_total_read_with_the_page(app, client, ctx, monkeypatch):
    build_world(members_per_union=6)
    headers = login(client, "city_admin")
    monkeypatch.setitem(app.config, "LIST_COUNT_CAP", 5)
    for page in (1, 2, 99):
        _, rows, meta = _page(client, f"/api/admin/v1/members?page_size=4&page={page}", headers)
        assert (meta["total"], meta["total_capped"], meta["total_display"]) == (5, True, "5+")
    assert len(rows) == 0


def test_every_admin_list_reads_in_autocommit_on_the_staff_pool(app, client, ctx):
    """No BEGIN and COMMIT round trips for a list (two of a small list's four); the statements
    stay on the staff pool (planned per scope), never on the mini-program's read pool."""
    world = build_world(members_per_union=2)
    headers = login(client, "city_admin")
    union = world.org("gA1").id
    db.session.commit()  # a request must not share the test's open transaction
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((conn.engine is db.engine, autocommit(conn)))

    engines = set(db.engines.values())
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        answered = []
        for path in _lists(app, client):
            seen.clear()
            if client.get(f"{path}?page_size=2", headers=headers).status_code == 200:
                answered.append(path)
                assert seen and all(staff and auto for staff, auto in seen), (path, seen)
        assert "/api/admin/v1/members" in answered and len(answered) >= 15, answered
        for path in ("/auth/me", "/workbench", f"/insurance/unions/{union}/collective/stats"):
            seen.clear()  # the console's other hot reads
            query = "?year=2027" if "stats" in path else ""
            assert client.get(f"/api/admin/v1{path}{query}", headers=headers).status_code == 200
            assert seen and all(staff and auto for staff, auto in seen), (path, seen)
        seen.clear()  # a write is still a transaction
        r = client.post("/api/admin/v1/members", headers=headers, json={"name": ""})
        assert r.status_code == 422 and seen and not any(auto for _, auto in seen)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)
