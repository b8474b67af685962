"""The annual review (年审): start, unit information, submit, approve or reject.

A grassroots union starts one review per business year (Asia/Shanghai); step 1 confirms or
corrects the unit information (through the org service, so with its validation and audit),
step 2 marks the members who fail (``marks``). The upper union approves or rejects what is
submitted; on approval the failing members leave the union through the member status
machine and the year's outcome is kept as a snapshot.
"""

from __future__ import annotations

import enum

from sqlalchemy import delete, func, insert, literal, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..extensions import db
from ..members import services as members
from ..members.idcard import free_text
from ..members.models import Member, MemberStatus
from ..models_base import utcnow
from ..orgs import services as orgs
from ..orgs.models import UNIT_TYPE_NAMES, Org, OrgLevel, in_subtree
from .models import AnnualReview, AnnualReviewMark, AnnualReviewResult, FailReason, ReviewStatus
from .rules import APPROVE, REJECT, SUBMIT, business_year, check_editable, next_status

# The clock of every review decision; tests replace it to freeze time.
clock = utcnow

UNIT_FIELDS = ("name", "uscc", "unit_type", "address", "contact_name", "contact_phone")


def _plain(value):
    return value.value if isinstance(value, enum.Enum) else value


def current_year() -> int:
    """The business year now, in Asia/Shanghai."""
    return business_year(clock())


def reviewing_union(scope: Scope, org_id: int | None) -> Org:
    org = scope.get_org(org_id or scope.org_id)
    if org.level != OrgLevel.GRASSROOTS:
        raise ValidationFailed("年审由基层工会进行，请选择基层工会", {"org_id": ["请选择基层工会"]})
    if not org.active:
        raise ValidationFailed("该工会已停用，不能进行年审", {"org_id": ["该工会已停用"]})
    return org


def get_review(scope: Scope, review_id: int) -> AnnualReview:
    return scope.get(AnnualReview, review_id, message="未找到该年审，或不在您的管辖范围内")


def list_reviews(scope: Scope, *, year=None, status=None, org_id=None):
    stmt = select(AnnualReview).where(scope.owned_by(AnnualReview.org_id))
    if org_id:
        org = scope.get_org(org_id)
        stmt = stmt.where(in_subtree(AnnualReview.org_id, org.id, org.path, org.level))
    if year:
        stmt = stmt.where(AnnualReview.year == year)
    if status:
        stmt = stmt.where(AnnualReview.status == ReviewStatus(status))
    return stmt.order_by(AnnualReview.year.desc(), AnnualReview.id.desc())


def review_detail(scope: Scope, review_id: int) -> AnnualReview:
    review = get_review(scope, review_id)
    review.counts = counts(review)
    return review


def counts(review: AnnualReview) -> dict:
    """Members reviewed, passed and failed (by reason): live until approval, then the snapshot."""
    if review.status == ReviewStatus.APPROVED:
        r = AnnualReviewResult
        rows = db.session.execute(
            select(r.reason, func.count()).where(r.review_id == review.id).group_by(r.reason)
        ).all()
        by = {reason: n for reason, n in rows}
        total = sum(by.values())
    else:
        total = db.session.scalar(
            select(func.count()).where(
                Member.org_id == review.org_id, Member.status == MemberStatus.ACTIVE
            )
        )
        m = AnnualReviewMark
        by = dict(
            db.session.execute(
                select(m.reason, func.count())
                .join(Member, Member.id == m.member_id)
                .where(
                    m.review_id == review.id,
                    Member.org_id == review.org_id,
                    Member.status == MemberStatus.ACTIVE,
                )
                .group_by(m.reason)
            ).all()
        )
    by_reason = {reason.value: by.get(reason, 0) for reason in FailReason}
    failed = sum(by_reason.values())
    return {"members": total, "passed": total - failed, "failed": failed, "by_reason": by_reason}


