"""The 会员卡参保可参保名单 over HTTP: retirement warnings by birth date, and the list and the
submission picking the same members for every card status."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.insurance.helpers import add_people, give_cards, login
from tests.insurance.helpers import collective_url as url
from unioncard.cards.models import CardStatus
from unioncard.extensions import db
from unioncard.insurance import enrolling, rules
from unioncard.members.models import Member


def test_eligible_list_warns_of_retirement_by_birth_date(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    # a man born 1966-07-31 reaches 60y5m on 2026-12-31; one born 1966-08-01 on 2027-01-01
    old = add_people(g, 1, start_seq=161, birth="19660731", gender="男")
    young = add_people(g, 1, start_seq=163, birth="19660801", gender="男")
    give_cards(old + young)
    h = login(client, "ga1_operator")
    listed = {
        m["member_id"]: m for m in client.get(url(g, "eligible?year=2027"), headers=h).get_json()
    }
    assert listed[old[0].id]["retirement_warning"] is True
    assert listed[young[0].id]["retirement_warning"] is False
    row = listed[young[0].id]
    assert (row["start_date"], row["end_date"], row["coverage"]) == (
        "2027-01-01",
        "2027-12-31",
        "全年",
    )
    assert row["card_no"].startswith("6231") and "*" in row["card_no"]
    warnings = client.get(url(g, "retirement-warnings?year=2027"), headers=h).get_json()
    assert [m["member_id"] for m in warnings] == [old[0].id]
    only = client.get(url(g, "eligible?year=2027&retirement_warning=true"), headers=h).get_json()
    assert [m["member_id"] for m in only] == [old[0].id]
    # the register reports her retired before 1 January: out of the lists altogether
    old[0].retired_on = date(2026, 12, 31)
    db.session.commit()
    assert client.get(url(g, "retirement-warnings?year=2027"), headers=h).get_json() == []


def test_eligible_list_and_submission_agree_on_every_card_status(client, insurance_world):
    # the list tests its joined card's status, the submission an EXISTS: the same members
    iw = insurance_world
    g = iw.org("gA1")
    by_status = {}
    for i, status in enumerate(CardStatus):
        people = add_people(g, 1, start_seq=170 + 2 * i)
        give_cards(people, status)
        by_status[status] = people[0].id
    h = login(client, "ga1_operator")
    r = client.get(url(g, "eligible?year=2027&page_size=100"), headers=h)
    assert r.status_code == 200
    listed = {m["member_id"] for m in r.get_json()}
    carded = {by_status[s] for s in rules.CARDED}
    assert carded and carded <= listed
    assert not listed & (set(by_status.values()) - carded)
    db.session.rollback()
    submitted = set(
        db.session.scalars(select(Member.id).where(*enrolling.card_eligible(g.id, 2027)))
    )
    assert listed == submitted
    assert r.headers["X-Pagination"] and f'"total": {len(listed)}' in r.headers["X-Pagination"]
