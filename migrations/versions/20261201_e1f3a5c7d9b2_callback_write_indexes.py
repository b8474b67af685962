"""callback_write_indexes: fewer index entries written by every bank answer

Each card result updates its card_batch_member row and clears ``open_member_id``, so the
update is never HOT and writes an entry into every index of the table; each result also
inserts a bank_receipt row. Indexes no query needs go, and two become partial:

- card_batch_member (batch_id): its queries are served by the unique (batch_id, member_id);
- card_batch_member (member_id): no query looks links up by member alone;
- card_batch_member (member_no) becomes (batch_id, member_no): a callback looks its links
  up by member number within its batch, one probe each (with member_no alone, on a table
  without statistics the planner read the whole batch for every number);
- the unique open_member_id becomes a unique index on open links only (NULL never
  conflicted; an answered or revoked link now has no entry);
- bank_receipt (member_no): only the receipts not applied, the waiting events the one
  query by member_no looks for (an applied result writes no entry).

Revision ID: e1f3a5c7d9b2
Revises: e8a0c2d4f6b1
Create Date: 2026-12-01 14:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1f3a5c7d9b2'
down_revision = 'e8a0c2d4f6b1'
branch_labels = None
depends_on = None

OPEN = sa.text('open_member_id IS NOT NULL')


def upgrade():
    with op.batch_alter_table('card_batch_member', schema=None) as batch_op:
        batch_op.create_index('ix_card_batch_member_open_member_id', ['open_member_id'],
                              unique=True, postgresql_where=OPEN, sqlite_where=OPEN)
        batch_op.drop_constraint('uq_card_batch_member_open_member_id', type_='unique')
        batch_op.drop_index('ix_card_batch_member_batch_id')
        batch_op.drop_index('ix_card_batch_member_member_id')
        batch_op.create_index('ix_card_batch_member_batch_member_no', ['batch_id', 'member_no'],
                              unique=False)
        batch_op.drop_index('ix_card_batch_member_member_no')
    with op.batch_alter_table('bank_receipt', schema=None) as batch_op:
        batch_op.create_index('ix_bank_receipt_member_no_waiting', ['member_no'], unique=False,
                              postgresql_where=sa.text('applied IS false'),
                              sqlite_where=sa.text('applied IS 0'))
        batch_op.drop_index('ix_bank_receipt_member_no')


def downgrade():
    with op.batch_alter_table('bank_receipt', schema=None) as batch_op:
        batch_op.create_index('ix_bank_receipt_member_no', ['member_no'], unique=False)
        batch_op.drop_index('ix_bank_receipt_member_no_waiting')
    with op.batch_alter_table('card_batch_member', schema=None) as batch_op:
        batch_op.create_index('ix_card_batch_member_member_no', ['member_no'], unique=False)
        batch_op.drop_index('ix_card_batch_member_batch_member_no')
        batch_op.create_index('ix_card_batch_member_member_id', ['member_id'], unique=False)
        batch_op.create_index('ix_card_batch_member_batch_id', ['batch_id'], unique=False)
        batch_op.create_unique_constraint('uq_card_batch_member_open_member_id', ['open_member_id'])
        batch_op.drop_index('ix_card_batch_member_open_member_id')
