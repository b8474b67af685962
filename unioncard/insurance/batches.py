"""参保批次管理: the districts' batches (集中参保 and 即时参保), 职保中心's confirmation and the
live monitor (集中参保实时监控).

A district sees its own batches, 职保中心 (an account at the city) every batch; the scope
decides. Payment vouchers are in ``vouchers``, the statistics table in ``statistics``.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models_base import utcnow
from ..orgs import messages
from ..orgs.models import Org
from .models import (
    CoveragePlan,
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
    UnitSubmission,
)
from .moves import move_batches, move_enrolments, move_submissions
from .review import _day_start

B = InsuranceBatchStatus


def get_batch(scope: Scope, batch_id: int, *, lock: bool = False) -> InsuranceBatch:
    stmt = select(InsuranceBatch).where(
        InsuranceBatch.id == batch_id, scope.owned_by(InsuranceBatch.org_id)
    )
    batch = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if batch is None:
        raise NotFound("未找到该参保批次，或不在您的管辖范围内")
    return batch


def list_batches(scope: Scope, f: dict):
    """批次列表: 批次编号 (contains), 确认时间 range (职保中心确认时间), status, source, year."""
    stmt = (
        select(InsuranceBatch, Org.name.label("org_name"))
        .join(Org, Org.id == InsuranceBatch.org_id)
        .where(scope.owned_by(InsuranceBatch.org_id))
    )
    if f.get("batch_no"):
        stmt = stmt.where(InsuranceBatch.batch_no.contains(f["batch_no"].strip(), autoescape=True))
    if f.get("confirmed_from"):
        stmt = stmt.where(InsuranceBatch.confirmed_at >= _day_start(f["confirmed_from"]))
    if f.get("confirmed_to"):
        end = _day_start(f["confirmed_to"] + timedelta(days=1))
        stmt = stmt.where(InsuranceBatch.confirmed_at < end)
    for key in ("status", "source", "year"):
        if f.get(key):
            stmt = stmt.where(getattr(InsuranceBatch, key) == f[key])
    if f.get("org_id"):
        org = scope.get_org(f["org_id"])
        stmt = stmt.where(InsuranceBatch.org_id == org.id)
    return stmt.order_by(InsuranceBatch.submitted_at.desc(), InsuranceBatch.id.desc())


def present_batch(row) -> dict:
    batch, org_name = row[0], row.org_name
    return batch_dict(batch, org_name)


def batch_dict(batch: InsuranceBatch, org_name: str | None = None) -> dict:
    return {
        "id": batch.id,
        "batch_no": batch.batch_no,
        "org_id": batch.org_id,
        "org_name": org_name if org_name is not None else batch.org.name,
        "year": batch.year,
        "source": batch.source.value,
        "status": batch.status.value,
        "member_count": batch.member_count,
        "card_count": batch.card_count,
        "social_count": batch.social_count,
        "fee_total": batch.fee_total,
        "city_total": batch.city_total,
        "district_total": batch.district_total,
        "grassroots_total": batch.grassroots_total,
        "payment_deadline": batch.payment_deadline,
        "handler_name": batch.handler_name,
        "handler_phone": batch.handler_phone,
        "handler_email": batch.handler_email,
        "submitted_by_name": batch.submitted_by_name,
        "submitted_at": batch.submitted_at,
        "updated_at": batch.updated_at,
        "has_voucher": batch.voucher_file_id is not None,
        "voucher_uploaded_at": batch.voucher_uploaded_at,
        "voucher_uploaded_by_name": batch.voucher_uploaded_by_name,
        "confirmed_at": batch.confirmed_at,
        "confirmed_by_name": batch.confirmed_by_name,
        "failed_at": batch.failed_at,
    }


def batch_detail(scope: Scope, batch_id: int) -> dict:
    """批次详情: its submissions (one per unit and channel) and counts per channel/status."""
    batch = get_batch(scope, batch_id)
    out = batch_dict(batch)
    subs = db.session.execute(
        select(UnitSubmission, Org.name, CoveragePlan.name)
        .join(Org, Org.id == UnitSubmission.org_id)
        .join(CoveragePlan, CoveragePlan.id == UnitSubmission.plan_id)
        .where(UnitSubmission.batch_id == batch.id)
        .order_by(Org.name, UnitSubmission.id)
    ).all()
    out["submissions"] = [
        {
            "id": s.id,
            "org_id": s.org_id,
            "org_name": org_name,
            "plan_name": plan_name,
            "kind": s.kind.value,
            "status": s.status.value,
            "member_count": s.member_count,
            "fee_total": s.fee_total,
            "submitted_at": s.submitted_at,
        }
        for s, org_name, plan_name in subs
    ]
    counts = db.session.execute(
        select(Enrolment.kind, Enrolment.status, func.count())
        .where(Enrolment.batch_id == batch.id)
        .group_by(Enrolment.kind, Enrolment.status)
    ).all()
    by_kind: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for kind, status, n in counts:
        by_kind[EnrolmentKind(kind).value] = by_kind.get(EnrolmentKind(kind).value, 0) + n
        key = EnrolmentStatus(status).value
        by_status[key] = by_status.get(key, 0) + n
    out["by_kind"], out["by_status"] = by_kind, by_status
    return out


def confirm(scope: Scope, batch_id: int, *, ip=None) -> dict:
    """职保中心确认 (insurance.confirm): a paid batch (已上传凭证) → 已完成, with its
    submissions and enrolments: the members are covered."""
    scope.require("insurance.confirm")
    batch = get_batch(scope, batch_id, lock=True)
    if batch.status == B.AWAITING_PAYMENT:
        raise Conflict("该批次尚未上传缴费凭证，不能确认；请待区局上传缴费凭证后再确认")
    if batch.status != B.VOUCHER_UPLOADED:
        raise Conflict(f"该批次状态为「{batch.status.value}」，不能确认")
    if batch.voucher_file_id is None:
        raise Conflict("该批次没有缴费凭证，不能确认")
    moved = move_batches(
        InsuranceBatch.id == batch.id,
        [B.VOUCHER_UPLOADED],
        B.COMPLETED,
        confirmed_at=utcnow(),
        confirmed_by_name=scope.account_name,
    )
    if moved != 1:
        raise Conflict("该批次已被他人处理，请刷新后重试")
    subs = move_submissions(
        UnitSubmission.batch_id == batch.id, [SubmissionStatus.SENT], SubmissionStatus.COMPLETED
    )
    enrolled = move_enrolments(
        Enrolment.batch_id == batch.id, [EnrolmentStatus.SENT], EnrolmentStatus.COMPLETED
    )
    messages.send(
        batch.org_id,
        "参保",
        "参保批次已确认",
        f"批次{batch.batch_no}（{batch.member_count}人，保障费用{batch.fee_total}元）"
        "已由职保中心确认缴费，参保完成。",
        dedupe_key=f"ins-confirmed:{batch.id}",
    )
    audit.record(
        scope,
        "insurance.confirm",
        target_type="insurance_batch",
        target_ids=[batch.id],
        detail={"batch_no": batch.batch_no, "submissions": subs, "enrolments": enrolled},
        ip=ip,
    )
    db.session.refresh(batch)
    return batch_dict(batch)


def _org_count(org_id: int, name: str) -> dict:
    return {
        "org_id": org_id,
        "org_name": name,
        "submissions": 0,
        "members": 0,
        "by_status": {},
        "by_kind": {},
    }


def _add(entry: dict, status: str, kind, subs: int, members) -> None:
    """One group-by row (status × channel) added into an org's counts."""
    kind = EnrolmentKind(kind).value
    entry["submissions"] += subs
    entry["members"] += int(members)
    entry["by_status"][status] = entry["by_status"].get(status, 0) + int(members)
    entry["by_kind"][kind] = entry["by_kind"].get(kind, 0) + int(members)


