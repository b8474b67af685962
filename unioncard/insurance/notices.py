"""告知书: the unit notice (基层单位告知书, on every collective submission) and the district
notice (区局告知书, when a district submits to 职保中心), as PDF with the embedded font.

Every notice is stored (encrypted) with the figures it prints, in an immutable Notice row;
downloads are audited.
"""

from __future__ import annotations

import io
import re
from datetime import date

from flask import current_app
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer
from sqlalchemy import func, select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..extensions import db
from ..members import idcard
from ..orgs.models import Org
from ..pdf import para, printable, style
from ..storage.services import read_file, store_file
from .models import (
    COLLECTIVE_KINDS,
    BatchSource,
    Campaign,
    CoveragePlan,
    Enrolment,
    EnrolmentKind,
    InsuranceBatch,
    Notice,
    NoticeKind,
    UnitSubmission,
)
from .rules import cents

PDF = "application/pdf"
UNIT_SIGNATURE = "上海市总工会职工服务中心"
CENTER_SIGNATURE = "上海市职工保障互助中心"


def spaced(day: date) -> str:
    """2024 年 12 月 25 日 (the notice's own spacing)."""
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def plain(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def plan_label(name: str) -> str:
    """ "A类会员专享基本保障" -> "A 类"; a name without a class letter is used whole."""
    match = re.match(r"^\s*([A-Za-z0-9]+)\s*类", name or "")
    return f"{match.group(1)} 类" if match else name


def _document(
    title: str, addressee: str, paragraphs: list[str], signature: str, day: date
) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=30 * mm,
        bottomMargin=25 * mm,
        title=title,
        author=signature,
    )
    body = style(13, leading=26)
    body.firstLineIndent = 26
    story = [para(title, 20, 1), Spacer(1, 10 * mm), para(f"{addressee}：", 13), Spacer(1, 3 * mm)]
    for text in paragraphs:
        escaped = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        story.append(Paragraph(escaped, body))
    story += [Spacer(1, 16 * mm), para(signature, 13, 2), para(plain(day), 13, 2)]
    doc.build(story)
    return buffer.getvalue()


def _store(org_id, kind, year, pdf, figures, issued_by_name, *, submission_id=None, batch_id=None):
    filename = f"{kind.value}-{year}-{figures['issued_on']}.pdf"
    stored = store_file(
        pdf, filename=filename, purpose="insurance_notice", content_type=PDF, org_id=org_id
    )
    notice = Notice(
        org_id=org_id,
        kind=kind,
        year=year,
        submission_id=submission_id,
        batch_id=batch_id,
        file_id=stored.id,
        figures=figures,
        issued_by_name=issued_by_name,
    )
    db.session.add(notice)
    db.session.flush()
    return notice


# --- the unit notice -------------------------------------------------------------------
def unit_counts(org_id: int, year: int) -> dict:
    """The union's enrolments holding a place for the year, by collective channel."""
    rows = db.session.execute(
        select(Enrolment.kind, func.count(Enrolment.id))
        .where(
            Enrolment.org_id == org_id,
            Enrolment.year == year,
            Enrolment.kind.in_(COLLECTIVE_KINDS),
            Enrolment.holding_member_id.is_not(None),
        )
        .group_by(Enrolment.kind)
    ).all()
    by_kind = {EnrolmentKind(k): n for k, n in rows}
    card, social = by_kind.get(EnrolmentKind.CARD, 0), by_kind.get(EnrolmentKind.SOCIAL, 0)
    return {"card": card, "social": social, "total": card + social}


def unit_text(org_name: str, f: dict) -> tuple[str, list[str]]:
    start, end = date.fromisoformat(f["start_date"]), date.fromisoformat(f["end_date"])
    deadline = date.fromisoformat(f["payment_deadline"])
    body = (
        f"你会集中参保 {f['year']} 年度上海工会会员专享基本保障计划，截至今日参加 "
        f"{f['plan_label']}会员共计 {f['total']} 人（会员卡参保 {f['card']} 人，社保卡参保 "
        f"{f['social']} 人），请于 {spaced(deadline)}之前根据你会所在区、局（产业）工会的安排"
        "将你会需要承担的参保资金划入所属区、局（产业）工会帐户，保障日期为 "
        f"{spaced(start)}起至 {spaced(end)}。逾期未划款则所有参保均无效，需按照即时参保流程另行"
        f"办理参保手续，即时参保的保障日期自办理参保日的次日至 {spaced(end)}止。"
    )
    return f"{org_name}", [body]


def issue_unit_notice(
    submission: UnitSubmission, issued_by_name: str | None, *, campaign: Campaign | None = None
) -> Notice:
    """The unit's notice with the union's cumulative counts for the year (both channels)."""
    org = db.session.get(Org, submission.org_id)
    plan = db.session.get(CoveragePlan, submission.plan_id)
    campaign = campaign or db.session.scalar(
        select(Campaign).where(Campaign.year == submission.year)
    )
    today = idcard.today_in_china()
    counts = unit_counts(org.id, submission.year)
    figures = {
        "org_name": org.name,
        "year": submission.year,
        "plan_name": plan.name,
        "plan_label": plan_label(plan.name),
        **counts,
        "payment_deadline": campaign.payment_deadline.isoformat(),
        "start_date": date(submission.year, 1, 1).isoformat(),
        "end_date": date(submission.year, 12, 31).isoformat(),
        "issued_on": today.isoformat(),
    }
    addressee, paragraphs = unit_text(org.name, figures)
    pdf = _document("告知书", addressee, paragraphs, UNIT_SIGNATURE, today)
    return _store(
        org.id,
        NoticeKind.UNIT,
        submission.year,
        pdf,
        figures,
        issued_by_name,
        submission_id=submission.id,
    )


