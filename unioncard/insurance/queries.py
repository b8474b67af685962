"""保障信息查询 and 给付信息查询: coverage and payout records by member, unit, year.

A member is found by name (contains) or by ID number (exact, through the blind index: the
encrypted number is never searched). Answers mask the ID number (the schema does).
"""

from __future__ import annotations

from sqlalchemy import select

from ..accounts.scope import Scope
from ..extensions import db
from ..members.idcard import normalise_id_number, normalise_text
from ..members.models import Member
from ..members.search import name_matches
from ..orgs.models import Org, in_subtree
from ..security.crypto import keyring
from .models import CoveragePlan, Enrolment, EnrolmentKind, EnrolmentStatus, InsuranceBatch, Payout


def _member_filters(stmt, f: dict):
    if f.get("name"):
        stmt = stmt.where(name_matches(f["name"]))
    if f.get("id_number"):
        number = normalise_id_number(f["id_number"])
        ring = keyring()
        bidx = {
            ring.blind_index("id_number", number),
            ring.blind_index("id_number", number.upper()),
        }
        stmt = stmt.where(Member.id_number_bidx.in_(sorted(bidx)))
    if f.get("member_no"):
        stmt = stmt.where(Member.member_no == normalise_text(f["member_no"]))
    if f.get("member_id"):
        stmt = stmt.where(Member.id == f["member_id"])
    return stmt


def _unit(scope: Scope, stmt, column, org_id: int | None):
    if org_id:
        org = scope.get_org(org_id)
        stmt = stmt.where(in_subtree(column, org.id, org.path, org.level))
    return stmt


def coverage(scope: Scope, f: dict):
    """保障信息查询: enrolments in scope with member, unit, plan and batch."""
    stmt = (
        select(
            Enrolment,
            Member.name.label("member_name"),
            Member.member_no.label("member_no"),
            Member.id_type.label("id_type"),
            Member.id_number.label("id_number"),
            Org.name.label("org_name"),
            CoveragePlan.name.label("plan_name"),
            InsuranceBatch.batch_no.label("batch_no"),
        )
        .join(Member, Member.id == Enrolment.member_id)
        .join(Org, Org.id == Enrolment.org_id)
        .join(CoveragePlan, CoveragePlan.id == Enrolment.plan_id)
        .outerjoin(InsuranceBatch, InsuranceBatch.id == Enrolment.batch_id)
        .where(scope.owned_by(Enrolment.org_id))
    )
    stmt = _member_filters(stmt, f)
    stmt = _unit(scope, stmt, Enrolment.org_id, f.get("org_id"))
    if f.get("year"):
        stmt = stmt.where(Enrolment.year == f["year"])
    if f.get("status"):
        stmt = stmt.where(Enrolment.status == EnrolmentStatus(f["status"]))
    if f.get("kind"):
        stmt = stmt.where(Enrolment.kind == EnrolmentKind(f["kind"]))
    if f.get("covered_on"):
        day = f["covered_on"]
        stmt = stmt.where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.start_date <= day,
            Enrolment.end_date >= day,
        )
    return stmt.order_by(Enrolment.year.desc(), Enrolment.id.desc())


def present_coverage(row) -> dict:
    e = row[0]
    return {
        "id": e.id,
        "member_id": e.member_id,
        "member_no": row.member_no,
        "name": row.member_name,
        "id_type": row.id_type,
        "id_number": row.id_number,
        "org_id": e.org_id,
        "org_name": row.org_name,
        "year": e.year,
        "plan_name": row.plan_name,
        "kind": e.kind.value,
        "status": e.status.value,
        "start_date": e.start_date,
        "end_date": e.end_date,
        "half_year": e.half_year,
        "fee": e.fee,
        "city_share": e.city_share,
        "district_share": e.district_share,
        "grassroots_share": e.grassroots_share,
        "individual_share": e.individual_share,
        "batch_no": row.batch_no,
        "failed_reason": e.failed_reason,
        "status_changed_at": e.status_changed_at,
    }


def member_enrolments(scope: Scope, member_id: int) -> list[dict]:
    """One member's enrolments in scope (the 会员详情 drawer), newest year first."""
    rows = db.session.execute(coverage(scope, {"member_id": member_id})).all()
    return [present_coverage(row) for row in rows]


def payouts(scope: Scope, f: dict):
    """给付信息查询: payouts in scope by member, unit and year."""
    stmt = (
        select(
            Payout,
            Member.name.label("member_name"),
            Member.member_no.label("member_no"),
            Member.id_type.label("id_type"),
            Member.id_number.label("id_number"),
            Org.name.label("org_name"),
        )
        .join(Member, Member.id == Payout.member_id)
        .join(Org, Org.id == Payout.org_id)
        .where(scope.owned_by(Payout.org_id))
    )
    stmt = _member_filters(stmt, f)
    stmt = _unit(scope, stmt, Payout.org_id, f.get("org_id"))
    if f.get("year"):
        stmt = stmt.where(Payout.year == f["year"])
    if f.get("reference"):
        stmt = stmt.where(Payout.reference == normalise_text(f["reference"]))
    return stmt.order_by(Payout.paid_on.desc(), Payout.id.desc())


def present_payout(row) -> dict:
    p = row[0]
    return {
        "id": p.id,
        "reference": p.reference,
        "member_id": p.member_id,
        "member_no": row.member_no,
        "name": row.member_name,
        "id_type": row.id_type,
        "id_number": row.id_number,
        "org_id": p.org_id,
        "org_name": row.org_name,
        "year": p.year,
        "enrolment_id": p.enrolment_id,
        "item": p.item,
        "amount": p.amount,
        "paid_on": p.paid_on,
        "remark": p.remark,
        "recorded_by_name": p.recorded_by_name,
        "created_at": p.created_at,
    }


def payout_detail(scope: Scope, payout_id: int) -> dict:
    stmt = payouts(scope, {}).where(Payout.id == payout_id)
    row = db.session.execute(stmt).first()
    if row is None:
        from ..errors import NotFound

        raise NotFound("未找到该给付记录，或不在您的管辖范围内")
    return present_payout(row)
