"""Put and get encrypted files."""

from __future__ import annotations

import hashlib

from ..errors import NotFound
from ..extensions import db
from ..security.crypto import CryptoError, keyring
from .models import StoredFile

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def store_file(
    data: bytes, *, filename: str, purpose: str, content_type: str, org_id=None, created_by=None
) -> StoredFile:
    key_id, blob = keyring().encrypt_bytes(f"file:{purpose}", data)
    record = StoredFile(
        org_id=org_id,
        purpose=purpose,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        key_id=key_id,
        content=blob,
        created_by=created_by,
    )
    db.session.add(record)
    db.session.flush()
    return record


def read_file(file_id: int) -> tuple[StoredFile, bytes]:
    record = db.session.get(StoredFile, file_id)
    if record is None:
        raise NotFound("文件不存在")
    data = keyring().decrypt_bytes(f"file:{record.purpose}", record.key_id, record.content)
    if hashlib.sha256(data).hexdigest() != record.sha256:
        raise CryptoError("文件校验失败")
    return record, data
