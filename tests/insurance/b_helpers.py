"""Helper B's test data: unit submissions and enrolments made directly with the models (the
state a unit's 提交至区局审核 leaves), a Shanghai clock to freeze, and small API helpers.

``submit_for(iw, key, members, kind=...)`` answers a UnitSubmission (区局确认中) holding an
Enrolment per member, with the plan's shares, the unit's district as reviewer.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import select

from tests.insurance.helpers import INSURANCE, freeze_today, login
from unioncard.extensions import db
from unioncard.insurance.models import (
    Enrolment,
    EnrolmentKind,
    EnrolmentStatus,
    SubmissionStatus,
    UnitSubmission,
)
from unioncard.orgs.models import Org, OrgLevel

REVIEW = f"{INSURANCE}/review"
BATCHES = f"{INSURANCE}/batches"
HANDLER = {
    "handler_name": "王经办",
    "handler_phone": "13812341234",
    "handler_email": "wang@example.com",
}


def district_of(org: Org) -> Org:
    for org_id in reversed(org.ancestor_ids()):
        found = db.session.get(Org, org_id)
        if found.level == OrgLevel.DISTRICT:
            return found
    raise AssertionError(f"{org.name} has no district")


def submit_for(
    iw,
    key: str,
    members=None,
    *,
    kind: EnrolmentKind = EnrolmentKind.CARD,
    year: int = 2027,
    plan=None,
    start: date | None = None,
    grassroots_share: Decimal | None = None,
) -> UnitSubmission:
    """A unit's submission (区局确认中) with one enrolment per member, made directly."""
    org = iw.org(key)
    plan = plan or iw.plan
    members = members if members is not None else iw.members[key]
    district = district_of(org)
    city, dist = plan.city_share, plan.district_share
    grass = plan.grassroots_share if grassroots_share is None else grassroots_share
    individual = Decimal("0.00")
    if kind == EnrolmentKind.PERSONAL:
        individual, grass = plan.fee - city - dist, Decimal("0.00")
    fee = city + dist + grass + individual
    sub = UnitSubmission(
        org_id=org.id,
        district_id=district.id,
        year=year,
        plan_id=plan.id,
        kind=kind,
        status=SubmissionStatus.SUBMITTED,
        member_count=len(members),
        fee_total=fee * len(members),
        city_total=city * len(members),
        district_total=dist * len(members),
        grassroots_total=grass * len(members),
        submitted_by_name=f"{key}经办",
    )
    db.session.add(sub)
    db.session.flush()
    for m in members:
        db.session.add(
            Enrolment(
                member_id=m.id,
                holding_member_id=m.id,
                org_id=org.id,
                year=year,
                plan_id=plan.id,
                kind=kind,
                status=EnrolmentStatus.SUBMITTED,
                start_date=start or date(year, 1, 1),
                end_date=date(year, 12, 31),
                fee=fee,
                city_share=city,
                district_share=dist,
                grassroots_share=grass,
                individual_share=individual,
                submission_id=sub.id,
            )
        )
    db.session.commit()
    return sub


def enrolments_of(sub_id: int) -> list[Enrolment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Enrolment).where(Enrolment.submission_id == sub_id).order_by(Enrolment.id)
        )
    )


def reload(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


def pdf_bytes(text: str = "voucher 2027") -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, text)
    c.showPage()
    c.save()
    return out.getvalue()


def upload(client, headers, batch_id: int, data: bytes, name: str, **form):
    body = {"file": (io.BytesIO(data), name), **form}
    return client.post(
        f"{BATCHES}/{batch_id}/voucher",
        headers=headers,
        data=body,
        content_type="multipart/form-data",
    )


def sent_batch(client, iw, time_machine, *keys, social: bool = True) -> tuple[dict, list]:
    """dA accepts its units' submissions and sends them to 职保中心 on 2026-12-28 (inside
    the 2027 district window); the Shanghai clock stays there. (batch answer, submissions)."""
    subs = [submit_for(iw, key) for key in keys or ("gA1",)]
    if social:
        subs.append(submit_for(iw, "gA1", iw.uncarded["gA1"], kind=EnrolmentKind.SOCIAL))
    h = login(client, "da_reviewer")
    r = client.post(f"{REVIEW}/accept", headers=h, json={"submission_ids": [s.id for s in subs]})
    assert r.status_code == 200, r.get_json()
    freeze_today(time_machine, date(2026, 12, 28))
    r = client.post(f"{REVIEW}/submit", headers=h, json=HANDLER)
    assert r.status_code == 201, r.get_json()
    return r.get_json(), subs
