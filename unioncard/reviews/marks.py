"""Step 2 of the review: the members, by list (mark / unmark) or by file (all or nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..bulk import among
from ..errors import ValidationFailed
from ..extensions import db
from ..imports.filecheck import UploadRejected
from ..imports.pipeline import limits
from ..members.idcard import free_text, today_in_china
from ..members.models import Member, MemberStatus
from ..members.search import name_matches
from ..orgs.models import Org
from ..security.crypto import keyring
from ..storage.services import XLSX, store_file
from .models import (
    AnnualReview,
    AnnualReviewMark,
    AnnualReviewResult,
    FailReason,
    MarkSource,
    ReviewStatus,
)
from .services import counts, editable_review, get_review
from .template import build_template
from .upload import Holder, MarksInvalid, read_marks

PASSED, FAILED = "通过", "不通过"
_LOOKUP_CHUNK = 1000


@dataclass(frozen=True)
class ReviewedMember:
    """A member in a review and their mark (the same as a row of ``review_members``)."""

    member: Member
    reason: FailReason | None = None
    source: MarkSource | None = None
    remark: str | None = None


def review_members(scope: Scope, review_id: int, f: dict):
    """Rows of (Member, reason, source, remark): the union's active members with their marks
    while the review runs; once approved, the members reviewed and their results."""
    review = get_review(scope, review_id)
    m = AnnualReviewMark
    marked = (m.member_id == Member.id) & (m.review_id == review.id)
    if review.status == ReviewStatus.APPROVED:
        r = AnnualReviewResult
        reason = r.reason
        stmt = (
            select(Member, reason.label("reason"), m.source.label("source"), m.remark)
            .join(r, (r.member_id == Member.id) & (r.review_id == review.id))
            .outerjoin(m, marked)
        )
    else:
        reason = m.reason
        stmt = (
            select(Member, reason.label("reason"), m.source.label("source"), m.remark)
            .outerjoin(m, marked)
            .where(Member.org_id == review.org_id, Member.status == MemberStatus.ACTIVE)
        )
    if f.get("name"):
        stmt = stmt.where(name_matches(f["name"]))
    if f.get("result") == PASSED:
        stmt = stmt.where(reason.is_(None))
    elif f.get("result") == FAILED:
        stmt = stmt.where(reason.is_not(None))
    if f.get("reason"):
        stmt = stmt.where(reason == FailReason(f["reason"]))
    return stmt.order_by(Member.id)


def _reviewed_member(review: AnnualReview, member_id: int) -> Member:
    member = db.session.get(Member, member_id)
    if member is None or member.org_id != review.org_id:
        message = "该会员不属于本次年审的工会"
        raise ValidationFailed(message, {"member_id": [message]})
    return member


def mark(scope: Scope, review_id: int, member_id: int, data: dict, *, ip=None) -> ReviewedMember:
    """Mark one member as failing, with the reason (退休/离职/死亡); marking again changes it."""
    review = editable_review(scope, review_id)
    member = _reviewed_member(review, member_id)
    if member.status != MemberStatus.ACTIVE:
        message = f"该会员当前状态为「{member.status.value}」，不在年审范围内"
        raise ValidationFailed(message, {"member_id": [message]})
    reason = FailReason(data["reason"])
    remark = free_text(data.get("remark")) or None
    found = db.session.scalar(
        select(AnnualReviewMark).where(
            AnnualReviewMark.review_id == review.id, AnnualReviewMark.member_id == member.id
        )
    )
    before = found.reason.value if found else None
    if found is None:
        found = AnnualReviewMark(review_id=review.id, member_id=member.id)
        db.session.add(found)
    found.reason, found.remark, found.source = reason, remark, MarkSource.LIST
    found.marked_by_name = scope.account_name
    db.session.flush()
    audit.record(
        scope,
        "review.mark",
        target_type="annual_review",
        target_ids=[review.id],
        changes={"reason": [before, reason.value]},
        detail={"member_id": member.id, "remark": remark},
        ip=ip,
    )
    return ReviewedMember(member, found.reason, found.source, found.remark)


def unmark(scope: Scope, review_id: int, member_id: int, *, ip=None) -> ReviewedMember:
    """Take a member's mark away (the member passes); nothing to take away is not an error."""
    review = editable_review(scope, review_id)
    member = _reviewed_member(review, member_id)
    found = db.session.scalar(
        select(AnnualReviewMark).where(
            AnnualReviewMark.review_id == review.id, AnnualReviewMark.member_id == member.id
        )
    )
    if found is not None:
        audit.record(
            scope,
            "review.unmark",
            target_type="annual_review",
            target_ids=[review.id],
            changes={"reason": [found.reason.value, None]},
            detail={"member_id": member.id},
            ip=ip,
        )
        db.session.delete(found)
        db.session.flush()
    return ReviewedMember(member)


