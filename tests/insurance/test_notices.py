"""告知书: the unit notice worded as seed 002 with the union's real cumulative counts, the
district notice with the centre's account, storage, immutability and audited downloads."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from tests.insurance.helpers import INSURANCE, login
from unioncard.audit.models import AuditRecord
from unioncard.extensions import db
from unioncard.insurance import notices
from unioncard.insurance.models import (
    BatchSource,
    Enrolment,
    InsuranceBatch,
    InsuranceBatchStatus,
    Notice,
)
from unioncard.members.models import EmploymentStatus
from unioncard.members.models import SocialCardStatus as SocialCard


def pdf_text(data: bytes) -> str:
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return "".join(text.split())  # the layout breaks lines anywhere


def download(client, notice_id, user="ga1_operator"):
    r = client.get(f"{INSURANCE}/notices/{notice_id}/pdf", headers=login(client, user))
    return r


def test_unit_notice_has_the_seed_wording_and_real_counts(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    h = login(client, "ga1_operator")
    first = client.post(
        f"{INSURANCE}/unions/{g.id}/collective/submit",
        json={"kind": "会员卡参保", "plan_id": iw.plan.id, "year": 2027},
        headers=h,
    ).get_json()
    for m in iw.uncarded["gA1"]:
        m.social_card_status, m.employment_status = SocialCard.NORMAL, EmploymentStatus.EMPLOYED
    db.session.commit()
    second = client.post(
        f"{INSURANCE}/unions/{g.id}/social/submit",
        json={
            "plan_id": iw.plan.id,
            "year": 2027,
            "member_ids": [m.id for m in iw.uncarded["gA1"]],
        },
        headers=h,
    ).get_json()
    assert second["notice_id"] != first["notice_id"]

    r = download(client, second["notice_id"])
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert b"/FontFile2" in r.data  # the Chinese font is embedded
    text = pdf_text(r.data)
    expected = (
        "告知书"
        f"{g.name}："
        "你会集中参保2027年度上海工会会员专享基本保障计划，截至今日参加A类会员共计6人"
        "（会员卡参保4人，社保卡参保2人），请于2026年12月25日之前根据你会所在区、局（产业）"
        "工会的安排将你会需要承担的参保资金划入所属区、局（产业）工会帐户，保障日期为2027年1月"
        "1日起至2027年12月31日。逾期未划款则所有参保均无效，需按照即时参保流程另行办理参保手续，"
        "即时参保的保障日期自办理参保日的次日至2027年12月31日止。"
        "上海市总工会职工服务中心"
        "2026年11月22日"
    )
    assert text == expected
    # the first notice keeps what it said then
    assert "共计4人（会员卡参保4人，社保卡参保0人）" in pdf_text(
        download(client, first["notice_id"]).data
    )
    listed = client.get(f"{INSURANCE}/notices?org_id={g.id}", headers=h).get_json()
    assert [n["figures"]["total"] for n in listed] == [6, 4]
    assert listed[0]["kind"] == "基层单位告知书" and listed[0]["figures"]["social"] == 2


def test_downloads_are_audited_and_scoped(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    s = client.post(
        f"{INSURANCE}/unions/{g.id}/collective/submit",
        json={"kind": "会员卡参保", "plan_id": iw.plan.id, "year": 2027},
        headers=login(client, "ga1_operator"),
    ).get_json()
    assert download(client, s["notice_id"], "ga2_operator").status_code == 404
    assert download(client, s["notice_id"], "da_reviewer").status_code == 200
    db.session.rollback()
    audits = db.session.scalars(
        select(AuditRecord).where(AuditRecord.action == "insurance.notice_download")
    ).all()
    assert [a.actor_name for a in audits] == ["dAreviewer"]
    assert audits[0].target_ids == [s["notice_id"]]


def test_notices_cannot_be_changed(ctx, insurance_world, client):
    iw = insurance_world
    g = iw.org("gA1")
    s = client.post(
        f"{INSURANCE}/unions/{g.id}/collective/submit",
        json={"kind": "会员卡参保", "plan_id": iw.plan.id, "year": 2027},
        headers=login(client, "ga1_operator"),
    ).get_json()
    db.session.rollback()
    with pytest.raises(Exception):  # noqa: B017 - the database trigger refuses, whatever the driver
        db.session.execute(
            update(Notice).where(Notice.id == s["notice_id"]).values(figures={"total": 999})
        )
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Notice, s["notice_id"]).figures["total"] == 4


def test_district_notice_with_the_centre_account(client, insurance_world):
    iw = insurance_world
    g = iw.org("gA1")
    client.post(
        f"{INSURANCE}/unions/{g.id}/collective/submit",
        json={"kind": "会员卡参保", "plan_id": iw.plan.id, "year": 2027},
        headers=login(client, "ga1_operator"),
    )
    db.session.rollback()
    batch = InsuranceBatch(
        batch_no="ZB2026122800001",
        org_id=iw.org("dA").id,
        year=2027,
        source=BatchSource.COLLECTIVE,
        status=InsuranceBatchStatus.AWAITING_PAYMENT,
        member_count=4,
        card_count=4,
        social_count=0,
        fee_total=Decimal("104"),
        city_total=Decimal("52"),
        district_total=Decimal("40"),
        grassroots_total=Decimal("12"),
        # sent on 2026-12-28: 5 working days later (元旦 2027-01-01 not counted), after the
        # district window (ends 2026-12-31)
        payment_deadline=date(2027, 1, 5),
    )
    db.session.add(batch)
    db.session.flush()
    db.session.execute(update(Enrolment).values(batch_id=batch.id))
    notice = notices.issue_district_notice(batch, "甲区经办人")
    db.session.commit()
    assert notice.kind.value == "区局告知书" and notice.org_id == iw.org("dA").id
    assert notice.figures["to_pay"] == "52.00" and notice.figures["by_kind"] == {"会员卡参保": 4}
    r = download(client, notice.id, "da_admin")
    assert r.status_code == 200
    text = pdf_text(r.data)
    for part in (
        f"{iw.org('dA').name}：",
        "批次编号ZB2026122800001",
        "参加会员共计4人（会员卡参保4人，社保卡参保0人；其中A类会员专享基本保障4人）",
        "保障费用合计104.00元，其中市总统一划拨52.00元，区局/各级工会缴费40.00元，基层单位缴费12.00元",
        "请于2027年1月5日之前将应缴参保资金52.00元",
        "保障日期为2027年1月1日起至2027年12月31日",
        "户名：上海市职工保障互助中心会员专享保障专户",
        "帐号：316023-03002745697",
        "开户行：上海银行人民广场支行",
        "上海市职工保障互助中心2026年11月22日",
    ):
        assert part in text, (part, text)
    assert text.count("会员卡参保") == 1, text  # the channel counts are stated once
    # the batch's own deadline is printed, neither the window's end nor the units' deadline
    assert notice.figures["payment_deadline"] == "2027-01-05"
    assert "2026年12月31日" not in text and "2026年12月25日" not in text, text
    # the grassroots union does not reach its district's notice
    assert download(client, notice.id, "ga1_operator").status_code == 404
