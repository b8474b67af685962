"""入会申请: an individual applies to a union that accepts individuals; the union approves
(the member is created or linked, 正常, with a member number) or rejects with a reason."""

from __future__ import annotations

from sqlalchemy import select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from ..extensions import db
from ..members.idcard import free_text, normalise_text, today_in_china
from ..members.models import Member, MemberSource, MemberStatus
from ..members.services import activate, apply_status
from ..models_base import utcnow
from ..orgs.models import Org, OrgLevel, in_subtree, within
from .models import JoinApplication, JoinSource, JoinStatus, MemberUser

# The one transition function's table: only 待审核 moves, to one of these (the verb).
TRANSITIONS = {
    JoinStatus.APPROVED: "通过",
    JoinStatus.REJECTED: "驳回",
    JoinStatus.WITHDRAWN: "撤回",
}


def move(application: JoinApplication, target: JoinStatus) -> None:
    if application.status != JoinStatus.PENDING or target not in TRANSITIONS:
        raise InvalidTransition(
            f"该入会申请{application.status.value}，不能再{TRANSITIONS.get(target, '变更')}"
        )
    application.status = target
    application.open_user_id = None


def unions(f: dict):
    """Unions that accept individual members (grassroots, active), by name and district code."""
    stmt = select(Org).where(
        Org.accepts_individuals.is_(True), Org.active.is_(True), Org.level == OrgLevel.GRASSROOTS
    )
    if f.get("q"):
        stmt = stmt.where(Org.name.contains(normalise_text(f["q"]), autoescape=True))
    if f.get("district"):
        district = db.session.scalar(select(Org).where(Org.district_code == f["district"]))
        if district is None:
            return stmt.where(Org.id.is_(None))
        stmt = stmt.where(within(Org.path, district.path))
    return stmt.order_by(Org.name)


def district_of(org: Org) -> Org | None:
    return db.session.scalar(
        select(Org).where(Org.id.in_(org.ancestor_ids()), Org.level == OrgLevel.DISTRICT)
    )


def _clean_address(value, required: bool) -> str | None:
    address = free_text(value)
    if not address:
        if required:
            raise ValidationFailed(
                "企业外入会请填写工作单位地址", {"work_unit_address": ["必填项，请填写"]}
            )
        return None
    if not 6 <= len(address) <= 20:
        raise ValidationFailed(
            "工作单位地址应为6至20个字", {"work_unit_address": ["工作单位地址应为6至20个字"]}
        )
    return address


def apply(user: MemberUser, data: dict) -> JoinApplication:
    if not user.id_number_bidx:
        raise Conflict("请先完成实名认证（姓名和证件号码），再申请入会")
    if not user.mobile_bidx:
        raise Conflict("请先绑定手机号码，再申请入会")
    if user.member_id is not None:
        raise Conflict("您已是工会会员，无需再次申请入会")
    if db.session.scalar(select(Member.id).where(Member.id_number_bidx == user.id_number_bidx)):
        raise Conflict("您的证件号码已在会员库中登记，请联系所在工会核对信息")
    org = db.session.get(Org, data["union_id"])
    if org is None or not (org.accepts_individuals and org.active):
        raise NotFound("未找到该工会，或该工会不接收个人入会", {"union_id": ["请重新选择工会"]})
    source = JoinSource(data["source"])
    address = _clean_address(data.get("work_unit_address"), source == JoinSource.OUTSIDE)
    pending = db.session.scalar(
        select(JoinApplication).where(JoinApplication.open_user_id == user.id)
    )
    if pending is not None:
        raise Conflict(f"您已向【{pending.org.name}】提交入会申请，请等待审核或先撤回")
    application = JoinApplication(
        user_id=user.id,
        open_user_id=user.id,  # unique: a second tap at the same moment fails as one 409
        org_id=org.id,
        source=source,
        work_unit_address=address,
        status=JoinStatus.PENDING,
    )
    db.session.add(application)
    db.session.flush()
    return application


def current(user: MemberUser) -> JoinApplication:
    application = db.session.scalar(
        select(JoinApplication)
        .where(JoinApplication.user_id == user.id)
        .order_by(JoinApplication.id.desc())
        .limit(1)
    )
    if application is None:
        raise NotFound("您还没有提交入会申请")
    return application


def withdraw(user: MemberUser) -> JoinApplication:
    application = current(user)
    move(application, JoinStatus.WITHDRAWN)
    application.decided_at = utcnow()
    return application


