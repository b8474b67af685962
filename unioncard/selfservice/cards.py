"""个人办卡申请 (小程序): the member's own card application, through the collective pipeline.

The same steps and functions as a union's clerk uses (``cards.pending.add_to_pending`` with
its channel rule and card log, ``cards.checks.check_rows`` against the registers,
``cards.batches.submit`` writing the batch and its outbox row, the bank's callbacks), with
one decision of our own: **each application is a batch of one**, submitted by the system
as soon as it is ready, so a member never waits for the union's next collective batch and
the union's lists are never blocked by a member's data (``MemberCard.individual`` keeps
these cards out of the union's collective submit, check start and bulk removal).

- 普通通道: 加入待办 → 校验中 (a task asks the registers about this one member) → passed: a
  batch of one to the bank; failed: removed from the pending list, the application
  校验未通过 with the reasons (fix, then apply again).
- 特殊通道 (papers other than 身份证, names the bank cannot print): the member's data is
  complete (type, expiry, country), so the batch of one is submitted at once.
- Cancel: while checking (the card leaves the pending list), or while the batch is still
  待发送 (its outbox row is withdrawn atomically: the conditional UPDATE only succeeds if
  the delivery task has not sent it; on PostgreSQL the task holds the row while sending).
  Once sent, 409: the union may still ask the bank to revoke the batch.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from ..accounts.models import Role
from ..accounts.scope import Scope
from ..cards import batches, checks
from ..cards.log import SYSTEM, log, move
from ..cards.models import (
    BankOutbox,
    BatchStatus,
    CardBatch,
    CardLogEntry,
    CardStatus,
    Channel,
    MemberCard,
    OutboxKind,
    OutboxStatus,
    Verification,
)
from ..cards.pending import add_to_pending, card_of
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..fastread import Read, columns_of, entities
from ..members.idcard import free_text, normalise_text, today_in_china
from ..members.models import Member
from ..models_base import utcnow
from ..orgs.models import BankBranch, Org
from ..orgs.services import branch_codes_for
from ..tasks_runtime import after_commit
from . import timeline
from .models import CardApplication, CardApplicationStatus, MemberUser

SELF = "本人（小程序）"
OPEN = (CardApplicationStatus.CHECKING, CardApplicationStatus.SUBMITTED)
S = CardApplicationStatus


def acting_scope(member: Member, actor: str) -> Scope:
    """The pipeline's functions take a Scope: here the member's own union and nothing more,
    acting as the member (or the system) with the clerk's card permissions."""
    org = db.session.get(Org, member.org_id)
    return Scope(None, actor, Role.OPERATOR, org.id, org.path, org.level)


def _member_of(user: MemberUser) -> Member:
    member = db.session.get(Member, user.member_id) if user.member_id else None
    if member is None:
        raise Conflict("您还不是工会会员，请先完成实名认证并申请入会")
    return member


def apply(user: MemberUser, data: dict) -> CardApplication:
    member = _member_of(user)
    expiry = data["id_expiry"]
    if expiry <= today_in_china():
        raise ValidationFailed("证件已过期，请核对证件到期日", {"id_expiry": ["证件已过期"]})
    address = free_text(data["mailing_address"])
    if not 5 <= len(address) <= 200:
        raise ValidationFailed(
            "请填写完整的邮寄地址（5 至 200 个字）", {"mailing_address": ["5 至 200 个字"]}
        )
    code = normalise_text(data["branch_code"])
    if code not in {c for c, _ in branch_codes_for(member.org)}:
        raise ValidationFailed("无效的领卡网点！", {"branch_code": ["请选择本区的领卡网点"]})
    branch = db.session.scalar(select(BankBranch).where(BankBranch.code == code))
    if db.session.scalar(
        select(CardApplication.id).where(
            CardApplication.member_id == member.id, CardApplication.status.in_(OPEN)
        )
    ):
        raise Conflict("您已有办理中的办卡申请，请查看办理进度")
    member.id_expiry = expiry
    scope = acting_scope(member, SELF)
    result = add_to_pending(scope, [member.id])
    if result["refused"]:
        raise Conflict(result["refused"][0]["reason"])
    card = card_of(member)
    card.individual = True
    application = CardApplication(
        user_id=user.id,
        member_id=member.id,
        org_id=member.org_id,
        status=S.CHECKING,
        branch_code=branch.code,
        branch_name=branch.name,
        mailing_address=address,
        id_expiry=expiry,
    )
    db.session.add(application)
    db.session.flush()
    if card.channel == Channel.NORMAL:
        card.verification, card.verification_reasons = Verification.CHECKING, []
        log(card, SELF, "提交系统校验", "个人申请，证件到期日 " + expiry.isoformat())
        from .tasks import check_card_application

        after_commit(db.session(), check_card_application, application.id)
    else:
        card.info_complete = True
        log(card, SELF, "完善信息", f"{member.id_type}，到期日 {expiry}，{member.country}")
        _submit(application, member, scope)
    return application


