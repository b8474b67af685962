"""A small org tree with accounts and resources in every org, for scope and API tests.

city (市总工会)
├── dA (区局, code 101)
│   ├── sA (二级工会)
│   │   └── gA1 (基层工会)
│   └── gA2 (基层工会)
└── dB (区局, code 102)
    └── gB1 (基层工会)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from unioncard.accounts.models import Role
from unioncard.demo.people import make_people
from unioncard.demo.seed import add_account, add_members, add_org
from unioncard.extensions import db
from unioncard.members.models import Member
from unioncard.orgs.models import BankBranch, OrgLevel, RelatedEnterprise

PASSWORD = "Passw0rd!x"
TODAY = date(2026, 11, 22)


@dataclass
class World:
    orgs: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    people: list = field(default_factory=list)

    def org(self, key):
        return self.orgs[key]


def build_world(members_per_union: int = 3) -> World:
    rng = random.Random(7)
    w = World()
    city = add_org("测试市总工会", OrgLevel.CITY, rng=rng, unit_type="34")
    d_a = add_org("测试甲区总工会", OrgLevel.DISTRICT, city, rng=rng, district_code="101")
    d_b = add_org("测试乙区总工会", OrgLevel.DISTRICT, city, rng=rng, district_code="102")
    s_a = add_org("测试甲区园区工会联合会", OrgLevel.SECONDARY, d_a, rng=rng)
    g_a1 = add_org("测试甲一公司工会委员会", OrgLevel.GRASSROOTS, s_a, rng=rng, unit_type="60")
    g_a2 = add_org(
        "测试甲二公司工会委员会",
        OrgLevel.GRASSROOTS,
        d_a,
        rng=rng,
        unit_type="60",
        accepts_individuals=True,
    )
    g_b1 = add_org("测试乙一公司工会委员会", OrgLevel.GRASSROOTS, d_b, rng=rng, unit_type="34")
    w.orgs = {"city": city, "dA": d_a, "dB": d_b, "sA": s_a, "gA1": g_a1, "gA2": g_a2, "gB1": g_b1}
    for key, org in w.orgs.items():
        for role in Role:
            username = f"{key}_{role.value}".lower()
            w.accounts[username] = add_account(username, f"{key}{role.value}", org, role, PASSWORD)
        db.session.add(
            BankBranch(
                org_id=org.id,
                code=f"B{org.id:04d}",
                name=f"{org.name}网点",
                address="上海市某区某路1号",
            )
        )
        db.session.add(RelatedEnterprise(org_id=org.id, name=f"{org.name}关联企业"))
    w.accounts["noorg_admin"] = add_account(
        "noorg_admin", "无组织管理员", None, Role.ADMIN, PASSWORD
    )
    people = make_people(members_per_union * 3, seed=11, today=TODAY)
    w.people = people
    for i, key in enumerate(("gA1", "gA2", "gB1")):
        add_members(w.orgs[key], people[i * members_per_union : (i + 1) * members_per_union])
    db.session.commit()
    return w


def login(client, username: str, password: str = PASSWORD) -> dict:
    response = client.post(
        "/api/admin/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def member_of(org) -> Member:
    return db.session.query(Member).filter_by(org_id=org.id).order_by(Member.id).first()


def autocommit(connection) -> bool:
    """Whether a SQLAlchemy connection runs without a transaction (a read-only request's)."""
    raw = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        return raw.isolation_level is None
    return raw.autocommit