# --- the union's side (admin) -------------------------------------------------------------
def list_applications(scope: Scope, f: dict):
    stmt = select(JoinApplication).where(scope.owned_by(JoinApplication.org_id))
    if f.get("org_id"):
        org = scope.get_org(f["org_id"])
        stmt = stmt.where(in_subtree(JoinApplication.org_id, org.id, org.path, org.level))
    if f.get("status"):
        stmt = stmt.where(JoinApplication.status == JoinStatus(f["status"]))
    return stmt.order_by(JoinApplication.id.desc())


def get_application(scope: Scope, application_id: int) -> JoinApplication:
    return scope.get(
        JoinApplication, application_id, message="未找到该入会申请，或不在您的管辖范围内"
    )


def _decide(scope: Scope, application: JoinApplication, target: JoinStatus) -> None:
    move(application, target)
    application.decided_by, application.decided_by_name = scope.account_id, scope.account_name
    application.decided_at = utcnow()


def approve(scope: Scope, application_id: int, *, ip=None) -> JoinApplication:
    """通过: create the member in the union (正常, a number), or link the one already there."""
    scope.require("member.write")
    application = get_application(scope, application_id)
    user = db.session.get(MemberUser, application.user_id, with_for_update=True)
    if application.status != JoinStatus.PENDING:
        move(application, JoinStatus.APPROVED)  # raises the typed error
    if user.member_id is not None:
        raise Conflict("该微信用户已绑定会员，请驳回此申请")
    org = application.org
    member = db.session.scalar(select(Member).where(Member.id_number_bidx == user.id_number_bidx))
    if member is None:
        member = _create_member(scope, application, user, org)
    elif member.org_id != org.id:
        where = member.org.name if scope.contains_path(member.org.path) else "其他工会"
        raise Conflict(f"该证件号码已在【{where}】登记为会员，不能重复入会")
    elif member.status != MemberStatus.ACTIVE:
        apply_status(scope, member, MemberStatus.ACTIVE, "个人入会申请审核通过")
    if db.session.scalar(select(MemberUser.id).where(MemberUser.member_id == member.id)):
        raise Conflict("该会员已绑定其他微信账号，请驳回此申请")
    _decide(scope, application, JoinStatus.APPROVED)
    application.member_id = user.member_id = member.id
    db.session.flush()
    audit.record(
        scope,
        "join.approve",
        target_type="member",
        target_ids=[member.id],
        detail={"application_id": application.id, "member_no": member.member_no},
        ip=ip,
    )
    return application


def _create_member(scope: Scope, application, user: MemberUser, org: Org) -> Member:
    if org.level != OrgLevel.GRASSROOTS:
        raise Conflict("会员须登记在基层工会下，该工会不能直接接收会员")
    if user.mobile_bidx and db.session.scalar(
        select(Member.id).where(Member.mobile_bidx == user.mobile_bidx)
    ):
        raise Conflict("该申请人的手机号码已被其他会员使用，请核对后处理")
    member = Member(
        org_id=org.id,
        name=user.name,
        id_type=user.id_type,
        id_number=user.id_number,
        id_number_bidx=user.id_number_bidx,
        id_expiry=user.id_expiry,
        country=user.country or "中国",
        gender=user.gender,
        birth_date=user.birth_date,
        mobile=user.mobile,
        mobile_bidx=user.mobile_bidx,
        work_address=application.work_unit_address,
        join_date=today_in_china(),
        source=MemberSource(application.source.value),
        status=MemberStatus.ACTIVE,
    )
    db.session.add(member)
    activate(member, org)
    db.session.flush()
    audit.record(
        scope,
        "member.create",
        target_type="member",
        target_ids=[member.id],
        detail={"via": "入会申请", "application_id": application.id},
    )
    return member


def reject(scope: Scope, application_id: int, reason: str, *, ip=None) -> JoinApplication:
    scope.require("member.write")
    application = get_application(scope, application_id)
    reason = free_text(reason)
    if not reason:
        raise ValidationFailed("请填写驳回原因", {"reason": ["必填项，请填写"]})
    _decide(scope, application, JoinStatus.REJECTED)
    application.reason = reason[:200]
    audit.record(
        scope,
        "join.reject",
        target_type="join_application",
        target_ids=[application.id],
        detail={"reason": application.reason},
        ip=ip,
    )
    return application
