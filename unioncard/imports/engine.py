"""The member import engine: validate an uploaded template, in chunks (pure, no DB, no Flask).

Usage::

    run = validate_import(data, UnionContext(name, branch_codes), lookups, limits=limits)
    run.header, run.header_errors        # row 3 as read; header/structure errors
    for chunk in run.chunks():           # list[RowOutcome], at most chunk_size each
        ...                              # outcome.row, outcome.member (ImportedRow|None),
                                         # outcome.errors (list[CellError])
    run.total, run.valid, run.invalid    # known once chunks() is exhausted

``validate_import(data, ctx, lookups, *, limits, chunk_size=2000, today=None, checked=False)``
raises ``UploadRejected`` (filecheck) when the file cannot be read at all, or holds more
than ``limits.max_rows`` members. The file is valid as a whole only if ``header_errors`` is
empty and ``invalid == 0`` (``run.ok``): the caller stores nothing otherwise.

- Rows stream from python-calamine; results are yielded per chunk and never collected, so
  Python memory stays flat apart from the dicts that find duplicates in the file (ID and
  mobile -> first row -> name): Python peaks at 40 MB for 100,000 rows. Calamine holds the
  parsed sheet on the Rust side (about 100 MB at 100,000 rows, bounded by the limits).
- If row 1 is not "附件2" or the labels of rows 3/4 were altered, the only result is the
  header errors ("请把表头内容填写完整！"), and ``chunks()`` yields nothing. Wrong header
  values (row 3) are reported at their cells and the rows are still validated.
- Blank rows (nothing in columns B-M; a 序号 alone counts as blank) are skipped, uncounted.
- ``lookups.find_ids`` / ``find_mobiles`` are called at most once per chunk each, with the
  well-formed values that are new in the file (empty lists are not sent). The first chunk
  holds at most ``FIRST_CHUNK`` rows, the others ``chunk_size``.
- Errors of a row are in column order; messages are in ``imports.messages``.
"""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date

import python_calamine

from ..members.idcard import today_in_china
from . import messages as msg
from .filecheck import MSG_CORRUPT, MSG_NO_SHEET, UploadLimits, UploadRejected, inspect_upload
from .header import check_header_block, check_structure
from .results import (
    CellError,
    ExistingMember,
    HeaderInfo,
    ImportedRow,
    Lookups,
    RowOutcome,
    UnionContext,
)
from .rows import RowChecker
from .template import COLUMN_BY_KEY, FIRST_DATA_ROW, HEADER_BLOCK_ROW, HEADER_ROW, WIDTH

__all__ = [
    "CellError",
    "ExistingMember",
    "HeaderInfo",
    "ImportRun",
    "ImportedRow",
    "Lookups",
    "RowOutcome",
    "UnionContext",
    "UploadLimits",
    "UploadRejected",
    "cyclic_gc_paused",
    "validate_import",
]

# The first chunk is a small one: the caller's writer starts that much sooner (on PostgreSQL
# a COPY the server works through on the other core, which is what an import waits for).
FIRST_CHUNK = 250
MSG_TOO_MANY_ROWS = "每个文件最多导入{limit}名会员，请把会员分成几个文件分别导入。"
_MOBILE_COLUMN = COLUMN_BY_KEY["mobile"].letter
_EMPTY = ("", None)


def validate_import(
    data: bytes,
    ctx: UnionContext,
    lookups: Lookups,
    *,
    limits: UploadLimits,
    chunk_size: int = 2000,
    today: date | None = None,
    checked: bool = False,
) -> ImportRun:
    """Check the file, read rows 1-4, and return the run whose ``chunks()`` do the rest.

    ``checked``: these very bytes already passed ``inspect_upload`` (an upload is stored only
    after it did, and its digest is verified when it is read back). The inspection, which
    also finds the mobile column's formula cells, then runs in a thread beside calamine's
    parse of the sheet (calamine releases the GIL while it parses) instead of before it;
    its verdict still comes first."""
    if checked:
        with ThreadPoolExecutor(max_workers=1) as beside:
            inspected = beside.submit(
                inspect_upload, data, limits, formula_columns=(_MOBILE_COLUMN,)
            )
            try:
                sheet = _first_sheet(data)
            finally:  # a rejection by the inspection is the one that names the problem
                formulas = inspected.result()
    else:
        formulas = inspect_upload(data, limits, formula_columns=(_MOBILE_COLUMN,))
        sheet = _first_sheet(data)

    if _data_row_bound(sheet) > limits.max_rows and _count_members(sheet) > limits.max_rows:
        raise UploadRejected(MSG_TOO_MANY_ROWS.format(limit=limits.max_rows))

    rows = _SheetRows(sheet)
    top = {row_no: cells for row_no, cells in rows.take_through(HEADER_ROW)}
    header_errors = check_structure(top)
    broken = bool(header_errors)
    header = HeaderInfo()
    if not broken:
        header, header_errors = check_header_block(top.get(HEADER_BLOCK_ROW, []), ctx)
    return ImportRun(
        header=header,
        header_errors=header_errors,
        rows=None if broken else rows,
        checker=RowChecker(today or today_in_china()),
        ctx=ctx,
        lookups=lookups,
        formulas=formulas,
        chunk_size=max(1, chunk_size),
    )


