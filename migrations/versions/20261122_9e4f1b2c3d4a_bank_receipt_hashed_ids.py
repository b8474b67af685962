"""bank receipts: keep the bank's ids as keyed hashes and drop them from payloads

A bank may build its result and event ids from card numbers (the sandbox's event ids are
``{card_no}-{type}``); receipts now store ``HMAC(blind-index key, "bank_{kind}:{id}")`` and
no id in the payload (``unioncard.cards.callbacks.receipt_key``). This rewrites the receipts
already stored the same way, so a bank retrying an old callback is still recognised.

Revision ID: 9e4f1b2c3d4a
Revises: 7a9b3c2d1e55
Create Date: 2026-11-22 13:50:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9e4f1b2c3d4a'
down_revision = '7a9b3c2d1e55'
branch_labels = None
depends_on = None

PRIVATE = ("card_no", "result_id", "event_id")


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, kind, external_id, payload FROM bank_receipt")).all()
    if not rows:
        return
    from unioncard.security.crypto import keyring  # the running app's blind-index key

    ring = keyring()
    for row_id, kind, external_id, payload in rows:
        if isinstance(payload, str):
            payload = json.loads(payload)
        payload = {k: v for k, v in (payload or {}).items() if k not in PRIVATE}
        bind.execute(
            sa.text("UPDATE bank_receipt SET external_id = :key, payload = :payload WHERE id = :id"),
            {
                "key": ring.blind_index(f"bank_{kind}", str(external_id)),
                "payload": json.dumps(payload, ensure_ascii=False),
                "id": row_id,
            },
        )


def downgrade():
    # The original ids are not recoverable from their hashes; receipts stay hashed.
    pass
