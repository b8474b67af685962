"""提交办卡 and 办卡批次管理: batches, the outbox to the bank, revocation with review."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db, savepoint
from ..members.idcard import free_text, is_valid_mobile, normalise_text
from ..members.models import Member
from ..models_base import SHANGHAI, as_aware, utcnow
from ..orgs.models import BankBranch, Org
from ..orgs.services import branch_codes_for
from ..tasks_runtime import after_commit
from .log import move, moved
from .models import (
    BankOutbox,
    BatchRevocation,
    BatchStatus,
    CardBatch,
    CardBatchMember,
    CardLogEntry,
    CardStatus,
    Channel,
    MemberCard,
    OutboxKind,
    RevocationStatus,
    Verification,
)


def _ready(card) -> bool:
    """A card (or a row with its verification, info_complete and channel) ready to submit."""
    if card.channel == Channel.NORMAL:
        return card.verification == Verification.PASSED
    return card.info_complete


def submit(
    scope: Scope,
    org_id: int | None,
    channel: str,
    branch_code: str,
    *,
    ip=None,
    member_ids: list[int] | None = None,
) -> CardBatch:
    """One batch of the whole channel list, only when every member in it is ready.

    The list is the union's collective one; a member's own application from the
    mini-program (``MemberCard.individual``) goes as a batch of its own (``member_ids``)."""
    scope.require("member.write")
    org = scope.get_org(org_id or scope.org_id)
    ch = Channel(channel)
    if branch_code not in {code for code, _ in branch_codes_for(org)}:
        raise ValidationFailed("无效的领卡网点！", {"branch_code": ["请选择本区的领卡网点"]})
    branch = db.session.scalar(select(BankBranch).where(BankBranch.code == branch_code))
    in_channel = (
        select(MemberCard.id)
        .join(Member, Member.id == MemberCard.member_id)
        .where(
            Member.org_id == org.id,
            MemberCard.status == CardStatus.PENDING,
            MemberCard.channel == ch,
            MemberCard.individual.is_(member_ids is not None),
        )
    )
    if member_ids is not None:
        in_channel = in_channel.where(MemberCard.member_id.in_(member_ids))
    # plain rows, locked: thousands of members are written in bulk below
    rows = db.session.execute(
        select(
            MemberCard.member_id,
            MemberCard.status,
            MemberCard.verification,
            MemberCard.info_complete,
            MemberCard.channel,
            MemberCard.batch_id,
            Member.member_no,
        )
        .join(Member, Member.id == MemberCard.member_id)
        .where(MemberCard.id.in_(in_channel))
        .order_by(MemberCard.id)
        .with_for_update(of=MemberCard)
    ).all()
    # a concurrent 提交办卡 that won the row locks: the rows now hold its batch (PostgreSQL)
    taken = {r.batch_id for r in rows if r.status != CardStatus.PENDING and r.batch_id}
    if taken:
        raise _submitted_meanwhile(ch, select(CardBatch.id).where(CardBatch.id.in_(taken)))
    if not rows:
        if member_ids is None:
            recent = _recent_collective_batches(org.id, ch)
            if db.session.scalar(select(recent.exists())):
                raise _submitted_meanwhile(ch, recent)
        raise Conflict(f"{ch.value}办卡通道没有待办会员")
    unready = [r for r in rows if not _ready(r)]
    if unready:
        what = "校验未通过及未校验" if ch == Channel.NORMAL else "信息未完善"
        raise Conflict(f"请移除{what}的会员（{len(unready)} 人），才能进行提交办卡。")
    now = utcnow()
    batch = CardBatch(
        batch_no="pending",
        org_id=org.id,
        channel=ch,
        status=BatchStatus.QUEUED,
        branch_code=branch.code,
        branch_name=branch.name,
        branch_address=branch.address,
        total=len(rows),
        submitted_at=now,
        submitted_by=scope.account_id,
        submitted_by_name=scope.account_name,
    )
    db.session.add(batch)
    db.session.flush()
    batch.batch_no = f"CB{now:%Y%m%d}{batch.id:06d}"
    detail = f"批次 {batch.batch_no}"
    log_rows = [
        moved(
            r.member_id,
            r.status,
            CardStatus.IN_PROGRESS,
            scope.account_name,
            detail,
            batch_id=batch.id,
            at=now,
        )
        for r in rows
    ]
    # the unique open_member_id makes a concurrent second submission that read the list
    # before the first committed (SQLite) fail here: it is told which batch took them
    try:
        with savepoint():
            db.session.execute(
                insert(CardBatchMember),
                [
                    {
                        "batch_id": batch.id,
                        "member_id": r.member_id,
                        "open_member_id": r.member_id,
                        "member_no": r.member_no,
                    }
                    for r in rows
                ],
            )
    except IntegrityError:
        holders = select(CardBatchMember.batch_id).where(
            CardBatchMember.open_member_id.in_([r.member_id for r in rows])
        )
        raise _submitted_meanwhile(ch, holders) from None
    db.session.execute(
        update(MemberCard)
        .where(MemberCard.id.in_(in_channel))
        .values(status=CardStatus.IN_PROGRESS, batch_id=batch.id, updated_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    db.session.execute(insert(CardLogEntry), log_rows)
    enqueue(batch, OutboxKind.BATCH)
    db.session.flush()
    audit.record(
        scope,
        "card.batch_submit",
        target_type="card_batch",
        target_ids=[batch.id],
        detail={"batch_no": batch.batch_no, "channel": ch.value, "total": len(rows)},
        ip=ip,
    )
    return batch


JUST_SUBMITTED = timedelta(minutes=10)


def _recent_collective_batches(org_id: int, ch: Channel):
    """Batches of the union's collective list in this channel, submitted minutes ago."""
    collective = (
        select(MemberCard.id)
        .where(MemberCard.batch_id == CardBatch.id, MemberCard.individual.is_(False))
        .exists()
    )
    return select(CardBatch.id).where(
        CardBatch.org_id == org_id,
        CardBatch.channel == ch,
        CardBatch.submitted_at >= utcnow() - JUST_SUBMITTED,
        collective,
    )


