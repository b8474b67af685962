"""payment refunds of a second payment (重复支付): several refunds per order

Revision ID: b4c6d8e0f2a1
Revises: 9e4f1b2c3d4a
Create Date: 2026-12-01 02:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4c6d8e0f2a1'
down_revision = '9e4f1b2c3d4a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_transaction_id', sa.String(length=32), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_payment_refund_order_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_payment_refund_order_id'), ['order_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_payment_refund_duplicate_transaction_id'), ['duplicate_transaction_id'])


def downgrade():
    with op.batch_alter_table('payment_refund', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payment_refund_duplicate_transaction_id'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_payment_refund_order_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_refund_order_id'), ['order_id'])
        batch_op.drop_column('duplicate_transaction_id')