def _submit(application: CardApplication, member: Member, scope: Scope) -> None:
    card = card_of(member)
    batch = batches.submit(
        scope, member.org_id, card.channel.value, application.branch_code, member_ids=[member.id]
    )
    application.status, application.batch_id = S.SUBMITTED, batch.id


def run_checks(application_id: int, *, population, social_security) -> str:
    """The task body: check this one member, then submit or give the reasons. Commits."""
    application = db.session.get(CardApplication, application_id)
    if application is None or application.status != S.CHECKING:
        return "skipped"
    member = db.session.get(Member, application.member_id)
    card = card_of(member)
    if card.status != CardStatus.PENDING:
        return "skipped"
    if card.verification == Verification.CHECKING:
        checks.check_rows(
            [(member, card)],
            population=population,
            social_security=social_security,
            today=today_in_china(),
            counts={"passed": 0, "failed": 0},
        )
    # the member may have cancelled meanwhile: decide under the application's lock, taken
    # before the card's (the order cancel() takes them in)
    with db.session.no_autoflush:
        db.session.refresh(application, with_for_update=True)
    if application.status != S.CHECKING:
        db.session.rollback()
        return "cancelled"
    scope = acting_scope(member, SYSTEM)
    if card.verification == Verification.PASSED:
        _submit(application, member, scope)
        outcome = "submitted"
    else:
        _drop(application, card, card.verification_reasons or ["系统校验未通过"])
        outcome = "failed"
    db.session.commit()
    return outcome


def _drop(application: CardApplication, card: MemberCard, reasons: list[str]) -> None:
    text = "；".join(reasons)
    move(card, CardStatus.NONE, SYSTEM, "个人申请校验未通过：" + text)
    card.pending_since = None
    application.status, application.reasons = S.CHECK_FAILED, text


def give_up(application_id: int, message: str) -> None:
    """The registers stayed down: the application ends with the reason; apply again later."""
    application = db.session.get(CardApplication, application_id, with_for_update=True)
    if application is None or application.status != S.CHECKING:
        return
    card = card_of(db.session.get(Member, application.member_id))
    if card.status == CardStatus.PENDING:
        card.verification, card.verification_reasons = Verification.UNCHECKED, [message]
        _drop(application, card, [message])
    db.session.commit()


def current(user: MemberUser) -> CardApplication:
    application = db.session.scalar(
        select(CardApplication)
        .where(CardApplication.user_id == user.id)
        .order_by(CardApplication.id.desc())
        .limit(1)
    )
    if application is None:
        raise NotFound("您还没有提交办卡申请")
    return application