def _submitted_meanwhile(ch: Channel, batch_ids) -> Conflict:
    """The answer to the second of two 提交办卡: the batch the first one made."""
    batch = db.session.scalar(
        select(CardBatch).where(CardBatch.id.in_(batch_ids)).order_by(CardBatch.id.desc())
    )
    if batch is None:
        return Conflict(
            f"{ch.value}办卡通道的待办会员刚刚已被其他提交处理，请刷新后在办卡批次管理中查看"
        )
    at = batch.submitted_at.astimezone(SHANGHAI)
    return Conflict(
        f"{ch.value}办卡通道的待办会员刚刚已作为批次 {batch.batch_no} 提交"
        f"（{batch.submitted_by_name or '其他经办人'}，{at:%H:%M}），请勿重复提交；"
        "可在办卡批次管理中查看该批次"
    )


def enqueue(batch: CardBatch, kind: OutboxKind) -> BankOutbox:
    """Write the message in this transaction; the delivery task runs after the commit."""
    message = BankOutbox(kind=kind, batch_id=batch.id)
    db.session.add(message)
    db.session.flush()
    from .tasks import deliver_outbox

    after_commit(db.session(), deliver_outbox, message.id)
    return message


def list_batches(scope: Scope, f: dict):
    stmt = select(CardBatch).where(scope.owned_by(CardBatch.org_id))
    if f.get("org_id"):
        stmt = stmt.where(CardBatch.org_id == scope.get_org(f["org_id"]).id)
    if f.get("batch_no"):
        stmt = stmt.where(CardBatch.batch_no.contains(f["batch_no"], autoescape=True))
    if f.get("channel"):
        stmt = stmt.where(CardBatch.channel == Channel(f["channel"]))
    if f.get("status"):
        stmt = stmt.where(CardBatch.status == BatchStatus(f["status"]))
    if f.get("submitted_from"):
        stmt = stmt.where(CardBatch.submitted_at >= f["submitted_from"])
    if f.get("submitted_to"):
        stmt = stmt.where(CardBatch.submitted_at < as_aware(f["submitted_to"]) + timedelta(days=1))
    return stmt.order_by(CardBatch.id.desc())


def get_batch(scope: Scope, batch_id: int) -> CardBatch:
    return scope.get(CardBatch, batch_id, message="未找到该批次，或不在您的管辖范围内")


def batch_members(scope: Scope, batch_id: int):
    batch = get_batch(scope, batch_id)
    return (
        select(Member, CardBatchMember)
        .join(CardBatchMember, CardBatchMember.member_id == Member.id)
        .where(CardBatchMember.batch_id == batch.id)
        .order_by(CardBatchMember.id)
    )


