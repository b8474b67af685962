"""社保卡参保: "获取社保卡和就业状态" from the social-security register, the 待校验 / 待提交
lists, and the submission of the ticked members.

A check covers the union's 身份证 members without a card who are not enrolled for the year;
the register answers by the next working day (here: as soon as the task has run). A second
click while a check is waiting is refused; a failed check may be started again.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import literal, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict
from ..extensions import db
from ..kvstore import exclusive
from ..members.models import Member
from ..members.models import SocialCardStatus as SocialCard
from ..members.register import apply_social_security
from ..models_base import utcnow
from ..tasks_runtime import after_commit
from ..workdays import add_workdays
from . import collective, plans, rules
from . import enrolling as e
from .models import CheckStatus, EnrolmentKind, SocialSecurityCheck
from .rules import fmt_date

CHUNK = 500
STALE_AFTER = timedelta(hours=6)  # a check left 查询中 this long (a lost worker) may be restarted
OUTAGE = "社保查询服务暂不可用，请稍后重新点击“获取社保卡和就业状态”"


def start_check(scope: Scope, org_id: int | None, year: int, *, ip=None) -> SocialSecurityCheck:
    org = e.union_of(scope, org_id)
    with exclusive(f"insurance.social_check.start:{org.id}", ttl=30) as acquired:
        if not acquired:
            raise Conflict("正在获取社保卡和就业状态，请稍后刷新查看")
        running = db.session.scalar(
            select(SocialSecurityCheck)
            .where(
                SocialSecurityCheck.org_id == org.id,
                SocialSecurityCheck.status == CheckStatus.WAITING,
                SocialSecurityCheck.requested_at > utcnow() - STALE_AFTER,
            )
            .limit(1)
        )
        if running is not None:
            raise Conflict(
                "已提交获取社保卡和就业状态的请求，预计"
                f"{fmt_date(running.expected_by)}前返回结果，请勿重复点击"
            )
        count = len(_member_ids(org.id, year))
        if count == 0:
            raise Conflict("本单位没有需要获取社保卡和就业状态的会员（身份证、未办卡、未参保）")
        check = SocialSecurityCheck(
            org_id=org.id,
            status=CheckStatus.WAITING,
            member_count=count,
            expected_by=add_workdays(plans.today(), 1),
            requested_by_name=scope.account_name,
        )
        db.session.add(check)
        db.session.flush()
        audit.record(
            scope,
            "insurance.social_check",
            target_type="social_security_check",
            target_ids=[check.id],
            detail={"members": count, "year": year},
            ip=ip,
        )
        from .tasks import social_check_task

        after_commit(db.session(), social_check_task, check.id, year)
    return check


def _member_ids(org_id: int, year: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Member.id).where(*e.social_base(org_id, year)).order_by(Member.id)
        )
    )


def run_check(check_id: int, year: int, client) -> SocialSecurityCheck | None:
    """The task body: ask the register in chunks, store each answer on the member, commit
    per chunk. A register outage marks the check 查询失败 (the clerk may start again)."""
    from integrations.verification.client import RegisterError

    check = db.session.get(SocialSecurityCheck, check_id)
    if check is None or check.status != CheckStatus.WAITING:
        return check
    ids = _member_ids(check.org_id, year)
    answered = 0
    try:
        for i in range(0, len(ids), CHUNK):
            members = list(
                db.session.scalars(select(Member).where(Member.id.in_(ids[i : i + CHUNK])))
            )
            answers = client.status([{"ref": str(m.id), "id_number": m.id_number} for m in members])
            by_ref = {str(a["ref"]): a for a in answers}
            for m in members:
                if str(m.id) in by_ref:
                    apply_social_security(m, by_ref[str(m.id)])
                    answered += 1
            check.answered_count = answered
            db.session.commit()
    except RegisterError:
        db.session.rollback()
        check = db.session.get(SocialSecurityCheck, check_id)
        check.status, check.error = CheckStatus.FAILED, OUTAGE
        check.answered_at = utcnow()
        db.session.commit()
        return check
    check.status, check.answered_at, check.answered_count = CheckStatus.ANSWERED, utcnow(), answered
    db.session.commit()
    return check


def checks(scope: Scope, f: dict):
    stmt = select(SocialSecurityCheck).where(scope.owned_by(SocialSecurityCheck.org_id))
    if f.get("org_id"):
        stmt = stmt.where(SocialSecurityCheck.org_id == scope.get_org(f["org_id"]).id)
    if f.get("status"):
        stmt = stmt.where(SocialSecurityCheck.status == f["status"])
    return stmt.order_by(SocialSecurityCheck.requested_at.desc(), SocialSecurityCheck.id.desc())


def get_check(scope: Scope, check_id: int) -> SocialSecurityCheck:
    return scope.get(SocialSecurityCheck, check_id, message="未找到该查询记录")


# --- lists -----------------------------------------------------------------------------
def social_list(scope: Scope, org_id: int | None, year: int, tab: str, f: dict | None = None):
    """待校验 or 待提交: rows of (Member, retirement_warning, year); filter by 社保卡状态."""
    org = e.union_of(scope, org_id)
    conds = e.social_to_submit(org.id, year) if tab == "待提交" else e.social_to_check(org.id, year)
    stmt = (
        select(Member, collective.warning_column(year), select_year(year))
        .where(*conds)
        .order_by(Member.id)
    )
    f = f or {}
    if f.get("social_card_status"):
        value = f["social_card_status"]
        stmt = stmt.where(
            Member.social_card_status.is_(None)
            if value == "未获取"
            else Member.social_card_status == SocialCard(value)
        )
    return collective._filtered(stmt, f)


def select_year(year: int):
    return literal(year).label("year")


def reason_for(member: Member, year: int, confirmed: bool = False) -> tuple[str | None, str]:
    """The list and the reason shown for one member (the same rules as the SQL lists)."""
    snap = rules.MemberSnapshot(
        status=member.status.value,
        id_type=member.id_type,
        card_status=None,
        insurance_status=member.insurance_status.value,
        social_card_status=member.social_card_status.value if member.social_card_status else None,
        employment_status=member.employment_status.value if member.employment_status else None,
        retired_on=member.retired_on,
        confirmed=confirmed,
    )
    return rules.social_state(snap, year)


def submit(scope: Scope, org_id: int | None, *, plan_id: int, year: int, member_ids, ip=None):
    """Tick & submit from 待提交 (社保卡参保)."""
    return collective.submit(
        scope,
        org_id,
        kind=EnrolmentKind.SOCIAL,
        plan_id=plan_id,
        year=year,
        member_ids=member_ids,
        ip=ip,
    )
