"""Insurance rules as tables: shares (Decimal), coverage dates, eligibility (and the SQL lists
that mirror it), retirement by birth date, windows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from tests.insurance.helpers import add_people, give_cards
from tests.world import build_world
from unioncard.cards.models import CardStatus
from unioncard.errors import Conflict
from unioncard.extensions import db
from unioncard.insurance import enrolling, rules
from unioncard.insurance.models import (
    CollectiveConfirmation,
    CoveragePlan,
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
)
from unioncard.insurance.retirement import category_for, retirement_date
from unioncard.members.models import Member

D = Decimal


def plan(fee="26", city="13", district="13", grassroots="0", individual="13", half=None):
    return SimpleNamespace(
        fee=D(fee),
        city_share=D(city),
        district_share=D(district),
        grassroots_share=D(grassroots),
        individual_share=D(individual),
        half_year_fee=D(half) if half is not None else None,
    )


# --- shares ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "p, split, half, expected",
    [
        (plan(), None, False, ("26.00", "13.00", "13.00", "0.00")),
        (plan(), SimpleNamespace(district_share=D("10"), grassroots_share=D("3")), False,
         ("26.00", "13.00", "10.00", "3.00")),
        (plan("0.3", "0.1", "0.2", "0"), None, False, ("0.30", "0.10", "0.20", "0.00")),
        # half year: city and grassroots scaled half-up, district takes the remainder
        (plan(half="13"), None, True, ("13.00", "6.50", "6.50", "0.00")),
        (plan("25", "12.5", "7.5", "5", half="10"), None, True, ("10.00", "5.00", "3.00", "2.00")),
        (plan("10", "3.33", "3.33", "3.34", half="5"), None, True,
         ("5.00", "1.67", "1.66", "1.67")),
        # a half-year flag without a half-year fee changes nothing
        (plan(), None, True, ("26.00", "13.00", "13.00", "0.00")),
    ],
)  # fmt: skip
def test_plan_shares(p, split, half, expected):
    s = rules.plan_shares(p, split, half_year=half)
    assert (str(s.fee), str(s.city), str(s.district), str(s.grassroots)) == expected
    assert s.fee == s.city + s.district + s.grassroots + s.individual
    assert isinstance(s.fee, Decimal)


def test_totals_stay_exact_in_decimal():
    s = rules.plan_shares(plan("0.3", "0.1", "0.2", "0"))
    t = s.times(3)
    assert t.fee == D("0.90") and t.city == D("0.30") and t.district == D("0.60")
    assert 0.1 + 0.2 != 0.3  # what floats would have done
    big = rules.plan_shares(plan()).times(50_000)
    assert big.fee == D("1300000.00") and big.city + big.district + big.grassroots == big.fee


def test_shares_refuse_a_wrong_sum():
    with pytest.raises(ValueError):
        rules.Shares(D("26"), D("13"), D("13"), D("0.01"))


@pytest.mark.parametrize(
    "p, half, expected",
    [
        (plan(), False, ("26.00", "13.00", "13.00")),
        (plan(half="13"), True, ("13.00", "6.50", "6.50")),
        # the half-year fee paid exactly: the city's share to the cent, the member the rest
        (
            plan(fee="25.01", city="12.51", district="12.5", individual="12.50", half="12.51"),
            True,
            ("12.51", "6.26", "6.25"),
        ),
    ],
)
def test_individual_shares(p, half, expected):
    s = rules.individual_shares(p, half_year=half)
    assert (str(s.fee), str(s.city), str(s.individual)) == expected
    assert s.district == s.grassroots == D("0")


@pytest.mark.parametrize(
    "fee, city, district, grassroots, individual, half, field",
    [
        ("26", "13", "13", "0", "13", None, None),
        ("26", "13", "13", "0.01", "13", None, "fee"),
        ("0.3", "0.1", "0.2", "0", "0.2", None, None),
        ("26", "13", "13", "-0", "13", None, None),
        ("26", "13", "14", "-1", "13", None, "grassroots_share"),
        ("26.001", "13", "13.001", "0", "13", None, "fee"),
        ("0", "0", "0", "0", "0", None, "fee"),
        ("26", "13", "13", "0", "13", "27", "half_year_fee"),
        ("26", "13", "13", "0", "13", "13", None),
        ("26", "13", "13", "0", "20", None, "individual_share"),  # alone: fee - city = 13
        ("30", "13", "10", "7", "17", None, None),
    ],
)
def test_plan_amount_checks(fee, city, district, grassroots, individual, half, field):
    errors = rules.check_plan_amounts(
        D(fee), D(city), D(district), D(grassroots), D(individual), D(half) if half else None
    )
    assert (next(iter(errors)) if errors else None) == field
    for message in errors.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


@pytest.mark.parametrize(
    "district, grassroots, ok",
    [("13", "0", True), ("10", "3", True), ("0", "13", True), ("10", "2.99", False),
     ("14", "-1", False), ("12.995", "0.005", False)],
)  # fmt: skip
def test_district_split_keeps_the_city_share(district, grassroots, ok):
    errors = rules.check_split(plan(), D(district), D(grassroots))
    assert (not errors) is ok
    if not ok:
        assert "元" in next(iter(errors.values())) or "金额" in next(iter(errors.values()))


# --- coverage dates --------------------------------------------------------------------
def test_collective_coverage_is_the_whole_year():
    c = rules.collective_coverage(2027)
    assert (c.start, c.end, c.half_year, c.label) == (
        date(2027, 1, 1),
        date(2027, 12, 31),
        False,
        "全年",
    )


@pytest.mark.parametrize(
    "today, half_fee, start, end, half",
    [
        (date(2026, 11, 22), "13", date(2026, 11, 23), date(2026, 12, 31), True),
        (date(2026, 11, 22), None, date(2026, 11, 23), date(2026, 12, 31), False),
        (date(2026, 6, 29), "13", date(2026, 6, 30), date(2026, 12, 31), False),
        (date(2026, 6, 30), "13", date(2026, 7, 1), date(2026, 12, 31), True),
        (date(2026, 12, 31), "13", date(2027, 1, 1), date(2027, 12, 31), False),
        (date(2028, 2, 28), "13", date(2028, 2, 29), date(2028, 12, 31), False),
    ],
)
def test_instant_coverage(today, half_fee, start, end, half):
    c = rules.instant_coverage(today, plan(half=half_fee))
    assert (c.start, c.end, c.half_year) == (start, end, half)
    assert rules.instant_year(today) == start.year


# --- eligibility -----------------------------------------------------------------------
def snap(**kw):
    values = {"status": "正常", "id_type": "身份证", "card_status": "已激活"}
    values.update(kw)
    return rules.MemberSnapshot(**values)


CARD_CASES = [
    ("active with card", {}, True, "可参保"),
    ("card produced", {"card_status": "已制卡"}, True, "可参保"),
    ("card issued", {"card_status": "已办卡"}, True, "可参保"),
    ("card delivered", {"card_status": "已送达单位"}, True, "可参保"),
    ("card handed out", {"card_status": "已发放"}, True, "可参保"),
    ("no card", {"card_status": None}, False, "尚未持有"),
    ("card pending", {"card_status": "待办中"}, False, "尚未持有"),
    ("card failed", {"card_status": "办卡失败"}, False, "尚未持有"),
    ("dead", {"status": "死亡"}, False, "死亡"),
    ("retired status", {"status": "退休"}, False, "退休"),
    ("left", {"status": "离职"}, False, "离职"),
    ("register retired 12-31", {"retired_on": date(2026, 12, 31)}, False, "退休"),
    ("register retired 1-1 (not before)", {"retired_on": date(2027, 1, 1)}, True, "可参保"),
    ("already enrolled", {"enrolled": True}, False, "已参加2027年度"),
    ("to confirm", {"insurance_status": "待确认"}, False, "待确认"),
    ("to confirm, confirmed", {"insurance_status": "待确认", "confirmed": True}, True, "可参保"),
    ("passport with card", {"id_type": "护照"}, True, "可参保"),
]


@pytest.mark.parametrize("label, kw, ok, reason", CARD_CASES, ids=[c[0] for c in CARD_CASES])
def test_card_eligibility(label, kw, ok, reason):
    eligible, why = rules.card_eligibility(snap(**kw), 2027)
    assert eligible is ok and reason in why


SOCIAL_CASES = [
    ("not asked yet", {}, "待校验", "尚未获取"),
    ("normal, employed", {"social_card_status": "正常", "employment_status": "在职"}, "待提交", ""),
    ("sealed", {"social_card_status": "封存", "employment_status": "在职"}, "待校验", "封存"),
    ("unemployed", {"social_card_status": "正常", "employment_status": "不在职"}, "待校验", "不在职"),
    ("to confirm", {"social_card_status": "正常", "employment_status": "在职",
                    "insurance_status": "待确认"}, "待校验", "待确认"),
    ("to confirm, confirmed", {"social_card_status": "正常", "employment_status": "在职",
                               "insurance_status": "待确认", "confirmed": True}, "待提交", ""),
    ("passport", {"id_type": "护照"}, None, "身份证"),
    ("has a card", {"card_status": "已激活"}, None, "会员卡参保"),
    ("enrolled", {"enrolled": True}, None, "已参加"),
    ("retired before", {"retired_on": date(2026, 8, 1), "social_card_status": "正常",
                        "employment_status": "在职"}, None, "退休"),
]  # fmt: skip


@pytest.mark.parametrize("label, kw, state, reason", SOCIAL_CASES, ids=[c[0] for c in SOCIAL_CASES])
def test_social_state(label, kw, state, reason):
    kw = {"card_status": None} | kw
    got, why = rules.social_state(snap(**kw), 2027)
    assert got == state and reason in why


def _member_from(org, seq, kw):
    """A real member (and card, enrolment, confirmation) for one table row."""
    (m,) = add_people(org, 1, start_seq=seq)
    m.status = kw.get("status", "正常")
    m.id_type = kw.get("id_type", "身份证")
    m.insurance_status = kw.get("insurance_status", "正常")
    m.social_card_status = kw.get("social_card_status")
    m.employment_status = kw.get("employment_status")
    m.retired_on = kw.get("retired_on")
    db.session.commit()
    card = kw.get("card_status", "已激活")
    if card:
        give_cards([m], CardStatus(card))
    if kw.get("confirmed"):
        db.session.add(CollectiveConfirmation(member_id=m.id, org_id=org.id, year=2027))
    if kw.get("enrolled"):
        p = db.session.scalar(select(CoveragePlan))
        db.session.add(
            Enrolment(member_id=m.id, holding_member_id=m.id, org_id=org.id, year=2027,
                      plan_id=p.id, kind=EnrolmentKind.CARD, status=EnrolmentStatus.SUBMITTED,
                      start_date=date(2027, 1, 1), end_date=date(2027, 12, 31), fee=26,
                      city_share=13, district_share=13, grassroots_share=0)
        )  # fmt: skip
    db.session.commit()
    return m


def test_sql_lists_agree_with_the_rules(ctx):
    """Every table row above, as a real member: the SQL lists hold exactly those the Python
    rules accept (one source of truth, checked both ways)."""
    from tests.insurance.helpers import make_plan

    world = build_world(members_per_union=0)
    make_plan(world)
    org = world.org("gA1")
    expect_card, expect_submit, expect_check = set(), set(), set()
    rows = [kw for _l, kw, _o, _r in CARD_CASES] + [
        {"card_status": None} | kw for _l, kw, _s, _r in SOCIAL_CASES
    ]
    for i, kw in enumerate(rows):
        m = _member_from(org, 100 + i, kw)
        if rules.card_eligibility(snap(**kw), 2027)[0]:
            expect_card.add(m.id)
        state = rules.social_state(snap(**kw), 2027)[0]
        {"待提交": expect_submit, "待校验": expect_check}.get(state, set()).add(m.id)
    assert expect_card and expect_submit and expect_check

    def ids(conds):
        return set(db.session.scalars(select(Member.id).where(*conds)))

    assert ids(enrolling.card_eligible(org.id, 2027)) == expect_card
    assert ids(enrolling.social_to_submit(org.id, 2027)) == expect_submit
    assert ids(enrolling.social_to_check(org.id, 2027)) == expect_check


# --- retirement by birth date ----------------------------------------------------------
@pytest.mark.parametrize("gender", ["男", "女"])
@pytest.mark.parametrize("year", [2025, 2026, 2027, 2030])
def test_birth_cutoff_matches_retirement_dates(gender, year):
    cutoff = date(year, 1, 1)
    last = rules.latest_birth_retiring_before(gender, cutoff)
    category = category_for(gender)
    assert retirement_date(last, category) < cutoff
    assert retirement_date(last + timedelta(days=1), category) >= cutoff
    # and every birth day of the three years around the cutoff agrees with the per-person rule
    day = last - timedelta(days=540)
    while day < last + timedelta(days=540):
        assert (day <= last) == rules.reaches_retirement_before(day, gender, cutoff)
        day += timedelta(days=1)


def test_birth_cutoff_examples():
    # a man born 1966-07-31 reaches 60y5m on 2026-12-31 (retiring in 2026), one born
    # 1966-08-01 on 2027-01-01 (not "before 1 January")
    assert rules.latest_birth_retiring_before("男", date(2027, 1, 1)) == date(1966, 7, 31)
    assert rules.reaches_retirement_before(date(1966, 7, 31), "男", date(2027, 1, 1))
    assert not rules.reaches_retirement_before(date(1966, 8, 1), "男", date(2027, 1, 1))


# --- windows ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "day, inside",
    [(date(2025, 10, 24), False), (date(2025, 10, 25), True), (date(2025, 12, 25), True),
     (date(2025, 12, 26), False)],
)  # fmt: skip
def test_windows_are_inclusive(day, inside):
    start, end = date(2025, 10, 25), date(2025, 12, 25)
    assert rules.in_window(day, start, end) is inside
    if inside:
        rules.require_window(day, start, end, "集中参保提交")
    else:
        with pytest.raises(Conflict) as info:
            rules.require_window(day, start, end, "集中参保提交")
        assert info.value.message == (
            "集中参保提交时间为2025年10月25日至2025年12月25日，当前不在提交时间内"
        )