# --- revocation ---------------------------------------------------------------------
def request_revocation(
    scope: Scope, batch_id: int, applicant_name: str, applicant_phone: str, *, ip=None
) -> BatchRevocation:
    scope.require("member.write")
    batch = get_batch(scope, batch_id)
    name, phone = normalise_text(applicant_name), normalise_text(applicant_phone).replace(" ", "")
    if not name:
        raise ValidationFailed("请填写申请人姓名", {"applicant_name": ["必填项，请填写"]})
    if not is_valid_mobile(phone):
        raise ValidationFailed("请填写申请人的11位手机号码", {"applicant_phone": ["手机号码无效"]})
    if batch.status not in (BatchStatus.QUEUED, BatchStatus.SENT):
        raise Conflict(f"批次状态为「{batch.status.value}」，只有银行尚未反馈的批次可以撤销")
    if batch.revocation in (
        RevocationStatus.REVIEWING,
        RevocationStatus.APPROVED,
        RevocationStatus.REJECTED,
    ):
        raise Conflict(f"该批次已有撤销申请（{batch.revocation.value}）")
    request = BatchRevocation(
        batch_id=batch.id,
        org_id=batch.org_id,
        status=RevocationStatus.REVIEWING,
        applicant_name=name,
        applicant_phone=phone,
        requested_by=scope.account_id,
    )
    db.session.add(request)
    batch.revocation = RevocationStatus.REVIEWING
    db.session.flush()
    audit.record(
        scope,
        "card.revocation_request",
        target_type="card_batch",
        target_ids=[batch.id],
        detail={"applicant_name": name, "revocation_id": request.id},
        ip=ip,
    )
    return request


def list_revocations(scope: Scope, status: str | None = None, batch_id: int | None = None):
    stmt = select(BatchRevocation).where(scope.owned_by(BatchRevocation.org_id))
    if status:
        stmt = stmt.where(BatchRevocation.status == RevocationStatus(status))
    if batch_id:
        stmt = stmt.where(BatchRevocation.batch_id == get_batch(scope, batch_id).id)
    return stmt.order_by(BatchRevocation.id.desc())


def decide_revocation(
    scope: Scope, revocation_id: int, approve: bool, reason: str | None = None, *, ip=None
) -> BatchRevocation:
    """The upper union's review: approve (the bank is asked to withdraw) or reject (locked)."""
    scope.require("member.review")
    request = scope.get(BatchRevocation, revocation_id, message="未找到该撤销申请")
    if request.org_id == scope.org_id:
        raise PermissionDenied("撤销申请须由上级工会审核")
    if request.status != RevocationStatus.REVIEWING:
        raise Conflict(f"该申请已{request.status.value}")
    batch = db.session.get(CardBatch, request.batch_id, with_for_update=True)
    request.reviewer_id, request.reviewer_name = scope.account_id, scope.account_name
    request.decided_at = utcnow()
    if approve:
        if batch.status not in (BatchStatus.QUEUED, BatchStatus.SENT):
            raise Conflict("银行已反馈该批次，不能撤销")
        request.status = batch.revocation = RevocationStatus.APPROVED
        batch.status = BatchStatus.REVOKING
        enqueue(batch, OutboxKind.REVOKE)
    else:
        if not free_text(reason):
            raise ValidationFailed("请填写不通过的原因", {"reason": ["必填项，请填写"]})
        request.status = batch.revocation = RevocationStatus.REJECTED
        request.decision_reason = free_text(reason)
    audit.record(
        scope,
        "card.revocation_" + ("approve" if approve else "reject"),
        target_type="card_batch",
        target_ids=[batch.id],
        detail={"revocation_id": request.id, "reason": request.decision_reason},
        ip=ip,
    )
    return request


def release(batch: CardBatch, actor: str) -> int:
    """The bank confirmed the withdrawal: members go back to 未办卡, selectable again."""
    links = db.session.scalars(
        select(CardBatchMember).where(
            CardBatchMember.batch_id == batch.id, CardBatchMember.open_member_id.is_not(None)
        )
    ).all()
    cards = {
        c.member_id: c
        for c in db.session.scalars(
            select(MemberCard).where(MemberCard.member_id.in_([link.member_id for link in links]))
        )
    }
    for link in links:
        card = cards[link.member_id]
        if card.status == CardStatus.IN_PROGRESS and card.batch_id == batch.id:
            move(card, CardStatus.NONE, actor, f"批次 {batch.batch_no} 已撤销", batch_id=batch.id)
            card.batch_id = None
    db.session.execute(
        update(CardBatchMember)
        .where(CardBatchMember.batch_id == batch.id)
        .values(open_member_id=None)
    )
    batch.status = BatchStatus.REVOKED
    return len(links)


def org_name(org_id: int) -> str:
    org = db.session.get(Org, org_id)
    if org is None:
        raise NotFound()
    return org.name
