"""What a member sees of their insurance in the mini-program: the plans open to them this
year with what they would pay, their enrolments with coverage and payment, their payouts.

Coverage counts only once an enrolment is 已完成 (paid and approved): an enrolment waiting
for payment or review shows its planned dates with ``covered`` false.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..insurance import enrolling, rules
from ..insurance.models import CoveragePlan, Enrolment, EnrolmentStatus, Payout
from ..members import idcard
from ..models_base import utcnow
from ..selfservice.models import MemberUser
from .models import PaymentOrder, PaymentRefund
from .orders import enrol_and_pay, member_of


def open_plans(user: MemberUser, year: int | None = None) -> dict:
    """GET /insurance/plans: ``{year, coverage_start, coverage_end, plans: […]}``. Only the
    instant year (from tomorrow to 31 December) is open; a union that has fixed its plan for
    the year offers only that one."""
    member = member_of(user)
    today = idcard.today_in_china()
    current = rules.instant_year(today)
    year = year or current
    coverage = rules.instant_coverage(today)
    answer = {
        "year": year,
        "coverage_start": coverage.start if year == current else None,
        "coverage_end": coverage.end if year == current else None,
        "plans": [],
    }
    if year != current:
        return answer
    now = utcnow()
    fixed = enrolling.union_plan(member.org_id, year)
    stmt = select(CoveragePlan).where(CoveragePlan.year == year, CoveragePlan.active.is_(True))
    for plan in db.session.scalars(stmt.order_by(CoveragePlan.id)):
        if fixed is not None and plan.id != fixed.id:
            continue
        if not (_aware(plan.valid_from) <= now <= _aware(plan.valid_to)):
            continue
        own = rules.instant_coverage(today, plan)
        shares = rules.individual_shares(plan, half_year=own.half_year)
        answer["plans"].append(
            {
                "id": plan.id,
                "name": plan.name,
                "year": plan.year,
                "fee": shares.fee,
                "payable": shares.individual,  # what the member pays by WeChat Pay
                "city_share": shares.city,
                "half_year": own.half_year,
                "coverage_start": own.start,
                "coverage_end": own.end,
            }
        )
    return answer


def _aware(value: datetime) -> datetime:
    from ..models_base import as_aware

    return as_aware(value)


def enrolments(user: MemberUser):
    """GET /insurance/enrolments: a ``select`` of (Enrolment, plan name, order, refund)."""
    member_id = user.member_id if user.member_id is not None else -1
    return (
        select(Enrolment, CoveragePlan.name, PaymentOrder, PaymentRefund)
        .join(CoveragePlan, CoveragePlan.id == Enrolment.plan_id)
        .outerjoin(PaymentOrder, PaymentOrder.enrolment_id == Enrolment.id)
        .outerjoin(PaymentRefund, PaymentRefund.order_id == PaymentOrder.id)
        .where(Enrolment.member_id == member_id)
        .order_by(Enrolment.year.desc(), Enrolment.id.desc())
    )


def present_enrolment(row) -> dict:
    enrolment, plan_name, order, refund = row
    today = idcard.today_in_china()
    covered = enrolment.status == EnrolmentStatus.COMPLETED
    return {
        "id": enrolment.id,
        "year": enrolment.year,
        "plan_id": enrolment.plan_id,
        "plan_name": plan_name,
        "kind": enrolment.kind.value,
        "status": enrolment.status.value,
        "start_date": enrolment.start_date,
        "end_date": enrolment.end_date,
        "half_year": enrolment.half_year,
        "fee": enrolment.fee,
        "individual_share": enrolment.individual_share,
        "covered": covered,
        "in_force": covered and enrolment.start_date <= today <= enrolment.end_date,
        "reason": enrolment.failed_reason,
        "payment_status": order.status.value if order else None,
        "paid_at": order.paid_at if order else None,
        "refund_status": refund.status.value if refund else None,
        "refunded_at": refund.succeeded_at if refund else None,
    }


def enrol(user: MemberUser, plan_id: int, year: int) -> dict:
    """POST /insurance/enrolments: the enrolment as listed, with its order and the
    ``wx.requestPayment`` parameters."""
    answer = enrol_and_pay(user, plan_id, year)
    enrolment, order = answer["enrolment"], answer["order"]
    row = (enrolment, enrolment.plan.name, order, None)
    return present_enrolment(row) | {
        "order": order,
        "payment": answer["payment"],
        "pay_sheet_url": answer.get("pay_sheet_url"),
    }


def payouts(user: MemberUser):
    """GET /insurance/payouts: a ``select`` of the member's payouts, newest first."""
    member_id = user.member_id if user.member_id is not None else -1
    return (
        select(Payout)
        .where(Payout.member_id == member_id)
        .order_by(Payout.paid_on.desc(), Payout.id.desc())
    )
