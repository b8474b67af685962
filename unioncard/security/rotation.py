"""Key rotation: re-encrypt every stored personal value and file with the active key.

Run after adding a new key to ``DATA_KEYS`` and pointing ``DATA_KEY_ID`` at it
(``flask keys rotate``); once it reports nothing left on the old key id, the old key can be
removed from the configuration. Blind indexes do not change (their key is separate).
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from .crypto import Encrypted, keyring

BATCH = 1000


def encrypted_columns():
    """(table, primary key column, column, kind) of every Encrypted column in the models."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                yield table, table.c.id, column, column.type.kind


def rotate(*, batch: int = BATCH) -> dict[str, int]:
    """Re-encrypt values not on the active key; commits per batch; returns counts per column."""
    ring = keyring()
    prefix = ring.active_key_id + ":"
    counts: dict[str, int] = {}
    for table, pk, column, kind in encrypted_columns():
        raw = column.type.impl  # read and write the stored text, not through the decorator
        done = 0
        last = 0
        while True:
            rows = db.session.execute(
                select(pk, db.literal_column(column.name, type_=raw))
                .select_from(table)
                .where(pk > last)
                .order_by(pk)
                .limit(batch)
            ).all()
            if not rows:
                break
            last = rows[-1][0]
            for row_id, value in rows:
                if value is None or value.startswith(prefix):
                    continue
                fresh = ring.encrypt(kind, ring.decrypt(kind, value))
                db.session.execute(
                    update(table)
                    .where(pk == row_id)
                    .values({column.name: db.literal(fresh, type_=raw)})
                )
                done += 1
            db.session.commit()
        counts[f"{table.name}.{column.name}"] = done
    counts["stored_file"] = _rotate_files(ring, batch)
    return counts


def _rotate_files(ring, batch: int) -> int:
    from ..storage.models import StoredFile

    done = 0
    ids = list(
        db.session.scalars(select(StoredFile.id).where(StoredFile.key_id != ring.active_key_id))
    )
    for start in range(0, len(ids), batch):
        for record in db.session.scalars(
            select(StoredFile).where(StoredFile.id.in_(ids[start : start + batch]))
        ):
            kind = f"file:{record.purpose}"
            data = ring.decrypt_bytes(kind, record.key_id, record.content)
            record.key_id, record.content = ring.encrypt_bytes(kind, data)
            done += 1
        db.session.commit()
    return done
