"""实名与手机绑定 and 我的 (GET /me): the member's own profile, membership, card, coverage."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import aliased

from ..cards.models import MemberCard
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..fastread import Read
from ..insurance.models import CoveragePlan, Enrolment
from ..members.idcard import normalise_text, today_in_china
from ..members.models import Member
from ..members.rules import clean_identity, clean_mobile
from ..orgs.models import Org
from ..security.crypto import blind_index
from . import wechat
from .models import JoinApplication, JoinStatus, MemberUser

OTHER_ACCOUNT = "该证件号码已绑定其他微信账号；如非本人操作，请联系所在工会"
PHONE_FIRST = "请先绑定手机号，再进行实名认证"
OTHER_MOBILE = "会员库中登记的手机号与您绑定的手机号不一致，请联系所在工会核实手机号后再试"


def bind_phone(user: MemberUser, phone_code: str) -> MemberUser:
    """手机号快速验证: WeChat tells the number; it must be a mainland mobile."""
    with wechat.calling("phone_code"):
        number = wechat.client().phone_number(phone_code)
    try:
        mobile = clean_mobile(number)
    except ValidationFailed:
        raise ValidationFailed(
            "请使用中国大陆手机号码绑定", {"phone_code": ["该微信绑定的不是中国大陆手机号码"]}
        ) from None
    return set_mobile(user, mobile)


def set_mobile(user: MemberUser, mobile: str) -> MemberUser:
    """The mobile WeChat told or an SMS code proved (clean, mainland) becomes the user's."""
    user.mobile, user.mobile_bidx = mobile, blind_index("mobile", mobile)
    return user


def bind_identity(user: MemberUser, data: dict) -> MemberUser:
    """实名认证: checked as the registry checks it; links the member record when name and ID
    match one; an ID bound to another WeChat account is refused.

    Knowing a member's name and ID number is not enough to take the record over: the phone
    must be bound first, and a member with a mobile on record is linked only to the WeChat
    user who bound that same mobile (compared by blind index)."""
    if not user.mobile_bidx:
        raise Conflict(PHONE_FIRST, {"phone": [PHONE_FIRST]})
    name = normalise_text(data.get("name"))
    if not name:
        raise ValidationFailed("姓名不能为空！", {"name": ["姓名不能为空！"]})
    clean = clean_identity(
        {k: data.get(k) for k in ("id_type", "id_number", "country", "gender", "birth_date")}
    )
    expiry = data.get("id_expiry")
    if expiry is not None and expiry <= today_in_china():
        raise ValidationFailed("证件已过期，请核对证件到期日", {"id_expiry": ["证件已过期"]})
    bidx = blind_index("id_number", clean["id_number"])
    other = db.session.scalar(
        select(MemberUser.id).where(MemberUser.id_number_bidx == bidx, MemberUser.id != user.id)
    )
    if other is not None:
        raise Conflict(OTHER_ACCOUNT, {"id_number": [OTHER_ACCOUNT]})
    if user.member_id is not None and user.id_number_bidx != bidx:
        raise Conflict(
            "您已绑定会员身份，不能更换证件号码；如需更正请联系所在工会",
            {"id_number": ["已绑定会员身份"]},
        )
    member = db.session.scalar(select(Member).where(Member.id_number_bidx == bidx))
    if member is not None and user.member_id is None:
        if normalise_text(member.name) != name:
            raise ValidationFailed(
                "姓名与会员库中该证件号码的登记不一致，请核对；如有疑问请联系所在工会",
                {"name": ["与会员库登记不一致"]},
            )
        taken = db.session.scalar(
            select(MemberUser.id).where(MemberUser.member_id == member.id, MemberUser.id != user.id)
        )
        if taken is not None:
            raise Conflict(OTHER_ACCOUNT, {"id_number": [OTHER_ACCOUNT]})
        if member.mobile_bidx and member.mobile_bidx != user.mobile_bidx:
            raise Conflict(OTHER_MOBILE, {"mobile": [OTHER_MOBILE]})
        user.member_id = member.id
    user.name, user.id_number, user.id_number_bidx = name, clean["id_number"], bidx
    user.id_type, user.country = clean["id_type"], clean["country"]
    user.gender, user.birth_date = clean["gender"], clean["birth_date"]
    if expiry is not None:
        user.id_expiry = expiry
    db.session.flush()
    return user


def linked_member(user: MemberUser) -> Member | None:
    return db.session.get(Member, user.member_id) if user.member_id else None


def overview(user: MemberUser) -> dict:
    """GET /me: profile, membership, the open join application, card status, coverage."""
    out = {
        "profile": user,
        "bound": bool(user.id_number_bidx and user.mobile_bidx),
        "membership": None,
        "join_application": None,
        "card": None,
        "coverage": None,
    }
    row = None
    if user.member_id:  # one round trip: the member, the union, the card, this year's cover
        params = {"member_id": user.member_id, "year": today_in_china().year}
        row = _OVERVIEW.first(params)
    if row is None:
        out["join_application"] = db.session.scalar(
            select(JoinApplication)
            .where(JoinApplication.user_id == user.id, JoinApplication.status == JoinStatus.PENDING)
            .limit(1)
        )
        return out
    out["membership"] = {
        "union_id": row.org_id,
        "union": row.union,
        "member_no": row.member_no,
        "status": row.status.value,
        "source": row.source.value,
        "join_date": row.join_date,
    }
    if row.card_id is not None:
        out["card"] = {name: getattr(row, f"card_{name}") for name in _CARD_FIELDS}
    if row.enrolment_id is not None:
        out["coverage"] = {
            "year": row.enrolment_year,
            "status": row.enrolment_status.value,
            "plan": row.plan,
            "kind": row.enrolment_kind.value,
            "start_date": row.enrolment_start_date,
            "end_date": row.enrolment_end_date,
            "covered": row.enrolment_status.value == "已完成",
        }
    return out


# what GET /me answers of the card (MiniCardStatusOut), read as columns (no entities)
_CARD_FIELDS = ("status", "channel", "verification", "card_no", "applied_at", "individual")
_ENROLMENT_FIELDS = ("id", "year", "status", "kind", "start_date", "end_date")


def _overview_statement():
    """Built once: the member's membership columns, the union's name, the card's and this
    year's enrolment's (the one holding the year, else the latest) and the plan's name.
    Only the columns answered: no entity to build, no personal number to decrypt but the
    card number's."""
    held = aliased(Enrolment)
    this_years = (
        select(held.id)
        .where(held.member_id == bindparam("member_id"), held.year == bindparam("year"))
        .order_by(held.holding_member_id.is_(None), held.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(
            Member.org_id,
            Org.name.label("union"),
            Member.member_no,
            Member.status,
            Member.source,
            Member.join_date,
            MemberCard.id.label("card_id"),
            *(getattr(MemberCard, name).label(f"card_{name}") for name in _CARD_FIELDS),
            *(getattr(Enrolment, n).label(f"enrolment_{n}") for n in _ENROLMENT_FIELDS),
            CoveragePlan.name.label("plan"),
        )
        .join(Org, Org.id == Member.org_id)
        .outerjoin(MemberCard, MemberCard.member_id == Member.id)
        .outerjoin(Enrolment, Enrolment.id == this_years)
        .outerjoin(CoveragePlan, CoveragePlan.id == Enrolment.plan_id)
        .where(Member.id == bindparam("member_id"))
    )


_OVERVIEW = Read(_overview_statement)
