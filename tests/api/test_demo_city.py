"""`flask demo city`: a whole city through the bulk paths, at a size a test can afford."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from tests.world import PASSWORD, login
from unioncard.audit.models import AuditRecord
from unioncard.cards.models import MemberCard
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.orgs.models import Org, OrgLevel


def test_demo_city_builds_every_level_and_each_admin_sees_its_subtree(
    app, client, ctx, monkeypatch
):
    monkeypatch.setitem(app.config, "DEMO_PASSWORD", PASSWORD)
    result = app.test_cli_runner().invoke(args=["demo", "city", "--members", "600"])
    assert result.exit_code == 0, result.output
    assert "已建成演示城市：600 名会员" in result.output

    count = db.session.scalar
    assert count(select(func.count()).select_from(Member)) == 600
    assert count(select(func.count()).select_from(AuditRecord)) == 600
    assert 300 < count(select(func.count()).select_from(MemberCard)) < 520
    levels = dict(db.session.execute(select(Org.level, func.count()).group_by(Org.level)).all())
    assert levels == {
        OrgLevel.CITY: 1,
        OrgLevel.DISTRICT: 16,
        OrgLevel.SECONDARY: 200,
        OrgLevel.GRASSROOTS: 30,
    }
    # every member has a number of its own district, and every path ends in its own id
    assert count(select(func.count(func.distinct(Member.member_no)))) == 600
    for org in db.session.scalars(select(Org)):
        assert org.path.endswith(f"/{org.id}/")

    totals = {}
    for level in ("city", "district", "secondary", "biggest", "small"):
        headers = login(client, f"city_{level}", PASSWORD)
        r = client.get("/api/admin/v1/members?page_size=1", headers=headers)
        assert r.status_code == 200
        totals[level] = json.loads(r.headers["X-Pagination"])["total"]
    assert totals["city"] == 600 and totals["small"] == 12
    assert totals["city"] > totals["district"] > totals["secondary"] >= totals["biggest"] > 12

    # a second city in the same database is refused, and nothing is written
    again = app.test_cli_runner().invoke(args=["demo", "city", "--members", "600"])
    assert again.exit_code != 0 and "演示城市已存在" in again.output
    assert count(select(func.count()).select_from(Member)) == 600