def start_review(scope: Scope, org_id: int | None = None, *, ip=None) -> AnnualReview:
    """Start this year's review of a grassroots union; a second one in the year is refused."""
    scope.require("member.write")
    org = reviewing_union(scope, org_id)
    now = clock()
    year = business_year(now)
    existing = db.session.scalar(
        select(AnnualReview).where(AnnualReview.org_id == org.id, AnnualReview.year == year)
    )
    if existing is not None:
        if existing.status == ReviewStatus.APPROVED:
            message = f"{org.name}{year}年度的年审已完成，每年只能进行一次年审"
        else:
            message = (
                f"{org.name}{year}年度的年审已发起（当前状态：{existing.status.value}），"
                "请继续办理，每年只能进行一次年审"
            )
        raise Conflict(message, {"year": [message]})
    review = AnnualReview(
        org_id=org.id,
        year=year,
        status=ReviewStatus.IN_PROGRESS,
        started_by=scope.account_id,
        started_by_name=scope.account_name,
        created_at=now,
    )
    db.session.add(review)
    db.session.flush()  # the unique (org_id, year) settles a race: IntegrityError -> 409
    audit.record(
        scope,
        "review.start",
        target_type="annual_review",
        target_ids=[review.id],
        detail={"org_id": org.id, "year": year},
        ip=ip,
    )
    review.counts = counts(review)
    return review


def unit_snapshot(org: Org) -> dict:
    info = {key: _plain(getattr(org, key)) for key in UNIT_FIELDS}
    info["unit_type_name"] = UNIT_TYPE_NAMES.get(info["unit_type"] or "")
    info["enterprises"] = [{"name": e.name, "uscc": e.uscc} for e in org.enterprises]
    return info


def confirm_unit(scope: Scope, review_id: int, data: dict, *, ip=None) -> AnnualReview:
    """Step 1: correct the unit information (validated and audited as any org edit) and
    confirm it; the confirmed information is kept with the review."""
    scope.require("member.write")
    review = get_review(scope, review_id)
    check_editable(review.status)
    org = review.org
    changed = {k: v for k, v in data.items() if _plain(getattr(org, k)) != v}
    if changed:
        orgs.update_org(scope, org.id, changed, ip=ip)
    review.unit_info = unit_snapshot(org)
    review.unit_confirmed_at = clock()
    review.unit_confirmed_by_name = scope.account_name
    audit.record(
        scope,
        "review.unit",
        target_type="annual_review",
        target_ids=[review.id],
        detail={"org_id": org.id, "changed": sorted(changed)},
        ip=ip,
    )
    review.counts = counts(review)
    return review


def _locked(review: AnnualReview, status: ReviewStatus) -> None:
    """Lock the review row in the status just checked, so that two clicks act once."""
    found = db.session.execute(
        select(AnnualReview.id)
        .where(AnnualReview.id == review.id, AnnualReview.status == status)
        .with_for_update()
    ).scalar_one_or_none()
    if found is None:
        raise Conflict("该年审正在被处理，请刷新后查看")


def _active_member_ids(review: AnnualReview):
    return select(Member.id).where(
        Member.org_id == review.org_id, Member.status == MemberStatus.ACTIVE
    )


def submit(scope: Scope, review_id: int, *, ip=None) -> AnnualReview:
    """Submit to the upper union; marks of members who meanwhile stopped being active are dropped."""
    scope.require("member.write")
    review = get_review(scope, review_id)
    target = next_status(review.status, SUBMIT)
    if review.unit_confirmed_at is None:
        message = "请先完成第一步：确认单位信息"
        raise ValidationFailed(message, {"unit": [message]})
    before = review.status
    _locked(review, before)
    m = AnnualReviewMark
    dropped = db.session.execute(
        delete(m).where(m.review_id == review.id, m.member_id.not_in(_active_member_ids(review)))
    ).rowcount
    now = clock()
    review.status = target
    review.submitted_at, review.submitted_by = now, scope.account_id
    review.submitted_by_name = scope.account_name
    summary = counts(review)
    review.counts = summary
    audit.record(
        scope,
        "review.submit",
        target_type="annual_review",
        target_ids=[review.id],
        changes={"status": [before.value, target.value]},
        detail={"counts": summary, "dropped_marks": max(dropped or 0, 0)},
        ip=ip,
    )
    return review


SELF_REVIEW = "不能审核本单位的年审，请由上级工会审核"