def cancel(user: MemberUser) -> CardApplication:
    application = db.session.scalar(
        select(CardApplication).where(CardApplication.id == current(user).id).with_for_update()
    )
    member = _member_of(user)
    card = card_of(member)
    if application.status == S.CHECKING and card.status == CardStatus.PENDING:
        move(card, CardStatus.NONE, SELF, "会员取消办卡申请")
        card.pending_since = None
    elif application.status == S.SUBMITTED:
        sent = "办卡申请已发送银行，不能取消；如需撤销请联系所在工会"
        if card.status != CardStatus.IN_PROGRESS:  # the bank has answered already
            raise Conflict(sent)
        # the outbox row first: the delivery task holds it while sending, then the batch
        withdrawn = db.session.execute(
            update(BankOutbox)
            .where(
                BankOutbox.batch_id == application.batch_id,
                BankOutbox.kind == OutboxKind.BATCH,
                BankOutbox.status == OutboxStatus.PENDING,
            )
            .values(status=OutboxStatus.FAILED, last_error="会员已取消申请，未发送")
        ).rowcount
        batch = db.session.get(CardBatch, application.batch_id, with_for_update=True)
        if batch.status != BatchStatus.QUEUED or withdrawn != 1:
            raise Conflict(sent)
        batches.release(batch, SELF)
    else:
        raise Conflict(f"办卡申请{application.status.value}，不能取消")
    application.status, application.cancelled_at = S.CANCELLED, utcnow()
    return application


def view(application: CardApplication) -> dict:
    """The application with its card (status, channel, verification) and its card log."""
    card, batch = db.session.execute(
        select(MemberCard, CardBatch)
        .outerjoin(CardBatch, CardBatch.id == application.batch_id)
        .where(MemberCard.member_id == application.member_id)
    ).first() or (None, None)
    return _view(application, card, batch)


def current_view(user: MemberUser) -> dict:
    """``view(current(user))`` in two round trips instead of three: the latest application,
    its card and its batch in one query (built once), then the card log."""
    row = _CURRENT.first({"user_id": user.id})
    if row is None:
        raise NotFound("您还没有提交办卡申请")
    application, card, batch = entities(row, CardApplication, MemberCard, CardBatch)
    return _view(application, card, batch if card is not None else None)


_CURRENT = Read(
    lambda: (
        select(*columns_of(CardApplication, MemberCard, CardBatch))
        .select_from(CardApplication)
        .outerjoin(MemberCard, MemberCard.member_id == CardApplication.member_id)
        .outerjoin(CardBatch, CardBatch.id == CardApplication.batch_id)
        .where(CardApplication.user_id == bindparam("user_id"))
        .order_by(CardApplication.id.desc())
        .limit(1)
    )
)
_LOG = Read(
    lambda: (
        select(*columns_of(CardLogEntry))
        .where(CardLogEntry.member_id == bindparam("member_id"))
        .order_by(CardLogEntry.id)
    )
)


def _view(application: CardApplication, card: MemberCard | None, batch: CardBatch | None):
    rows = _LOG.all({"member_id": application.member_id})
    session = db.session()
    entries = [entity for row in rows for entity in entities(row, CardLogEntry, session=session)]
    return {
        "id": application.id,
        "status": application.status.value,
        "card_status": card.status.value if card else CardStatus.NONE.value,
        "channel": card.channel.value if card else None,
        "channel_reason": card.channel_reason if card else None,
        "verification": card.verification.value if card else None,
        "verification_reasons": (
            application.reasons.split("；")
            if application.reasons
            else (card.verification_reasons if card else [])
        ),
        "branch_code": application.branch_code,
        "branch_name": application.branch_name,
        "mailing_address": application.mailing_address,
        "id_expiry": application.id_expiry,
        "batch_no": batch.batch_no if batch else None,
        "batch_status": batch.status.value if batch else None,
        "card_no": card.card_no if card else None,
        "failure_reason": card.failure_reason if card else None,
        "created_at": application.created_at,
        "cancelled_at": application.cancelled_at,
        "log": entries,
        "stages": timeline.stages(application, card, entries),
        "cancellable": application.status == S.CHECKING
        or (
            application.status == S.SUBMITTED
            and batch is not None
            and batch.status == BatchStatus.QUEUED
        ),
    }