def _first_sheet(data: bytes) -> python_calamine.CalamineSheet:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        return workbook.get_sheet_by_index(0)
    except python_calamine.WorksheetNotFound:
        raise UploadRejected(MSG_NO_SHEET) from None
    except (python_calamine.CalamineError, ValueError, OSError):
        raise UploadRejected(MSG_CORRUPT) from None


class ImportRun:
    """The header, and the rows validated chunk by chunk (``chunks()`` runs once)."""

    def __init__(self, *, header, header_errors, rows, checker, ctx, lookups, formulas, chunk_size):
        self.header: HeaderInfo = header
        self.header_errors: list[CellError] = header_errors
        self.total = 0
        self.valid = 0
        self.invalid = 0
        self._rows: _SheetRows | None = rows
        self._broken = rows is None
        self._checker: RowChecker = checker
        self._ctx: UnionContext = ctx
        self._lookups: Lookups = lookups
        self._formulas = formulas
        self._chunk_size: int = chunk_size
        self._started = False
        self._finished = False
        self._names: dict[int, str] = {}

    @property
    def structure_broken(self) -> bool:
        """True when rows 1/3/4 were altered: no row is validated."""
        return self._broken

    @property
    def ok(self) -> bool:
        """True once every chunk was read and nothing is wrong with the file."""
        return self._finished and not self.header_errors and self.invalid == 0

    def chunks(self) -> Iterator[list[RowOutcome]]:
        """The non-blank data rows, validated, in lists of at most ``chunk_size``."""
        if self._started:
            raise RuntimeError("chunks() can only be iterated once")
        self._started = True
        rows, self._rows = self._rows, None
        if rows is None:
            self._finished = True
            return
        check = self._checker.check
        formulas = self._formulas
        size = min(self._chunk_size, FIRST_CHUNK)
        # Over the whole file: first row of each ID and mobile, and those rows' names. Plain
        # str/int dicts are not tracked by the garbage collector, which keeps it cheap.
        ids_seen: dict[str, int] = {}
        mobiles_seen: dict[str, int] = {}
        names: dict[int, str] = {}
        outcomes: list[RowOutcome] = []
        new_ids: dict[str, RowOutcome] = {}  # this chunk's first occurrences
        new_mobiles: dict[str, RowOutcome] = {}
        self._names = names
        row_no, lead, cells_iter = rows.position()
        # The cyclic garbage collector is paused while a chunk is built (nothing here makes
        # cycles; reference counting frees it all) and runs again before the lookups and
        # the caller's code, unless the caller paused it for its whole pass
        # (``cyclic_gc_paused``): its full passes over every object in the process cost 15%.
        paused = _pause_gc()
        try:
            for cells in cells_iter:
                row_no += 1
                if lead:
                    cells = lead + cells
                if len(cells) < WIDTH:
                    cells += [""] * (WIDTH - len(cells))
                name = cells[1]
                if not (type(name) is str and name and not name.isspace()) and _is_blank(cells):
                    continue
                formula = formulas.get((row_no, _MOBILE_COLUMN)) if formulas else None
                member, errors, id_key, mobile_key, name = check(row_no, cells, formula)
                outcome = RowOutcome(row_no, member, errors)
                outcomes.append(outcome)
                if id_key is not None:
                    first = ids_seen.get(id_key)
                    if first is None:
                        ids_seen[id_key] = row_no
                        names[row_no] = name
                        new_ids[id_key] = outcome
                    else:
                        text = msg.DUPLICATE_ID.format(row=first, name=names[first])
                        errors.append(CellError(row_no, "D", "证件号码", text))
                if mobile_key is not None:
                    first = mobiles_seen.get(mobile_key)
                    if first is None:
                        mobiles_seen[mobile_key] = row_no
                        names[row_no] = name
                        new_mobiles[mobile_key] = outcome
                    else:
                        text = msg.DUPLICATE_MOBILE.format(row=first, name=names[first])
                        errors.append(CellError(row_no, "I", "手机号码", text))
                if len(outcomes) >= size:
                    paused = _resume_gc(paused)
                    yield self._finish(outcomes, new_ids, new_mobiles)
                    outcomes, new_ids, new_mobiles = [], {}, {}
                    size = self._chunk_size
                    paused = _pause_gc()
            paused = _resume_gc(paused)
            if outcomes:
                yield self._finish(outcomes, new_ids, new_mobiles)
            self._finished = True
        finally:
            _resume_gc(paused)

    def _finish(
        self,
        outcomes: list[RowOutcome],
        new_ids: dict[str, RowOutcome],
        new_mobiles: dict[str, RowOutcome],
    ) -> list[RowOutcome]:
        """Ask the database about the chunk's new IDs and mobiles, then settle each row."""
        found = self._lookups.find_ids(list(new_ids)) if new_ids else {}
        own_mobiles: set[str] = set()  # re-uploaded members' own mobiles: not "someone else's"
        mobile_of = {o.row: m for m, o in new_mobiles.items()} if found else {}
        for id_number, existing in found.items():
            if id_number not in new_ids:
                continue
            outcome = new_ids[id_number]
            same_name = existing.name == self._names.get(outcome.row)
            if existing.org_name == self._ctx.union_name:
                template = msg.ID_IN_THIS_UNION if same_name else msg.ID_IN_THIS_UNION_OTHER_NAME
                message = template.format(org_name=existing.org_name)
            elif same_name:
                message = msg.ID_IN_OTHER_UNION
            else:
                message = msg.ID_EXISTS
            outcome.errors.append(CellError(outcome.row, "D", "证件号码", message))
            mobile = mobile_of.get(outcome.row)
            held = existing.mobile_bidx
            if mobile and held and held == self._lookups.index("mobile", mobile):
                own_mobiles.add(mobile)
        taken = self._lookups.find_mobiles(list(new_mobiles)) if new_mobiles else ()
        for mobile in taken:
            if mobile in new_mobiles and mobile not in own_mobiles:
                outcome = new_mobiles[mobile]
                text = msg.mobile_taken(mobile)
                outcome.errors.append(CellError(outcome.row, "I", "手机号码", text))
        invalid = 0
        for outcome in outcomes:
            errors = outcome.errors
            if errors:
                invalid += 1
                outcome.member = None
                if len(errors) > 1:
                    errors.sort(key=_column_order)
        self.total += len(outcomes)
        self.invalid += invalid
        self.valid += len(outcomes) - invalid
        return outcomes


