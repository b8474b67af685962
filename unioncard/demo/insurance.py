"""Demo insurance data: the plans of seed 002, this year's and next year's, the collective
campaign for next year with its windows open around today, and cards in members' hands so
that both channels of 集中参保 have people to enrol."""

from __future__ import annotations

import random
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import select

from ..cards.log import BANK
from ..cards.models import CardLogEntry, CardStatus, MemberCard
from ..extensions import db
from ..insurance.models import Campaign, CoveragePlan
from ..members.models import InsuranceStatus, Member, MemberStatus
from ..models_base import SHANGHAI
from ..orgs.models import Org
from ..security.crypto import keyring
from ..workdays import is_workday

PLAN_A = "A类会员专享基本保障"


def _workday_on_or_after(day: date) -> date:
    while not is_workday(day):
        day = day.fromordinal(day.toordinal() + 1)
    return day


def _day(today: date, offset: int) -> date:
    return today.fromordinal(today.toordinal() + offset)


def seed_plans(city: Org, today: date) -> dict[int, CoveragePlan]:
    """Plan A for this year (instant and personal enrolment) and for next year (collective)."""
    plans = {}
    for year in (today.year, today.year + 1):
        plan = CoveragePlan(
            org_id=city.id,
            year=year,
            name=PLAN_A,
            fee=Decimal("26.00"),
            half_year_fee=Decimal("13.00"),
            city_share=Decimal("13.00"),
            district_share=Decimal("13.00"),
            grassroots_share=Decimal("0.00"),
            individual_share=Decimal("13.00"),
            valid_from=datetime(year, 1, 1, tzinfo=SHANGHAI),
            valid_to=datetime.combine(date(year, 12, 31), time(23, 59), tzinfo=SHANGHAI),
            updated_by_name="职保中心经办",
        )
        db.session.add(plan)
        plans[year] = plan
    db.session.flush()
    return plans


def seed_campaign(city: Org, today: date) -> Campaign:
    """Next year's 集中参保, its windows placed so that every step can be tried today:
    the district window is already open (in the real calendar it follows the payment
    deadline, 12-26 to 12-31, as in seed 002)."""
    unit_to = _workday_on_or_after(_day(today, 21))
    campaign = Campaign(
        org_id=city.id,
        year=today.year + 1,
        split_from=_day(today, -28),
        split_to=_workday_on_or_after(_day(today, 7)),
        unit_from=_day(today, -28),
        unit_to=unit_to,
        payment_deadline=unit_to,
        district_from=_day(today, -1),
        district_to=_workday_on_or_after(_day(today, 39)),
        opened_by_name="职保中心经办",
    )
    db.session.add(campaign)
    db.session.flush()
    return campaign


def give_cards(orgs: list[Org], *, share: float, today: date, seed: int = 2026) -> int:
    """Cards already handed out (已发放) to ``share`` of each union's active members; three
    members per union wait for 人保状态 confirmation (待确认)."""
    rng = random.Random(seed)
    ring = keyring()
    handed = datetime.combine(_day(today, -200), time(10), tzinfo=SHANGHAI)
    given = 0
    for org in orgs:
        members = db.session.scalars(
            select(Member)
            .where(Member.org_id == org.id, Member.status == MemberStatus.ACTIVE)
            .order_by(Member.id)
        ).all()
        # the 演示… members are the card-issuance cases: they keep their cards to apply for
        carded = [m for m in members if rng.random() < share and not m.name.startswith("演示")]
        for member in carded:
            card_no = "6231" + "".join(str(rng.randrange(10)) for _ in range(12))
            db.session.add(
                MemberCard(
                    member_id=member.id,
                    org_id=org.id,
                    status=CardStatus.HANDED_OUT,
                    card_no=card_no,
                    card_no_bidx=ring.blind_index("card_no", card_no),
                    applied_at=handed,
                    feedback_at=handed,
                    handed_out_at=handed,
                )
            )
        for member in carded[:3]:
            member.insurance_status = InsuranceStatus.TO_CONFIRM
        given += len(carded)
    db.session.flush()
    return given


def awaiting_hand_out(org: Org, today: date) -> list[int]:
    """Two of the union's cards delivered to the union (已送达单位) and not yet handed out:
    one yesterday, one 30 days ago, past the working-day limit (``GET /cards/overdue``).
    They are the union's 4th and 5th carded members (the first three wait for 人保 status).
    Returns their member ids, recent first (fewer in a demo too small to have them)."""
    cards = db.session.scalars(
        select(MemberCard)
        .where(MemberCard.org_id == org.id, MemberCard.status == CardStatus.HANDED_OUT)
        .order_by(MemberCard.member_id)
        .offset(3)
        .limit(2)
    ).all()
    for card, days_ago in zip(cards, (1, 30), strict=False):  # a small demo has fewer cards
        card.status, card.handed_out_at = CardStatus.DELIVERED, None
        card.delivered_at = datetime.combine(_day(today, -days_ago), time(15), tzinfo=SHANGHAI)
        db.session.add(
            CardLogEntry(
                member_id=card.member_id,
                at=card.delivered_at,
                actor=BANK,
                action="已送达单位",
                from_status=CardStatus.PRODUCED.value,
                to_status=CardStatus.DELIVERED.value,
            )
        )
    db.session.flush()
    return [card.member_id for card in cards]


def seed_insurance(city: Org, carded_unions: list[Org], today: date) -> None:
    seed_plans(city, today)
    seed_campaign(city, today)
    give_cards(carded_unions, share=0.7, today=today)
    awaiting_hand_out(carded_unions[0], today)
