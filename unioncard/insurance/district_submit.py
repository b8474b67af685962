"""提交列表中的参保信息: the district sends its 待提交参保列表 to 职保中心 (批次确认).

Only inside the campaign's district window (Campaign.district_from..district_to, both days
included, Shanghai calendar). The handler (经办人) gives a name, a mobile (stored encrypted,
masked in every answer) and an email. One ``InsuranceBatch`` (集中参保, 待缴费) takes every
accepted submission and enrolment (→ 职保中心确认中) and the district notice (区局告知书) is
issued. The batch is payable (voucher uploaded) until ``INSURANCE_DISTRICT_PAYMENT_WORKDAYS``
working days (China's official calendar) after the submission day (Shanghai date), so a
district submitting on the window's last day still has time to pay. Nothing changes a sent
submission after this except 职保中心's confirmation and the deadline job (see ``moves``).
"""

from __future__ import annotations

import re
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..extensions import db
from ..members import idcard
from ..members.idcard import is_valid_mobile, normalise_text
from ..orgs.models import Org, OrgLevel
from ..workdays import add_workdays
from .models import (
    COLLECTIVE_KINDS,
    BatchSource,
    Campaign,
    Enrolment,
    EnrolmentStatus,
    InsuranceBatch,
    InsuranceBatchStatus,
    SubmissionStatus,
    UnitSubmission,
)
from .moves import move_enrolments, move_submissions
from .review import enrolment_totals

S = SubmissionStatus
E = EnrolmentStatus
EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
PREFIX = {BatchSource.COLLECTIVE: "BX", BatchSource.INSTANT: "JS"}


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def district_of(scope: Scope) -> Org:
    """The caller's union, which must be a 区局(产业)工会."""
    scope.require("insurance.review")
    org = db.session.get(Org, scope.org_id)
    if org is None or org.level != OrgLevel.DISTRICT:
        raise PermissionDenied("只有区局（产业）工会可以提交参保信息至职保中心")
    return org


def next_batch_no(district: Org, year: int, source: BatchSource) -> str:
    """批次编号, e.g. BX2027-101-0001: per district, year and source, in order.

    The district's row is locked first so that two submissions of one district never pick
    the same number (the unique batch_no would refuse the second anyway)."""
    db.session.execute(select(Org.id).where(Org.id == district.id).with_for_update())
    prefix = f"{PREFIX[source]}{year}-{district.district_code or district.id}-"
    count = db.session.scalar(
        select(func.count())
        .select_from(InsuranceBatch)
        .where(InsuranceBatch.batch_no.startswith(prefix, autoescape=True))
    )
    return f"{prefix}{count + 1:04d}"


def new_batch(district: Org, year: int, source: BatchSource, status, where_enrolments, **kw):
    """An InsuranceBatch with totals summed from the enrolments it will hold."""
    totals = enrolment_totals(where_enrolments)
    totals.pop("individual_total")
    batch = InsuranceBatch(
        batch_no=next_batch_no(district, year, source),
        org_id=district.id,
        year=year,
        source=source,
        status=status,
        **totals,
        **kw,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def payment_workdays() -> int:
    """Working days the district has to pay a collective batch after submitting it."""
    return int(current_app.config.get("INSURANCE_DISTRICT_PAYMENT_WORKDAYS", 5))


def check_handler(data: dict) -> dict:
    """经办人 name, mobile and email, each checked with a Chinese message."""
    errors = {}
    name = normalise_text(data.get("handler_name"))
    phone = normalise_text(data.get("handler_phone"))
    email = normalise_text(data.get("handler_email"))
    if not name:
        errors["handler_name"] = ["请填写经办人姓名"]
    elif len(name) > 50:
        errors["handler_name"] = ["经办人姓名最多50个字"]
    if not is_valid_mobile(phone):
        errors["handler_phone"] = ["请填写11位有效的手机号码"]
    if not EMAIL.fullmatch(email) or len(email) > 100:
        errors["handler_email"] = ["邮箱格式不正确，例如 name@example.com"]
    if errors:
        raise ValidationFailed("经办人信息有误，请按提示修改", errors)
    return {"handler_name": name, "handler_phone": phone, "handler_email": email}


def _year_to_send(district: Org, year: int | None) -> int:
    years = db.session.scalars(
        select(UnitSubmission.year)
        .where(
            UnitSubmission.district_id == district.id,
            UnitSubmission.status == S.ACCEPTED,
            UnitSubmission.kind.in_(COLLECTIVE_KINDS),
        )
        .distinct()
    ).all()
    if year is None:
        if not years:
            raise Conflict("待提交参保列表为空，请先将待审批的参保信息添加至待提交")
        if len(years) > 1:
            raise ValidationFailed(
                "待提交参保列表中有多个保障年度，请选择要提交的年度", {"year": ["请选择年度"]}
            )
        return years[0]
    if year not in years:
        raise Conflict(f"待提交参保列表中没有{year}年度的参保信息")
    return year


def check_window(campaign: Campaign | None, year: int, today: date) -> Campaign:
    if campaign is None:
        raise Conflict(f"职保中心尚未开启{year}年度集中参保，不能提交")
    if not (campaign.district_from <= today <= campaign.district_to):
        raise Conflict(
            f"区局（产业）工会提交至职保中心的时间为{cn_date(campaign.district_from)}至"
            f"{cn_date(campaign.district_to)}（含首尾两日），今天（{cn_date(today)}）"
            "不在此时间段内，不能提交"
        )
    return campaign


def submit_to_centre(scope: Scope, data: dict, *, ip=None) -> InsuranceBatch:
    """确认提交至职保中心: one batch of the whole 待提交参保列表 for the year."""
    district = district_of(scope)
    handler = check_handler(data)
    year = _year_to_send(district, data.get("year"))
    campaign = db.session.scalar(select(Campaign).where(Campaign.year == year))
    today = idcard.today_in_china()
    check_window(campaign, year, today)

    subs = select(UnitSubmission.id).where(
        UnitSubmission.district_id == district.id,
        UnitSubmission.year == year,
        UnitSubmission.status == S.ACCEPTED,
        UnitSubmission.kind.in_(COLLECTIVE_KINDS),
    )
    ids = list(db.session.scalars(subs.order_by(UnitSubmission.id).with_for_update()))
    enrolled = Enrolment.submission_id.in_(ids) & (Enrolment.status == E.ACCEPTED)
    batch = new_batch(
        district,
        year,
        BatchSource.COLLECTIVE,
        InsuranceBatchStatus.AWAITING_PAYMENT,
        enrolled,
        payment_deadline=add_workdays(today, payment_workdays()),
        submitted_by_name=scope.account_name,
        **handler,
    )
    if batch.member_count == 0:
        raise Conflict("待提交参保列表中没有参保人员，不能提交")
    moved = move_submissions(UnitSubmission.id.in_(ids), [S.ACCEPTED], S.SENT, batch_id=batch.id)
    if moved != len(ids):
        raise Conflict("待提交参保列表已被他人修改，请刷新后重试")
    move_enrolments(enrolled, [E.ACCEPTED], E.SENT, batch_id=batch.id)
    from .notices import issue_district_notice  # helper A's module

    notice = issue_district_notice(batch, scope.account_name)
    audit.record(
        scope,
        "insurance.submit_to_centre",
        target_type="insurance_batch",
        target_ids=[batch.id],
        detail={
            "batch_no": batch.batch_no,
            "submissions": len(ids),
            "members": batch.member_count,
            "fee_total": str(batch.fee_total),
            "notice_id": notice.id if notice is not None else None,
        },
        ip=ip,
    )
    db.session.flush()
    return batch