@contextmanager
def cyclic_gc_paused():
    """The cyclic garbage collector off for a whole pass over a file (as a decorator too).

    A pass keeps up to 100,000 rows' objects alive at once: each full collection walks
    them all, several times a pass (measured: 0.6 s of a 4 s one-pass import). Nothing the
    pass makes needs the collector (reference counting frees it); it runs again after."""
    paused = _pause_gc()
    try:
        yield
    finally:
        _resume_gc(paused)


def _pause_gc() -> bool:
    """Disable the cyclic collector if it is on; True if this call turned it off."""
    if gc.isenabled():
        gc.disable()
        return True
    return False


def _resume_gc(paused: bool) -> bool:
    if paused:
        gc.enable()
    return False


def _column_order(error: CellError) -> tuple[int, str]:
    return len(error.column), error.column


def _is_blank(cells: list) -> bool:
    """Nothing a person can see in columns B-M (序号 alone does not make a member)."""
    for idx in range(1, WIDTH):
        value = cells[idx]
        if value in _EMPTY or (type(value) is str and not value.strip()):
            continue
        return False
    return True


class _SheetRows:
    """(Excel row, cells from column A, at least WIDTH of them) for each row of the range."""

    def __init__(self, sheet: python_calamine.CalamineSheet):
        start = sheet.start
        self._iter = iter(sheet.iter_rows()) if start is not None else iter(())
        self._row = start[0] if start is not None else 0  # the last row handed out
        self._lead = [""] * start[1] if start is not None and start[1] else None

    def take_through(self, last_row: int) -> Iterator[tuple[int, list]]:
        """The rows up to ``last_row``, leaving the iterator at the next one."""
        while self._row < last_row:
            cells = next(self._iter, None)
            if cells is None:
                return
            self._row += 1
            yield self._row, self._pad(cells)

    def _pad(self, cells: list) -> list:
        if self._lead:
            cells = self._lead + cells
        if len(cells) < WIDTH:
            cells += [""] * (WIDTH - len(cells))
        return cells

    def __iter__(self) -> Iterator[tuple[int, list]]:
        for cells in self._iter:
            self._row += 1
            yield self._row, self._pad(cells)

    def position(self) -> tuple[int, list | None, Iterator[list]]:
        """(last row handed out, cells to put before column-less rows, the raw rows left):
        for the hot loop, which pads rows itself (see ``_pad``)."""
        return self._row, self._lead, self._iter


def _data_row_bound(sheet: python_calamine.CalamineSheet) -> int:
    """An upper bound of the data rows: every row of the range after the column headers."""
    if sheet.start is None:
        return 0
    return sheet.start[0] + sheet.height - HEADER_ROW


def _count_members(sheet: python_calamine.CalamineSheet) -> int:
    return sum(
        1
        for row_no, cells in _SheetRows(sheet)
        if row_no >= FIRST_DATA_ROW and not _is_blank(cells)
    )
