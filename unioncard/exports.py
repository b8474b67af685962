"""导出: any list of the console, as filtered, to one xlsx sheet — masked, capped and audited.

One mechanism for every list: the caller gives the list's query (the same ``select`` the
list pages through), its columns and how a result row becomes a dict of shown values (the
list's answer schema, whose ``Masked`` fields mask the personal numbers). Here the rows are
counted against the cap before anything is written, streamed into a write-only workbook,
and the export is recorded in the audit trail with its filter (personal numbers masked) and
its row count, in the request's transaction.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from flask import current_app
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Select, func, select

from .accounts.scope import Scope
from .audit import services as audit
from .errors import ValidationFailed
from .extensions import db

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
CHUNK = 500
_FORMULA_START = ("=", "+", "-", "@")
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int = 14


def _shown(value) -> object:
    """A cell value as a clerk reads it: lists joined, booleans as 是/否, instants local."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "；".join(str(_shown(v)) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{_shown(v)}" for k, v in value.items())
    if isinstance(value, str) and _ISO_INSTANT.match(value) and len(value) > 16:
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=UTC)
        return instant.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")
    return value


def _cell(ws, value):
    """Text that starts like a formula (a name or address typed as ``=HYPERLINK(…)``) stays
    text: the exported workbook never runs what a person typed into a form."""
    if isinstance(value, str) and value[:1] in _FORMULA_START:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _filters_for_audit(filters: dict) -> dict:
    """The filter as recorded: personal values (numbers, names) masked as everywhere in audit."""
    return {
        key: _shown(audit.masked(key, value))
        for key, value in filters.items()
        if value not in (None, "")
    }


def row_cap() -> int:
    return int(current_app.config["EXPORT_MAX_ROWS"])


def count_rows(stmt: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def _results(stmt: Select, single_entity: bool) -> Iterable:
    result = db.session.execute(stmt.execution_options(yield_per=CHUNK))
    return result.scalars() if single_entity else result


def export_list(
    scope: Scope,
    *,
    list_name: str,
    title: str,
    stmt: Select,
    columns: Sequence[Column],
    to_row: Callable[[object], dict],
    filters: dict,
    id_column=None,
    ids: Sequence[int] | None = None,
    ip: str | None = None,
) -> tuple[str, bytes]:
    """(file name, xlsx bytes) of every row ``stmt`` selects, or of the ticked ``ids`` among
    them (``id_column`` names the rows' id); refused above the row cap."""
    if ids:
        stmt = stmt.where(id_column.in_(ids))
        filters = {**filters, "ids": len(ids)}
    total = count_rows(stmt)
    cap = row_cap()
    if total > cap:
        raise ValidationFailed(
            f"符合条件的记录共 {total} 条，超过单次导出上限 {cap} 条，"
            "请增加查询条件（如所属工会、状态、时间段）缩小范围后再导出"
        )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    for index, column in enumerate(columns):
        ws.column_dimensions[get_column_letter(index + 1)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(ws, value=column.label)
        cell.font = bold
        header.append(cell)
    ws.append(header)
    single_entity = len(stmt.column_descriptions) == 1
    written = 0
    for item in _results(stmt, single_entity):
        row = to_row(item)
        ws.append([_cell(ws, _shown(row.get(column.key))) for column in columns])
        written += 1
    out = io.BytesIO()
    wb.save(out)
    audit.record(
        scope,
        f"export.{list_name}",
        target_type=list_name,
        detail={"list": title, "filters": _filters_for_audit(filters), "rows": written},
        ip=ip,
    )
    stamp = datetime.now(CHINA_TZ).strftime("%Y%m%d%H%M%S")
    return f"{title}_{stamp}.xlsx", out.getvalue()
