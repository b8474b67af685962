"""A whole city's lists: the subtree condition at every level, capped totals.

The subtree is a range on the materialised path (``within``), so that a plain btree
serves it under any collation; it must select exactly the orgs a prefix match selects,
also where one id's digits begin another's (org 2 and org 21).
"""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import func, select, text

from tests.world import build_world, login
from unioncard.demo.seed import add_org
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.orgs.models import Org, OrgLevel, within


def _grow(world, unions: int = 24) -> None:
    """More grassroots unions under both districts, so ids of one and two digits mix."""
    rng = random.Random(3)
    for i in range(unions):
        parent = world.org("sA") if i % 3 == 0 else world.org("dA" if i % 3 == 1 else "dB")
        add_org(
            f"测试增补{i:02d}公司工会委员会", OrgLevel.GRASSROOTS, parent, rng=rng, unit_type="60"
        )
    db.session.commit()


def test_within_selects_the_subtree_of_every_org(ctx):
    world = build_world(members_per_union=1)
    _grow(world)
    orgs = db.session.scalars(select(Org)).all()
    paths = {o.id: o.path for o in orgs}
    assert len(orgs) > 30 and any(p.startswith("/1/2") and len(p) > 4 for p in paths.values())
    for org in orgs:
        expected = {i for i, p in paths.items() if p.startswith(org.path)}
        found = set(db.session.scalars(select(Org.id).where(within(Org.path, org.path))))
        assert found == expected, org.path
        assert org.id in found


def test_every_level_lists_exactly_its_own_members(client, ctx):
    world = build_world(members_per_union=3)
    _grow(world, unions=12)
    members = db.session.execute(select(Member.id, Org.path).join(Org)).all()
    for key in ("city", "dA", "dB", "sA", "gA1", "gB1"):
        org = world.org(key)
        headers = login(client, f"{key.lower()}_admin")
        r = client.get("/api/admin/v1/members?page_size=100", headers=headers)
        assert r.status_code == 200
        answered = {m["id"] for m in r.get_json()}
        assert answered == {i for i, path in members if path.startswith(org.path)}, key
        assert json.loads(r.headers["X-Pagination"])["total"] == len(answered)
        r = client.get("/api/admin/v1/orgs?page_size=100", headers=headers)
        assert {o["id"] for o in r.get_json()} == set(
            db.session.scalars(select(Org.id).where(Org.path.startswith(org.path)))
        ), key


def test_a_total_beyond_the_cap_says_so(app, client, ctx):
    world = build_world(members_per_union=3)  # 9 members in the city
    headers = login(client, "city_admin")
    app.config["LIST_COUNT_CAP"] = 5
    try:
        r = client.get("/api/admin/v1/members?page_size=2", headers=headers)
        meta = json.loads(r.headers["X-Pagination"])
        assert (meta["total"], meta["total_capped"], meta["total_display"]) == (5, True, "5+")
        assert len(r.get_json()) == 2
        # a later page is still served in full: the rows are not capped, only the count
        r = client.get("/api/admin/v1/members?page_size=2&page=5", headers=headers)
        assert len(r.get_json()) == 1

        # more than the cap in a district (6): capped; exactly the cap, and below: exact
        district = f"/api/admin/v1/members?org_id={world.org('dA').id}"
        meta = json.loads(client.get(district, headers=headers).headers["X-Pagination"])
        assert (meta["total"], meta["total_capped"], meta["total_display"]) == (5, True, "5+")
        app.config["LIST_COUNT_CAP"] = 6
        meta = json.loads(client.get(district, headers=headers).headers["X-Pagination"])
        assert (meta["total"], meta["total_capped"], meta["total_display"]) == (6, False, "6")
        r = client.get(f"/api/admin/v1/members?org_id={world.org('gB1').id}", headers=headers)
        meta = json.loads(r.headers["X-Pagination"])
        assert (meta["total"], meta["total_capped"], meta["total_display"]) == (3, False, "3")
    finally:
        app.config["LIST_COUNT_CAP"] = 10_000