def template_for(scope: Scope, review_id: int) -> tuple[str, bytes]:
    review = get_review(scope, review_id)
    name = f"年审不通过人员名单-{review.year}-{review.org.name}.xlsx"
    return name, build_template(review.year, review.org.name)


def _finder(scope: Scope):
    """ID number -> Holder, by blind index; a union outside the caller's scope is not named."""
    ring = keyring()

    def find(numbers: list[str]) -> dict[str, Holder]:
        out: dict[str, Holder] = {}
        for start in range(0, len(numbers), _LOOKUP_CHUNK):
            by_bidx = {
                ring.blind_index("id_number", n): n for n in numbers[start : start + _LOOKUP_CHUNK]
            }
            rows = db.session.execute(
                select(Member.id_number_bidx, Member.id, Member.org_id, Member.status, Org)
                .join(Org, Org.id == Member.org_id)
                .where(among(Member.id_number_bidx, list(by_bidx)))
            )
            for bidx, member_id, org_id, status, org in rows:
                name = org.name if scope.contains_path(org.path) else None
                out[by_bidx[bidx]] = Holder(member_id, org_id, name, status.value)
        return out

    return find


def upload(scope: Scope, review_id: int, filename: str, data: bytes, *, ip=None) -> dict:
    """Check the whole file; merge it into the marks only if every row is right."""
    review = editable_review(scope, review_id)
    if not (filename or "").lower().endswith(".xlsx"):
        message = "请上传 .xlsx 格式的年审名单（用系统下载的年审模板填写）"
        raise ValidationFailed(message, {"file": ["文件扩展名应为 .xlsx"]})
    try:
        rows = read_marks(
            data, _finder(scope), org_id=review.org_id, limits=limits(), today=today_in_china()
        )
    except UploadRejected as exc:
        raise ValidationFailed(exc.message, {"file": [exc.message]}) from None
    except MarksInvalid as exc:
        found = [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors]
        bad_rows = len({e.row for e in exc.errors})
        message = exc.message or (
            f"年审名单有 {bad_rows} 行错误（共 {len(found)} 处），本次上传未做任何修改，"
            "请按提示改正后重新上传"
        )
        raise ValidationFailed(message, {"rows": found}) from None
    existing = {
        mk.member_id: mk
        for mk in db.session.scalars(
            select(AnnualReviewMark).where(AnnualReviewMark.review_id == review.id)
        )
    }
    added = changed = 0
    for row in rows:
        found = existing.get(row.member_id)
        if found is None:
            found = AnnualReviewMark(review_id=review.id, member_id=row.member_id)
            db.session.add(found)
            added += 1
        elif (found.reason, found.remark) != (row.reason, row.remark):
            changed += 1
        found.reason, found.remark, found.source = row.reason, row.remark, MarkSource.FILE
        found.marked_by_name = scope.account_name
    stored = store_file(
        data,
        filename=filename,
        purpose="annual_review",
        content_type=XLSX,
        org_id=review.org_id,
        created_by=scope.account_id,
    )
    audit.record(
        scope,
        "review.upload",
        target_type="annual_review",
        target_ids=[review.id],
        detail={
            "filename": filename,
            "file_id": stored.id,
            "rows": len(rows),
            "added": added,
            "changed": changed,
        },
        ip=ip,
    )
    db.session.flush()
    return {"rows": len(rows), "added": added, "changed": changed, "counts": counts(review)}
