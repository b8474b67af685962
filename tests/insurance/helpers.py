"""Shared set-up for the insurance tests (helpers A and B): a plan, a campaign, carded members.

Stable API (helper B imports these):

- ``make_plan(world, year=2027, **kw) -> CoveragePlan`` — A类 26 = 13 + 13 + 0 by default.
- ``open_campaign(world, year=2027, **dates) -> Campaign`` — windows that contain TODAY
  (2026-11-22) for the unit window; every end a working day.
- ``give_cards(members, status=CardStatus.ACTIVATED, issued_at=...)`` — MemberCard rows.
- ``add_people(org, n, *, start_seq=100, birth="19880315", gender="男", id_type="身份证")``
  — members with chosen resident IDs (the registers sandbox answers by seq, see
  integrations/verification/sandbox.py); returns the Member rows.
- ``insurance_world`` fixture: ``build_world(0)`` + plan + campaign for 2027 + members:
  gA1: 4 carded + 2 without card; gA2: 3 carded; gB1: 2 carded.
  Answers an ``InsuranceWorld`` (world, plan, campaign, members by org key).
- ``freeze_today(time_machine, day)`` — the Shanghai "today" every service reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from tests.clock import freeze_today
from tests.world import TODAY, build_world, login  # noqa: F401  (re-exported)
from unioncard.cards.models import CardStatus, MemberCard
from unioncard.demo.people import Person
from unioncard.demo.seed import add_members
from unioncard.extensions import db
from unioncard.insurance.models import Campaign, CoveragePlan
from unioncard.members.idcard import resident_id_check_char
from unioncard.members.models import Member
from unioncard.security.crypto import keyring

INSURANCE = "/api/admin/v1/insurance"

DEFAULT_DATES = {
    "split_from": date(2026, 10, 26),
    "split_to": date(2026, 10, 30),
    "unit_from": date(2026, 10, 26),
    "unit_to": date(2026, 12, 25),
    "payment_deadline": date(2026, 12, 25),
    "district_from": date(2026, 12, 28),
    "district_to": date(2026, 12, 31),
}


def collective_url(org, path: str) -> str:
    """A grassroots union's 集中参保 address (stats, eligible, preview, submit, ...)."""
    return f"{INSURANCE}/unions/{org.id}/collective/{path}"


def make_plan(world, year: int = 2027, **kw) -> CoveragePlan:
    values = {
        "org_id": world.org("city").id,
        "year": year,
        "name": "A类会员专享基本保障",
        "fee": Decimal("26.00"),
        "half_year_fee": None,
        "city_share": Decimal("13.00"),
        "district_share": Decimal("13.00"),
        "grassroots_share": Decimal("0.00"),
        "individual_share": Decimal("13.00"),
        "valid_from": datetime(2020, 1, 1, tzinfo=UTC),
        "valid_to": datetime(2030, 12, 31, 15, 59, tzinfo=UTC),
        "active": True,
    }
    values.update(kw)
    plan = CoveragePlan(**values)
    db.session.add(plan)
    db.session.commit()
    return plan


def open_campaign(world, year: int = 2027, **dates) -> Campaign:
    values = dict(DEFAULT_DATES)
    if year != 2027:  # shift the default windows by whole years
        values = {k: v.replace(year=v.year + year - 2027) for k, v in values.items()}
    values.update(dates)
    campaign = Campaign(org_id=world.org("city").id, year=year, **values)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def rid(seq: int | str, birth: str = "19880315", region: str = "310110") -> str:
    first17 = region + birth + f"{int(seq):03d}"
    return first17 + resident_id_check_char(first17)


_counter = {"mobile": 0}


def add_people(
    org,
    n: int,
    *,
    start_seq: int = 100,
    birth: str = "19880315",
    gender: str | None = None,
    id_type: str = "身份证",
    region: str = "310110",
) -> list[Member]:
    """``n`` active members with resident IDs ``region + birth + seq`` (seq from start_seq).

    The gender follows the ID's seq parity unless given (odd: 男)."""
    people = []
    for i in range(n):
        seq = start_seq + i
        _counter["mobile"] += 1
        number = rid(seq, birth, region) if id_type == "身份证" else f"E{seq:08d}{org.id:02d}"
        people.append(
            Person(
                name=f"参保{org.id}{seq}",
                id_type=id_type,
                id_number=number,
                id_expiry=date(2036, 5, 31),
                country="中国" if id_type == "身份证" else "美国",
                gender=gender or ("男" if seq % 2 else "女"),
                birth_date=date(int(birth[:4]), int(birth[4:6]), int(birth[6:])),
                mobile=f"139{org.id:02d}{_counter['mobile'] % 1000000:06d}",
                work_address="上海市杨浦区黄兴路1599号",
                join_date=date(2020, 1, 1),
            )
        )
    add_members(org, people)
    db.session.commit()
    numbers = {p.id_number for p in people}
    ring = keyring()
    bidx = [ring.blind_index("id_number", x) for x in numbers]
    return list(
        db.session.scalars(
            select(Member).where(Member.id_number_bidx.in_(bidx)).order_by(Member.id)
        )
    )


def give_cards(
    members,
    status: CardStatus = CardStatus.ACTIVATED,
    *,
    issued_at: datetime | None = None,
) -> None:
    """Mark members as carded (MemberCard with a card number); ``issued_at`` is the bank's
    feedback time (新办卡 looks at it), default 2025-06-01."""
    ring = keyring()
    at = issued_at or datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
    rows = []
    for m in members:
        card_no = f"6231{m.id:012d}"
        rows.append(
            {
                "member_id": m.id,
                "org_id": m.org_id,
                "status": status,
                "card_no": card_no,
                "card_no_bidx": ring.blind_index("card_no", card_no),
                "applied_at": at,
                "feedback_at": at,
            }
        )
    if rows:
        db.session.execute(insert(MemberCard), rows)
    db.session.commit()


@dataclass
class InsuranceWorld:
    world: object
    plan: CoveragePlan
    campaign: Campaign
    members: dict = field(default_factory=dict)  # org key -> [Member]
    uncarded: dict = field(default_factory=dict)  # org key -> [Member]

    def org(self, key):
        return self.world.org(key)


def build_insurance_world() -> InsuranceWorld:
    world = build_world(members_per_union=0)
    plan = make_plan(world)
    campaign = open_campaign(world)
    iw = InsuranceWorld(world, plan, campaign)
    for key, carded, bare, seq in (("gA1", 4, 2, 100), ("gA2", 3, 0, 200), ("gB1", 2, 0, 300)):
        people = add_people(world.org(key), carded + bare, start_seq=seq)
        give_cards(people[:carded])
        iw.members[key] = people[:carded]
        iw.uncarded[key] = people[carded:]
    return iw


@pytest.fixture()
def insurance_world(ctx, time_machine) -> InsuranceWorld:
    freeze_today(time_machine, TODAY)
    return build_insurance_world()