# --- the district notice ---------------------------------------------------------------
def _batch_figures(batch: InsuranceBatch) -> dict:
    rows = db.session.execute(
        select(CoveragePlan.name, Enrolment.kind, func.count(Enrolment.id))
        .join(CoveragePlan, CoveragePlan.id == Enrolment.plan_id)
        .where(Enrolment.batch_id == batch.id)
        .group_by(CoveragePlan.name, Enrolment.kind)
        .order_by(CoveragePlan.name)
    ).all()
    by_plan: dict[str, int] = {}
    by_kind: dict[str, int] = {}
    for name, kind, n in rows:
        by_plan[name] = by_plan.get(name, 0) + n
        by_kind[EnrolmentKind(kind).value] = by_kind.get(EnrolmentKind(kind).value, 0) + n
    return {"by_plan": by_plan, "by_kind": by_kind}


def district_text(f: dict, cfg) -> list[str]:
    if f["source"] == BatchSource.COLLECTIVE.value:  # both channels, as on the unit notice
        kinds = f"会员卡参保 {f['card']} 人，社保卡参保 {f['social']} 人"
    else:
        kinds = "，".join(f"{k} {n} 人" for k, n in f["by_kind"].items()) or "无"
    plans = "，".join(f"{name} {n} 人" for name, n in f["by_plan"].items()) or "无"
    to_pay = f["to_pay"]
    deadline = (
        f"请于 {spaced(date.fromisoformat(f['payment_deadline']))}之前"
        if f.get("payment_deadline")
        else "请尽快"
    )
    if f["source"] == BatchSource.COLLECTIVE.value:
        cover = (
            f"保障日期为 {spaced(date(f['year'], 1, 1))}起至 {spaced(date(f['year'], 12, 31))}。"
        )
    else:
        cover = f"保障日期自办理参保日的次日起至 {spaced(date(f['year'], 12, 31))}止。"
    return [
        f"你单位已将 {f['year']} 年度上海工会会员专享基本保障计划{f['source']}信息提交至职保中心"
        f"（批次编号 {f['batch_no']}），参加会员共计 {f['total']} 人（{kinds}；其中{plans}）。"
        f"保障费用合计 {f['fee_total']} 元，其中"
        f"市总统一划拨 {f['city_total']} 元，区局/各级工会缴费 {f['district_total']} 元，基层单位"
        f"缴费 {f['grassroots_total']} 元。",
        f"{deadline}将应缴参保资金 {to_pay} 元（区局/各级工会缴费与基层单位缴费之和）划入以下帐户，"
        f"并在“参保批次管理”中上传缴费凭证。{cover}逾期未划款则该批次所有参保均无效，"
        "需按照即时参保流程另行办理参保手续。",
        f"户名：{cfg['INSURANCE_CENTER_ACCOUNT_NAME']}",
        f"帐号：{cfg['INSURANCE_CENTER_ACCOUNT_NO']}",
        f"开户行：{cfg['INSURANCE_CENTER_BANK']}",
    ]


def issue_district_notice(batch: InsuranceBatch, issued_by_name: str | None) -> Notice:
    """区局告知书 for a batch the district submitted to 职保中心 (helper B calls this)."""
    org = db.session.get(Org, batch.org_id)
    today = idcard.today_in_china()
    cfg = current_app.config
    deadline = batch.payment_deadline
    if deadline is None and batch.source == BatchSource.COLLECTIVE:
        campaign = db.session.scalar(select(Campaign).where(Campaign.year == batch.year))
        deadline = campaign.payment_deadline if campaign else None
    figures = {
        "org_name": org.name,
        "year": batch.year,
        "batch_no": batch.batch_no,
        "source": batch.source.value,
        "total": batch.member_count,
        "card": batch.card_count,
        "social": batch.social_count,
        "fee_total": str(cents(batch.fee_total)),
        "city_total": str(cents(batch.city_total)),
        "district_total": str(cents(batch.district_total)),
        "grassroots_total": str(cents(batch.grassroots_total)),
        "to_pay": str(cents(batch.district_total) + cents(batch.grassroots_total)),
        "payment_deadline": deadline.isoformat() if deadline else None,
        "account_name": cfg["INSURANCE_CENTER_ACCOUNT_NAME"],
        "account_no": cfg["INSURANCE_CENTER_ACCOUNT_NO"],
        "bank": cfg["INSURANCE_CENTER_BANK"],
        "issued_on": today.isoformat(),
        **_batch_figures(batch),
    }
    pdf = _document("告知书", org.name, district_text(figures, cfg), CENTER_SIGNATURE, today)
    return _store(
        org.id, NoticeKind.DISTRICT, batch.year, pdf, figures, issued_by_name, batch_id=batch.id
    )


# --- lists and downloads ---------------------------------------------------------------
def notices(scope: Scope, f: dict):
    stmt = select(Notice).where(scope.owned_by(Notice.org_id))
    if f.get("org_id"):
        stmt = stmt.where(Notice.org_id == scope.get_org(f["org_id"]).id)
    for key in ("year", "kind", "submission_id", "batch_id"):
        if f.get(key):
            stmt = stmt.where(getattr(Notice, key) == f[key])
    return stmt.order_by(Notice.issued_at.desc(), Notice.id.desc())


def download(scope: Scope, notice_id: int, *, ip=None) -> tuple[str, bytes]:
    notice = scope.get(Notice, notice_id, message="未找到该告知书")
    stored, data = read_file(notice.file_id)
    audit.record(
        scope,
        "insurance.notice_download",
        target_type="insurance_notice",
        target_ids=[notice.id],
        detail={"kind": notice.kind.value, "year": notice.year},
        ip=ip,
    )
    return stored.filename, data