def own_review_refusal(scope: Scope, review_id: int) -> str | None:
    """A unit cannot review itself: said first, whatever the account's role."""
    org_id = db.session.scalar(select(AnnualReview.org_id).where(AnnualReview.id == review_id))
    return SELF_REVIEW if org_id == scope.org_id else None


def _decider(scope: Scope, review: AnnualReview) -> None:
    if review.org_id == scope.org_id:
        raise PermissionDenied(SELF_REVIEW)
    scope.require("member.review")


def approve(scope: Scope, review_id: int, *, ip=None) -> AnnualReview:
    """Approve: keep the snapshot, and move each failing member to 退休/离职/死亡."""
    review = get_review(scope, review_id)
    _decider(scope, review)
    target = next_status(review.status, APPROVE)
    if review.submitted_by == scope.account_id:
        raise PermissionDenied("不能审核自己提交的年审，请由上级工会的其他人员审核")
    _locked(review, review.status)
    now = clock()
    m = AnnualReviewMark
    marked = (m.member_id == Member.id) & (m.review_id == review.id)
    snapshot = (
        select(literal(review.id), Member.id, m.reason)
        .select_from(Member)
        .outerjoin(m, marked)
        .where(Member.org_id == review.org_id, Member.status == MemberStatus.ACTIVE)
    )
    db.session.execute(
        insert(AnnualReviewResult).from_select(["review_id", "member_id", "reason"], snapshot)
    )
    leaving = db.session.execute(
        select(Member, m)
        .join(m, marked)
        .where(Member.org_id == review.org_id, Member.status == MemberStatus.ACTIVE)
        .order_by(Member.id)
    ).all()
    moved: dict[FailReason, list[int]] = {}
    for member, mark in leaving:
        why = f"{review.year}年度年审不通过：{mark.reason.value}"
        if mark.remark:
            why += f"（{mark.remark}）"
        members.apply_status(scope, member, MemberStatus(mark.reason.value), why, at=now)
        moved.setdefault(mark.reason, []).append(member.id)
    marks_total = db.session.scalar(select(func.count()).where(m.review_id == review.id))
    review.status = target
    review.decided_at, review.decided_by = now, scope.account_id
    review.decided_by_name = scope.account_name
    review.decision_reason = None  # an earlier return's reason is no part of this decision
    review.counts = counts(review)
    review.reviewed_count = review.counts["members"]
    review.failed_count = review.counts["failed"]
    for reason, ids in moved.items():
        audit.record(
            scope,
            "member.status",
            target_type="member",
            target_ids=ids,
            changes={"status": [MemberStatus.ACTIVE.value, reason.value]},
            detail={"reason": f"{review.year}年度年审不通过", "review_id": review.id},
            ip=ip,
        )
    audit.record(
        scope,
        "review.approve",
        target_type="annual_review",
        target_ids=[review.id],
        changes={"status": [ReviewStatus.SUBMITTED.value, target.value]},
        detail={
            "counts": review.counts,
            "left_union": sum(len(ids) for ids in moved.values()),
            "skipped_marks": marks_total - sum(len(ids) for ids in moved.values()),
        },
        ip=ip,
    )
    return review


def reject(scope: Scope, review_id: int, reason: str, *, ip=None) -> AnnualReview:
    """Return the review to the unit with a reason; the unit corrects it and submits again."""
    review = get_review(scope, review_id)
    _decider(scope, review)
    reason = free_text(reason)
    if not reason:
        raise ValidationFailed("请填写退回原因", {"reason": ["请填写退回原因"]})
    target = next_status(review.status, REJECT)
    _locked(review, review.status)
    review.status = target
    review.decided_at, review.decided_by = clock(), scope.account_id
    review.decided_by_name = scope.account_name
    review.decision_reason = reason
    audit.record(
        scope,
        "review.reject",
        target_type="annual_review",
        target_ids=[review.id],
        changes={"status": [ReviewStatus.SUBMITTED.value, target.value]},
        detail={"reason": reason},
        ip=ip,
    )
    review.counts = counts(review)
    return review


def editable_review(scope: Scope, review_id: int) -> AnnualReview:
    """A review whose marks the caller may change now."""
    scope.require("member.write")
    review = get_review(scope, review_id)
    check_editable(review.status)
    return review
