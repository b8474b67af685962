"""缴费凭证: the district uploads the proof that it paid a batch; 职保中心 downloads it.

A voucher is a JPEG/PNG picture or a PDF, recognised by its content, never by its name:
the magic bytes must say so AND the file must open (Pillow decodes the image; pypdf reads
the PDF and finds a page). The size limit is ``INSURANCE_VOUCHER_MAX_BYTES``. The file is
stored encrypted and immutable; a re-upload before 职保中心's confirmation points the batch
at the new file and keeps the old one. Uploads and downloads are audited.
"""

from __future__ import annotations

import io
import logging
import warnings

from flask import current_app

from ..accounts.scope import Scope
from ..audit import services as audit
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..extensions import db
from ..members import idcard
from ..models_base import utcnow
from ..storage.services import read_file, store_file
from .batches import batch_dict, get_batch
from .models import InsuranceBatchStatus
from .moves import move_batch

B = InsuranceBatchStatus
PURPOSE = "insurance_voucher"
JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", PDF: ".pdf"}
NOT_A_VOUCHER = "缴费凭证只能是 JPG/PNG 图片或 PDF 文件，请上传转账回单的照片、截图或PDF"
UNREADABLE = "文件无法打开（已损坏或不是真正的{kind}文件），请重新导出后上传"

logging.getLogger("pypdf").setLevel(logging.ERROR)


def max_bytes() -> int:
    return int(current_app.config.get("INSURANCE_VOUCHER_MAX_BYTES", 5 * 1024 * 1024))


def sniff(data: bytes) -> str | None:
    """The content type the magic bytes announce (JPEG, PNG or PDF), else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:1024].lstrip(b"\x00\t\n\r\x0c ").startswith(b"%PDF-"):
        return PDF
    return None


def _opens_as_image(data: bytes, kind: str) -> bool:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.format != ("JPEG" if kind == JPEG else "PNG"):
                    return False
                img.verify()
            with Image.open(io.BytesIO(data)) as img:
                img.load()
        return True
    except Exception:  # any decoder failure means "not a picture we can show"
        return False


def _opens_as_pdf(data: bytes) -> bool:
    try:
        from pypdf import PdfReader
    except ImportError:  # structural check only
        return b"%%EOF" in data[-2048:] and b"/Page" in data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return False
            return len(reader.pages) >= 1
    except Exception:  # pypdf raises many kinds on broken files
        return False


def check_voucher(data: bytes) -> str:
    """The voucher's content type, or ValidationFailed with what to do."""
    limit = max_bytes()
    if not data:
        raise ValidationFailed("上传的文件是空的，请重新选择缴费凭证", {"file": ["文件为空"]})
    if len(data) > limit:
        mb = f"{limit / (1024 * 1024):g}"
        raise ValidationFailed(
            f"缴费凭证不能超过{mb}MB，请压缩图片或减少PDF页数后重新上传",
            {"file": [f"文件超过{mb}MB"]},
        )
    kind = sniff(data)
    if kind is None:
        raise ValidationFailed(NOT_A_VOUCHER, {"file": ["文件内容不是 JPG/PNG 图片或 PDF"]})
    ok = _opens_as_pdf(data) if kind == PDF else _opens_as_image(data, kind)
    if not ok:
        label = "PDF" if kind == PDF else "图片"
        raise ValidationFailed(UNREADABLE.format(kind=label), {"file": ["文件无法打开"]})
    return kind


def _filename(name: str | None, given: str | None, kind: str) -> str:
    text = idcard.normalise_text(given) or idcard.normalise_text(name) or "缴费凭证"
    text = text.replace("/", "_").replace("\\", "_")[:150]
    stem = text.rsplit(".", 1)[0] if "." in text else text
    return (stem or "缴费凭证") + EXTENSIONS[kind]


def upload(
    scope: Scope, batch_id: int, filename: str | None, data: bytes, *, title=None, ip=None
) -> dict:
    """上传缴费凭证: 待缴费 → 已上传凭证; again before confirmation: the newer file wins."""
    scope.require("insurance.review")
    batch = get_batch(scope, batch_id, lock=True)
    if batch.org_id != scope.org_id:
        raise PermissionDenied("缴费凭证由该批次所属的区局（产业）工会上传")
    if batch.status not in (B.AWAITING_PAYMENT, B.VOUCHER_UPLOADED):
        raise Conflict(f"该批次状态为「{batch.status.value}」，不能再上传缴费凭证")
    today = idcard.today_in_china()
    if batch.payment_deadline and today > batch.payment_deadline:
        raise Conflict(
            f"该批次的缴费截止日为{batch.payment_deadline.isoformat()}，已逾期，不能再上传缴费凭证"
        )
    kind = check_voucher(data)
    stored = store_file(
        data,
        filename=_filename(filename, title, kind),
        purpose=PURPOSE,
        content_type=kind,
        org_id=batch.org_id,
        created_by=scope.account_id,
    )
    previous = batch.voucher_file_id
    move_batch(
        batch,
        B.VOUCHER_UPLOADED,
        voucher_file_id=stored.id,
        voucher_uploaded_at=utcnow(),
        voucher_uploaded_by_name=scope.account_name,
    )
    audit.record(
        scope,
        "insurance.voucher_upload",
        target_type="insurance_batch",
        target_ids=[batch.id],
        detail={
            "batch_no": batch.batch_no,
            "file_id": stored.id,
            "filename": stored.filename,
            "content_type": kind,
            "size": stored.size,
            "sha256": stored.sha256,
            "replaces_file_id": previous,
        },
        ip=ip,
    )
    db.session.flush()
    return batch_dict(batch)


def download(scope: Scope, batch_id: int, *, ip=None) -> tuple[str, str, bytes]:
    """下载缴费凭证 (audited): (filename, content type, bytes)."""
    batch = get_batch(scope, batch_id)
    if batch.voucher_file_id is None:
        raise Conflict("该批次尚未上传缴费凭证，暂无可下载的凭证")
    record, data = read_file(batch.voucher_file_id)
    audit.record(
        scope,
        "insurance.voucher_download",
        target_type="insurance_batch",
        target_ids=[batch.id],
        detail={"batch_no": batch.batch_no, "file_id": record.id},
        ip=ip,
    )
    return record.filename, record.content_type, data
