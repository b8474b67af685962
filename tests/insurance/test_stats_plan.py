"""The statistics line's 待确认 count asks the cheap questions first (PostgreSQL's own plan).

Inside the statement's CASE PostgreSQL evaluates the conditions in the order written. A
member who is not 待确认 must not cost a look-up of his enrolment: at a 50,000-member union
those look-ups were about a third of the statement's time."""

from __future__ import annotations

import pytest

from tests.conftest import PG_URL
from tests.statements import executed
from unioncard.extensions import db
from unioncard.insurance import collective
from unioncard.members.models import InsuranceStatus, MemberStatus

pytestmark = pytest.mark.skipif(not PG_URL, reason="reads PostgreSQL's own executed plan")


def _enrolment_lookups(org_id: int, year: int) -> int:
    """How many times the statistics statement, as the service runs it, looked up a
    member's enrolment (EXPLAIN ANALYZE of the very statement and parameters executed)."""
    with executed() as seen:
        collective._stats(org_id, year)
    statement, parameters = seen[-1]
    plan = (
        db.session.connection()
        .exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
        .scalar()[0]["Plan"]
    )
    return sum(
        node.get("Actual Loops", 0)
        for node in _nodes(plan)
        if node.get("Relation Name") == "enrolment" and node.get("Parent Relationship") == "SubPlan"
    )


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_no_member_to_confirm_no_enrolment_lookup(insurance_world):
    iw = insurance_world
    org = iw.org("gA1")
    members = iw.members["gA1"] + iw.uncarded["gA1"]
    assert all(m.status == MemberStatus.ACTIVE for m in members)
    for m in members:
        m.insurance_status = InsuranceStatus.NORMAL
    db.session.commit()
    assert collective._stats(org.id, 2027)["to_confirm"] == 0
    assert _enrolment_lookups(org.id, 2027) == 0

    # one member 待确认: his enrolment, and only his, is looked up
    members[0].insurance_status = InsuranceStatus.TO_CONFIRM
    db.session.commit()
    assert collective._stats(org.id, 2027)["to_confirm"] == 1
    assert _enrolment_lookups(org.id, 2027) == 1