def test_postgres_connections_plan_each_call_without_jit(ctx):
    """The app's (staff) connections prepare nothing on the server, so every execution is
    planned for its own parameters: PostgreSQL cannot switch to one generic plan shared
    between a city and a 12-member union. And no JIT. Both set once, in the engine's options."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL connection settings")
    probe = text("SELECT count(*) FROM org WHERE path >= :low AND path < :high")
    for n in range(12):  # psycopg's default would prepare it from the 6th run on
        db.session.execute(probe, {"low": f"/{n}/", "high": f"/{n}0"}).scalar()
    assert db.session.connection().connection.driver_connection.prepare_threshold is None
    prepared = db.session.execute(
        text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%FROM org%'")
    ).scalar()
    assert prepared == 0
    assert db.session.execute(text("SHOW jit")).scalar() == "off"
    assert db.session.execute(text("SHOW random_page_cost")).scalar() == "1.1"


def _pages_by_offset(client, url, headers, size):
    rows, page = [], 1
    while True:
        r = client.get(f"{url}&page_size={size}&page={page}", headers=headers)
        assert r.status_code == 200
        if not r.get_json():
            return rows
        rows.extend(m["id"] for m in r.get_json())
        page += 1


def _pages_by_cursor(client, url, headers, size):
    rows, cursor = [], None
    while True:
        r = client.get(f"{url}&page_size={size}" + (f"&cursor={cursor}" if cursor else ""),
                       headers=headers)  # fmt: skip
        assert r.status_code == 200, r.get_json()
        rows.extend(m["id"] for m in r.get_json())
        cursor = json.loads(r.headers["X-Pagination"]).get("next_cursor")
        if cursor is None:
            return rows


def test_keyset_pages_give_the_rows_of_offset_pages(client, ctx):
    world = build_world(members_per_union=7)
    headers = login(client, "city_admin")
    for url in (
        "/api/admin/v1/members?status=正常",
        f"/api/admin/v1/members?org_id={world.org('dA').id}",
        "/api/admin/v1/members?name=",
    ):
        by_offset = _pages_by_offset(client, url, headers, 4)
        assert len(by_offset) >= 14
        assert _pages_by_cursor(client, url, headers, 4) == by_offset, url
        assert _pages_by_cursor(client, url, headers, 7) == by_offset, url


def test_a_cursor_from_other_filters_or_a_forged_one_is_refused(client, ctx):
    world = build_world(members_per_union=4)
    headers = login(client, "city_admin")
    r = client.get("/api/admin/v1/members?page_size=3", headers=headers)
    cursor = json.loads(r.headers["X-Pagination"])["next_cursor"]
    r = client.get(f"/api/admin/v1/members?page_size=3&cursor={cursor}", headers=headers)
    assert r.status_code == 200 and len(r.get_json()) == 3
    # the same cursor with another union chosen: the rows after it would be another list's
    other = f"/api/admin/v1/members?page_size=3&org_id={world.org('dB').id}&cursor={cursor}"
    r = client.get(other, headers=headers)
    assert r.status_code == 422
    assert "筛选条件不符" in r.get_json()["message"]
    r = client.get("/api/admin/v1/members?page_size=3&cursor=bm90LWpzb24", headers=headers)
    assert r.status_code == 422 and "翻页标记无效" in r.get_json()["message"]


def test_audit_pages_by_cursor(client, ctx):
    world = build_world(members_per_union=2)
    headers = login(client, "city_admin")
    member = db.session.scalar(select(Member).where(Member.org_id == world.org("gA1").id))
    for n in range(9):
        r = client.patch(f"/api/admin/v1/members/{member.id}", json={"remark": f"改{n}"},
                         headers=headers)  # fmt: skip
        assert r.status_code == 200
    url = "/api/admin/v1/audit?action=member."
    by_offset = _pages_by_offset(client, url, headers, 4)
    assert len(by_offset) >= 9
    assert _pages_by_cursor(client, url, headers, 4) == by_offset


def test_a_grassroots_union_has_no_orgs_below_it(ctx):
    """What lets a grassroots scope read its rows by ``org_id = X`` (``in_subtree``): no org,
    of any level, can be made under a grassroots union."""
    from unioncard.accounts.models import StaffAccount
    from unioncard.accounts.scope import Scope
    from unioncard.errors import ValidationFailed
    from unioncard.orgs.services import create_org

    world = build_world(members_per_union=1)
    city_admin = db.session.scalar(
        select(StaffAccount).where(StaffAccount.username == "city_admin")
    )
    scope = Scope.for_account(city_admin)
    for level in OrgLevel:
        with pytest.raises(ValidationFailed) as refused:
            create_org(scope, {"parent_id": world.org("gA1").id, "level": level.value,
                               "name": f"{level.value}测试下级", "uscc": None})  # fmt: skip
        assert refused.value.message == f"基层工会下不能直接设立{level.value}"
    assert db.session.scalar(select(func.count()).select_from(Org).where(
        Org.parent_id == world.org("gA1").id)) == 0  # fmt: skip


def test_the_city_is_the_one_root_and_its_scope_needs_no_org_lookup(client, ctx):
    """What lets a city scope read every row by ``org_id IS NOT NULL`` (``in_subtree``): the
    city is the only org without a parent, and no org can be set up without one."""
    from sqlalchemy import event

    world = build_world(members_per_union=2)
    headers = login(client, "city_admin")
    r = client.post("/api/admin/v1/orgs", headers=headers,
                    json={"level": OrgLevel.DISTRICT.value, "name": "无上级的区局"})  # fmt: skip
    assert r.status_code == 422 and "parent_id" in r.get_json()["errors"]["json"]
    roots = db.session.scalars(select(Org.id).where(Org.parent_id.is_(None))).all()
    assert roots == [world.org("city").id]
    db.session.commit()
    db.session.expunge_all()  # as in a request of its own: nothing loaded yet
    seen = []
    record = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        r = client.get("/api/admin/v1/members?page_size=100", headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    everyone = db.session.scalar(select(func.count()).select_from(Member))
    assert r.status_code == 200 and len(r.get_json()) == everyone
    assert len(seen) == 2 and all("org.path >=" not in s for s in seen), seen  # login, page
