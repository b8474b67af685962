"""下载集中参保统计表 (one row per member of a batch, xlsx) and 下载集中参保告知书.

The workbook is written in openpyxl's write-only mode while the rows stream from the
database (``yield_per``), so a 50,000-member batch never sits in memory as objects. ID
numbers are masked; the export is audited (it holds personal data).
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import NotFound
from ..extensions import db
from ..members.models import Member
from ..orgs.models import Org
from ..security.masking import mask_id_number
from ..storage.services import read_file
from .batches import get_batch
from .models import CoveragePlan, Enrolment, Notice, NoticeKind

HEADERS = (
    "批次编号",
    "单位名称",
    "会员编号",
    "姓名",
    "证件类型",
    "证件号码",
    "参保类型",
    "保障类型",
    "起保日期",
    "终保日期",
    "半年/全年",
    "保障费用",
    "市总统一划拨",
    "区局/各级工会缴费",
    "基层单位缴费",
)
WIDTHS = (18, 30, 12, 10, 12, 20, 12, 22, 12, 12, 10, 10, 12, 16, 12)
MONEY_FORMAT = "0.00"
CHUNK = 1000


def _rows(batch_id: int):
    stmt = (
        select(
            Org.name,
            Member.member_no,
            Member.name,
            Member.id_type,
            Member.id_number,
            Enrolment.kind,
            CoveragePlan.name,
            Enrolment.start_date,
            Enrolment.end_date,
            Enrolment.half_year,
            Enrolment.fee,
            Enrolment.city_share,
            Enrolment.district_share,
            Enrolment.grassroots_share,
        )
        .join(Member, Member.id == Enrolment.member_id)
        .join(Org, Org.id == Enrolment.org_id)
        .join(CoveragePlan, CoveragePlan.id == Enrolment.plan_id)
        .where(Enrolment.batch_id == batch_id)
        .order_by(Org.name, Enrolment.id)
        .execution_options(yield_per=CHUNK)
    )
    return db.session.execute(stmt)


def statistics_xlsx(scope: Scope, batch_id: int, *, ip=None) -> tuple[str, bytes]:
    """集中参保统计表 of one batch: (filename, xlsx bytes)."""
    batch = get_batch(scope, batch_id)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("集中参保统计表")
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    bold = Font(bold=True)
    header = []
    for text in HEADERS:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    totals = [Decimal("0.00")] * 4
    count = 0
    for row in _rows(batch.id):
        (org_name, member_no, name, id_type, id_number, kind, plan_name) = row[:7]
        start, end, half, *amounts = row[7:]
        values = [
            batch.batch_no,
            org_name,
            member_no or "",
            name,
            id_type,
            mask_id_number(id_number),
            kind.value,
            plan_name,
            start.isoformat(),
            end.isoformat(),
            "半年" if half else "全年",
        ]
        cells = [WriteOnlyCell(ws, value=v) for v in values]
        for i, amount in enumerate(amounts):
            totals[i] += amount
            cell = WriteOnlyCell(ws, value=amount)
            cell.number_format = MONEY_FORMAT
            cells.append(cell)
        ws.append(cells)
        count += 1
    total_row = [WriteOnlyCell(ws, value="合计"), WriteOnlyCell(ws, value=f"{count}人")]
    total_row += [WriteOnlyCell(ws, value=None) for _ in range(len(HEADERS) - 2 - 4)]
    for amount in totals:
        cell = WriteOnlyCell(ws, value=amount)
        cell.number_format = MONEY_FORMAT
        cell.font = bold
        total_row.append(cell)
    total_row[0].font = bold
    ws.append(total_row)
    out = io.BytesIO()
    wb.save(out)
    audit.record(
        scope,
        "insurance.statistics_export",
        target_type="insurance_batch",
        target_ids=[batch.id],
        detail={"batch_no": batch.batch_no, "rows": count},
        ip=ip,
    )
    return f"集中参保统计表_{batch.batch_no}.xlsx", out.getvalue()


def notice_pdf(scope: Scope, batch_id: int, *, ip=None) -> tuple[str, bytes]:
    """下载集中参保告知书: the district notice issued when the batch was submitted."""
    batch = get_batch(scope, batch_id)
    notice = db.session.scalar(
        select(Notice)
        .where(Notice.batch_id == batch.id, Notice.kind == NoticeKind.DISTRICT)
        .order_by(Notice.id.desc())
        .limit(1)
    )
    if notice is None:
        raise NotFound("该批次没有告知书（即时参保批次不出具告知书）")
    record, data = read_file(notice.file_id)
    audit.record(
        scope,
        "insurance.notice_download",
        target_type="insurance_batch",
        target_ids=[batch.id],
        detail={"batch_no": batch.batch_no, "notice_id": notice.id},
        ip=ip,
    )
    return record.filename or f"区局告知书_{batch.batch_no}.pdf", data
