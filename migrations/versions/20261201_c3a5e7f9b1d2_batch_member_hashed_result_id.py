"""card batch members: keep the bank's result id as its keyed hash

A bank may build its result ids from card numbers; the receipts already keep them only as
``HMAC(blind-index key, "bank_result:{id}")`` (9e4f1b2c3d4a), but the answered batch member
(``card_batch_member.result_id``) still held the id in clear. It now holds the same hash as
the receipt (``unioncard.cards.callbacks.receipt_key``); this rewrites the ids already stored.
The column is never read back as an id.

Revision ID: c3a5e7f9b1d2
Revises: c3d5e7f9a1b2
Create Date: 2026-12-01 09:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3a5e7f9b1d2'
down_revision = 'c3d5e7f9a1b2'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, result_id FROM card_batch_member WHERE result_id IS NOT NULL")
    ).all()
    if not rows:
        return
    from unioncard.security.crypto import keyring  # the running app's blind-index key

    ring = keyring()
    bind.execute(
        sa.text("UPDATE card_batch_member SET result_id = :key WHERE id = :id"),
        [{"key": ring.blind_index("bank_result", str(rid)), "id": row_id} for row_id, rid in rows],
    )


def downgrade():
    # The original ids are not recoverable from their hashes; they stay hashed.
    pass
