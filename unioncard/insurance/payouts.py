"""给付信息: 职保中心 records the benefits paid to members under their coverage, one by one or
from an xlsx (给付编号, 姓名, 证件号码, 给付项目, 给付金额, 给付日期, 备注).

A payout must name a member whose completed enrolment (已完成) covers the payment date.
The 给付编号 is unique: importing a file again (or a row already recorded with the same
values) changes nothing. A file is checked whole, row by row, with Chinese messages at the
Excel row and column; nothing is written unless every row is right.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import python_calamine
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..imports.filecheck import MSG_CORRUPT, MSG_NO_SHEET, UploadRejected, inspect_upload
from ..imports.pipeline import limits
from ..members.idcard import free_text, normalise_id_number, normalise_text
from ..members.models import Member
from ..models_base import money
from ..security.crypto import keyring
from ..storage.services import XLSX, store_file
from .models import Enrolment, EnrolmentStatus, Payout
from .queries import payout_detail

COLUMNS = ("给付编号", "姓名", "证件号码", "给付项目", "给付金额", "给付日期", "备注")
LETTERS = "ABCDEFG"
MAX_ROWS = 5000
MAX_AMOUNT = Decimal("9999999999.99")

NO_MEMBER = "未找到该证件号码的会员，或该会员不在您的管辖范围内"
NAME_MISMATCH = "姓名与证件号码对应的会员（{masked}）不一致"
NOT_COVERED = "该会员在给付日期{day}没有已完成的保障（参保记录），不能登记给付"
AMOUNT_INVALID = "给付金额应为大于0的数字，最多两位小数，例如 1200.50"
DATE_INVALID = "给付日期格式错误，请填写如2027-03-01的日期"
REFERENCE_USED = "给付编号{reference}已登记为另一笔给付（会员或金额、日期、项目不同），请核对"
HEADER_ALTERED = "请使用系统下载的给付信息导入模板，不要修改第1行的列名：" + "、".join(COLUMNS)


@dataclass
class PayoutIn:
    reference: str
    name: str | None
    id_number: str
    item: str
    amount: Decimal
    paid_on: date
    remark: str | None
    row: int = 0


# --- checks shared by the form and the file -------------------------------------------
def clean_amount(value) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        return None
    if amount != amount.quantize(Decimal("0.01")):
        return None
    return money(amount)


def clean_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = normalise_text(value).replace("/", "-").replace(".", "-")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if date(2000, 1, 1) <= day <= date(2100, 12, 31) else None


def find_members(scope: Scope, numbers: list[str]) -> dict[str, Member]:
    """Members in scope by ID number (blind index), keyed by the number as given."""
    ring = keyring()
    wanted = {}
    for number in numbers:
        wanted[ring.blind_index("id_number", number)] = number
        wanted.setdefault(ring.blind_index("id_number", number.upper()), number)
    found: dict[str, Member] = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), 500):
        for member in db.session.scalars(
            select(Member).where(
                Member.id_number_bidx.in_(keys[start : start + 500]),
                scope.owned_by(Member.org_id),
            )
        ):
            found[wanted[member.id_number_bidx]] = member
    return found


def covering(member_id: int, day: date) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment)
        .where(
            Enrolment.member_id == member_id,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.start_date <= day,
            Enrolment.end_date >= day,
        )
        .order_by(Enrolment.id.desc())
        .limit(1)
    )


def _same(existing: Payout, member: Member, p: PayoutIn) -> bool:
    return (existing.member_id, existing.amount, existing.paid_on, existing.item) == (
        member.id,
        p.amount,
        p.paid_on,
        p.item,
    )


def _new_payout(scope: Scope, member: Member, enrolment: Enrolment, p: PayoutIn) -> Payout:
    payout = Payout(
        reference=p.reference,
        member_id=member.id,
        org_id=enrolment.org_id,
        year=enrolment.year,
        enrolment_id=enrolment.id,
        item=p.item,
        amount=p.amount,
        paid_on=p.paid_on,
        remark=p.remark,
        recorded_by_name=scope.account_name,
    )
    db.session.add(payout)
    return payout


# --- one payout ---------------------------------------------------------------------
def record(scope: Scope, data: dict, *, ip=None) -> tuple[dict, bool]:
    """登记一笔给付; (payout, created). The same 给付编号 with the same values is a no-op."""
    scope.require("payout.manage")
    errors: dict[str, list[str]] = {}
    reference = normalise_text(data.get("reference"))
    item = normalise_text(data.get("item"))
    number = normalise_id_number(data.get("id_number") or "")
    amount = clean_amount(data.get("amount"))
    paid_on = clean_date(data.get("paid_on"))
    remark = free_text(data.get("remark")) or None
    if not reference or len(reference) > 40:
        errors["reference"] = ["请填写给付编号（最多40个字符）"]
    if not item or len(item) > 50:
        errors["item"] = ["请填写给付项目（最多50个字）"]
    if not number or len(number) > 30:
        errors["id_number"] = ["请填写会员的证件号码"]
    if amount is None:
        errors["amount"] = [AMOUNT_INVALID]
    if paid_on is None:
        errors["paid_on"] = [DATE_INVALID]
    if remark and len(remark) > 200:
        errors["remark"] = ["备注最多200个字"]
    if errors:
        raise ValidationFailed("给付信息有误，请按提示修改", errors)
    member = find_members(scope, [number]).get(number)
    if member is None:
        raise ValidationFailed(NO_MEMBER, {"id_number": [NO_MEMBER]})
    p = PayoutIn(reference, None, number, item, amount, paid_on, remark)
    existing = db.session.scalar(select(Payout).where(Payout.reference == reference))
    if existing is not None:
        if _same(existing, member, p):
            return payout_detail(scope, existing.id), False
        raise Conflict(REFERENCE_USED.format(reference=reference))
    enrolment = covering(member.id, paid_on)
    if enrolment is None:
        message = NOT_COVERED.format(day=paid_on.isoformat())
        raise ValidationFailed(message, {"paid_on": [message]})
    payout = _new_payout(scope, member, enrolment, p)
    db.session.flush()
    audit.record(
        scope,
        "insurance.payout",
        target_type="insurance_payout",
        target_ids=[payout.id],
        detail={"reference": reference, "amount": str(amount), "member_id": member.id},
        ip=ip,
    )
    return payout_detail(scope, payout.id), True


# --- the file -----------------------------------------------------------------------
def template() -> tuple[str, bytes]:
    wb = Workbook()
    ws = wb.active
    ws.title = "给付信息"
    ws.append(list(COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for letter, width in zip(LETTERS, (16, 10, 22, 16, 12, 12, 30), strict=True):
        ws.column_dimensions[letter].width = width
        ws.column_dimensions[letter].number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return "给付信息导入模板.xlsx", out.getvalue()


def _err(errors: list, row: int, col: int, message: str) -> None:
    errors.append({"row": row, "column": LETTERS[col], "field": COLUMNS[col], "message": message})


def read_rows(data: bytes) -> tuple[list[PayoutIn], list[dict]]:
    """Parse and check the cells of every row (no database); (rows, errors)."""
    try:
        inspect_upload(data, limits(), formula_columns=())
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.get_sheet_by_index(0)
        cells = sheet.to_python(skip_empty_area=False)
    except UploadRejected as exc:
        raise ValidationFailed(exc.message, {"file": [exc.message]}) from None
    except python_calamine.WorksheetNotFound:
        raise ValidationFailed(MSG_NO_SHEET, {"file": [MSG_NO_SHEET]}) from None
    except (python_calamine.CalamineError, ValueError, OSError):
        raise ValidationFailed(MSG_CORRUPT, {"file": [MSG_CORRUPT]}) from None
    if not cells or [normalise_text(c) for c in list(cells[0])[:7]] != list(COLUMNS):
        raise ValidationFailed(HEADER_ALTERED, {"file": [HEADER_ALTERED]})
    rows: list[PayoutIn] = []
    errors: list[dict] = []
    first_of: dict[str, int] = {}
    for row_no, raw in enumerate(cells[1:], start=2):
        values = (list(raw) + [""] * 7)[:7]
        if all(normalise_text(v) == "" for v in values):
            continue
        if len(rows) >= MAX_ROWS:
            message = f"每个文件最多{MAX_ROWS}行，请分成几个文件导入"
            raise ValidationFailed(message, {"file": [message]})
        before = len(errors)
        reference, name, number, item = (normalise_text(v) for v in values[:4])
        if isinstance(values[2], float):
            number = normalise_text(values[2])
        number = normalise_id_number(number)
        if not reference:
            _err(errors, row_no, 0, "给付编号不能为空！")
        elif len(reference) > 40:
            _err(errors, row_no, 0, "给付编号不能超过40个字符！")
        elif reference in first_of:
            _err(errors, row_no, 0, f"同第{first_of[reference]}行的给付编号相同！")
        else:
            first_of[reference] = row_no
        if not name:
            _err(errors, row_no, 1, "姓名不能为空！")
        if not number:
            _err(errors, row_no, 2, "证件号码不能为空！")
        elif len(number) > 30:
            _err(errors, row_no, 2, "证件号码不能超过30个字符！")
        if not item:
            _err(errors, row_no, 3, "给付项目不能为空！")
        elif len(item) > 50:
            _err(errors, row_no, 3, "给付项目不能超过50个字！")
        amount = clean_amount(values[4])
        if amount is None:
            _err(errors, row_no, 4, AMOUNT_INVALID + "！")
        paid_on = clean_date(values[5])
        if paid_on is None:
            _err(errors, row_no, 5, DATE_INVALID + "！")
        remark = free_text(values[6]) or None
        if remark and len(remark) > 200:
            _err(errors, row_no, 6, "备注不能超过200个字！")
        if len(errors) == before:
            rows.append(PayoutIn(reference, name, number, item, amount, paid_on, remark, row_no))
    if not rows and not errors:
        message = "文件中没有给付信息，请从第2行起填写"
        raise ValidationFailed(message, {"file": [message]})
    return rows, errors


def import_file(scope: Scope, filename: str, data: bytes, *, ip=None) -> dict:
    """导入给付信息: all rows or none; rows whose 给付编号 is already recorded are skipped."""
    scope.require("payout.manage")
    if not (filename or "").lower().endswith(".xlsx"):
        message = "请上传 .xlsx 格式的给付信息文件（用系统下载的模板填写）"
        raise ValidationFailed(message, {"file": ["文件扩展名应为 .xlsx"]})
    rows, errors = read_rows(data)
    members = find_members(scope, sorted({r.id_number for r in rows}))
    existing = {
        p.reference: p
        for p in db.session.scalars(
            select(Payout).where(Payout.reference.in_([r.reference for r in rows]))
        )
    }
    todo: list[tuple[PayoutIn, Member, Enrolment]] = []
    skipped = 0
    for r in rows:
        member = members.get(r.id_number)
        if member is None:
            _err(errors, r.row, 2, NO_MEMBER + "！")
            continue
        if r.name and r.name != member.name:
            from ..security.masking import mask_name

            _err(errors, r.row, 1, NAME_MISMATCH.format(masked=mask_name(member.name)) + "！")
            continue
        found = existing.get(r.reference)
        if found is not None:
            if _same(found, member, r):
                skipped += 1
            else:
                _err(errors, r.row, 0, REFERENCE_USED.format(reference=r.reference) + "！")
            continue
        enrolment = covering(member.id, r.paid_on)
        if enrolment is None:
            _err(errors, r.row, 5, NOT_COVERED.format(day=r.paid_on.isoformat()) + "！")
            continue
        todo.append((r, member, enrolment))
    if errors:
        errors.sort(key=lambda e: (e["row"], e["column"]))
        bad_rows = len({e["row"] for e in errors})
        message = (
            f"给付信息有 {bad_rows} 行错误（共 {len(errors)} 处），本次导入未做任何修改，"
            "请按提示改正后重新上传"
        )
        raise ValidationFailed(message, {"rows": errors})
    created = [_new_payout(scope, member, enr, r) for r, member, enr in todo]
    stored = store_file(
        data,
        filename=filename[:200],
        purpose="insurance_payouts",
        content_type=XLSX,
        created_by=scope.account_id,
    )
    db.session.flush()
    audit.record(
        scope,
        "insurance.payout_import",
        target_type="insurance_payout",
        target_ids=[p.id for p in created],
        detail={
            "filename": filename,
            "file_id": stored.id,
            "rows": len(rows),
            "created": len(created),
            "skipped": skipped,
        },
        ip=ip,
    )
    return {"rows": len(rows), "created": len(created), "skipped": skipped}
