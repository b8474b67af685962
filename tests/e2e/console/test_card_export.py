"""导出 on the card screens in Chromium: 卡片信息管理 and 办卡批次管理 export what the list
shows, every personal number masked, each export in the audit trail with its row count."""

from __future__ import annotations

import re

from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import func, select

from unioncard.audit.models import AuditRecord
from unioncard.cards.models import CardBatch
from unioncard.extensions import db

from .conftest import PASSWORD, account
from .pages import BatchesScreen, CardsScreen, LoginPage, Shell
from .test_batches import _submitted_batch

CLEAR_NUMBER = re.compile(r"(?<![\d*])\d{11,19}[\dXx]?(?![\d*])")  # an ID, mobile or card in clear


def _sheet(path) -> list[tuple]:
    workbook = load_workbook(path, read_only=True)
    try:
        return list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()


def _export_rows(action: str) -> list[int]:
    stmt = select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)
    return [record.detail["rows"] for record in db.session.scalars(stmt)]


def test_card_info_and_batches_export_masked_and_audited(page, demo_world, tmp_path):
    batch = _submitted_batch(demo_world)[0]  # the demo has no batch yet
    LoginPage(page).open().sign_in("jm_operator", PASSWORD)
    Shell(page).go("卡片信息管理")
    cards = CardsScreen(page)
    expect(cards.total).not_to_have_text("共 0 条")
    total = cards.total_count()
    text, path = cards.export(tmp_path)
    assert f"确认导出符合条件的全部 {total} 条记录" in text
    rows = _sheet(path)
    assert rows[0][:5] == ("会员编号", "姓名", "证件类型", "证件号码", "银行卡号")
    assert len(rows) - 1 == total
    cells = [str(cell) for row in rows[1:] for cell in row if cell is not None]
    assert not [cell for cell in cells if CLEAR_NUMBER.search(cell)]
    assert any("*" in str(row[3]) for row in rows[1:])  # the ID numbers are there, masked
    assert _export_rows("export.cards") == [total]

    Shell(page).go("办卡批次管理")
    batches = BatchesScreen(page)
    expect(batches.total).to_contain_text("共")
    org_id = account("jm_operator").org_id
    mine = db.session.scalar(select(func.count(CardBatch.id)).where(CardBatch.org_id == org_id))
    assert mine >= 1
    expect(batches.total).to_have_text(f"共 {mine} 条")
    text, path = batches.export(tmp_path)
    assert f"确认导出符合条件的全部 {mine} 条记录" in text
    rows = _sheet(path)
    assert rows[0][0] == "批次编号" and len(rows) - 1 == mine
    assert batch.batch_no in [row[0] for row in rows[1:]]
    assert _export_rows("export.card_batches") == [mine]