def monitor(scope: Scope, year: int) -> dict:
    """集中参保实时监控: submissions and members of the year by district, by unit and by
    status (SQL group-by over what the caller's scope reaches)."""
    district = select(Org.id, Org.name).subquery()
    visible = UnitSubmission.org_id.in_(scope.org_ids())
    base = (UnitSubmission.year == year) & visible
    rows = db.session.execute(
        select(
            UnitSubmission.district_id,
            district.c.name,
            UnitSubmission.status,
            UnitSubmission.kind,
            func.count(),
            func.coalesce(func.sum(UnitSubmission.member_count), 0),
        )
        .join(district, district.c.id == UnitSubmission.district_id)
        .where(base)
        .group_by(
            UnitSubmission.district_id, district.c.name, UnitSubmission.status, UnitSubmission.kind
        )
        .order_by(UnitSubmission.district_id)
    ).all()
    by_district: dict[int, dict] = {}
    by_status: dict[str, dict] = {}
    for district_id, name, status, kind, subs, members in rows:
        status = SubmissionStatus(status).value
        entry = by_district.setdefault(district_id, _org_count(district_id, name))
        _add(entry, status, kind, subs, members)
        total = by_status.setdefault(status, {"status": status, "submissions": 0, "members": 0})
        total["submissions"] += subs
        total["members"] += int(members)
    unit_rows = db.session.execute(
        select(
            UnitSubmission.org_id,
            Org.name,
            UnitSubmission.status,
            UnitSubmission.kind,
            func.count(),
            func.coalesce(func.sum(UnitSubmission.member_count), 0),
        )
        .join(Org, Org.id == UnitSubmission.org_id)
        .where(base)
        .group_by(UnitSubmission.org_id, Org.name, UnitSubmission.status, UnitSubmission.kind)
        .order_by(Org.name)
    ).all()
    by_unit: dict[int, dict] = {}
    for org_id, name, status, kind, subs, members in unit_rows:
        entry = by_unit.setdefault(org_id, _org_count(org_id, name))
        _add(entry, SubmissionStatus(status).value, kind, subs, members)
    batch_rows = db.session.execute(
        select(InsuranceBatch.status, func.count(), func.sum(InsuranceBatch.member_count))
        .where(InsuranceBatch.year == year, scope.owned_by(InsuranceBatch.org_id))
        .group_by(InsuranceBatch.status)
    ).all()
    return {
        "year": year,
        "by_district": list(by_district.values()),
        "by_unit": list(by_unit.values()),
        "by_status": list(by_status.values()),
        "batches": [
            {"status": B(s).value, "batches": n, "members": int(m or 0)} for s, n, m in batch_rows
        ],
    }
