"""提交系统校验: the population and social-security registers and our own data checks.

Starting marks the union's normal-channel pending members 校验中 (a second click while one
runs is refused); the task asks the registers in chunks over HTTP and gives each member
已通过 or 未通过 with its reasons. The registers' answers also refresh the member's 人保状态,
社保卡状态 and 就业状态, which the insurance needs.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict
from ..extensions import db
from ..kvstore import exclusive
from ..members.idcard import is_valid_mobile, today_in_china
from ..members.models import Member
from ..members.register import apply_social_security
from ..models_base import utcnow
from ..tasks_runtime import after_commit
from .log import SYSTEM, log
from .models import CardStatus, Channel, MemberCard, Verification

CHUNK = 500


def start(scope: Scope, org_id: int | None, *, ip=None) -> int:
    org = scope.get_org(org_id or scope.org_id)
    with exclusive(f"cards.checks.start:{org.id}", ttl=30) as acquired:
        if not acquired:
            raise Conflict("系统校验正在启动，请稍后刷新查看结果")
        base = (
            select(MemberCard.id)
            .join(Member, Member.id == MemberCard.member_id)
            .where(
                Member.org_id == org.id,
                MemberCard.status == CardStatus.PENDING,
                MemberCard.channel == Channel.NORMAL,
                MemberCard.individual.is_(False),  # members' own applications check alone
            )
        )
        if db.session.scalar(base.where(MemberCard.verification == Verification.CHECKING).limit(1)):
            raise Conflict("系统校验正在进行中，请稍后刷新查看结果")
        ids = list(db.session.scalars(base.where(MemberCard.verification != Verification.PASSED)))
        if not ids:
            raise Conflict("普通通道没有需要校验的会员")
        db.session.execute(
            update(MemberCard)
            .where(MemberCard.id.in_(ids))
            .values(verification=Verification.CHECKING, verification_reasons=[])
        )
        audit.record(
            scope,
            "card.checks_start",
            target_type="org",
            target_ids=[org.id],
            detail={"members": len(ids)},
            ip=ip,
        )
        from .tasks import run_checks_task

        after_commit(db.session(), run_checks_task, org.id)
        db.session.flush()
    return len(ids)


def own_reasons(member: Member, today: date) -> list[str]:
    reasons = []
    address = member.work_address or ""
    if not 6 <= len(address) <= 20:
        reasons.append("工作单位地址应为6至20个字，请在会员信息中修改")
    if not member.mobile or not is_valid_mobile(member.mobile):
        reasons.append("手机号码无效，请在会员信息中修改")
    if member.id_expiry is None:
        reasons.append("未填写证件到期日，请修改证件到期日")
    elif member.id_expiry <= today:
        reasons.append("证件已过期，请修改证件到期日")
    return reasons


def register_reasons(pop: dict, ss: dict, coverage_start: date) -> list[str]:
    reasons = []
    if not pop.get("match", False):
        reasons.append("人口库比对未通过：姓名与身份证号码不符")
    if pop.get("deceased"):
        reasons.append("人口库：该人员已死亡")
    if ss.get("retired"):
        reasons.append(f"人保库：已退休（{ss.get('retired_on') or '日期未知'}）")
    return reasons


def run(org_id: int, *, population, social_security, today: date | None = None) -> dict:
    """The task body: check every 校验中 member of the union, a chunk at a time."""
    today = today or today_in_china()
    counts = {"passed": 0, "failed": 0}
    while True:
        rows = db.session.execute(
            select(Member, MemberCard)
            .join(MemberCard, MemberCard.member_id == Member.id)
            .where(
                Member.org_id == org_id,
                MemberCard.status == CardStatus.PENDING,
                MemberCard.verification == Verification.CHECKING,
            )
            .order_by(MemberCard.id)
            .limit(CHUNK)
        ).all()
        if not rows:
            return counts
        check_rows(
            rows, population=population, social_security=social_security, today=today, counts=counts
        )
        db.session.commit()


def check_rows(rows, *, population, social_security, today: date, counts: dict) -> None:
    """Ask the registers about these (member, card) rows and give each its verdict."""
    refs = {str(card.id): (member, card) for member, card in rows}
    pop = {
        a["ref"]: a
        for a in population.verify(
            [{"ref": ref, "name": m.name, "id_number": m.id_number} for ref, (m, _) in refs.items()]
        )
    }
    ss = {
        a["ref"]: a
        for a in social_security.status(
            [{"ref": ref, "id_number": m.id_number} for ref, (m, _) in refs.items()]
        )
    }
    now = utcnow()
    for ref, (member, card) in refs.items():
        apply_social_security(member, ss[ref])
        reasons = own_reasons(member, today) + register_reasons(pop[ref], ss[ref], today)
        card.verification = Verification.FAILED if reasons else Verification.PASSED
        card.verification_reasons = reasons
        card.verified_at = now
        log(
            card,
            SYSTEM,
            "系统校验",
            "已通过" if not reasons else "未通过：" + "；".join(reasons),
        )
        counts["failed" if reasons else "passed"] += 1


def abandon(org_id: int, message: str) -> None:
    """The registers stayed down: give the members back as 未校验 with the reason."""
    cards = db.session.scalars(
        select(MemberCard)
        .join(Member, Member.id == MemberCard.member_id)
        .where(Member.org_id == org_id, MemberCard.verification == Verification.CHECKING)
    )
    for card in cards:
        card.verification, card.verification_reasons = Verification.UNCHECKED, [message]
        log(card, SYSTEM, "系统校验", message)
    db.session.commit()
