"""hallapi: the service hall's official-account users (oa_openid, channel; openid optional)

Revision ID: 7c1d2e3f4a5b
Revises: b4c6d8e0f2a1
Create Date: 2026-12-01 05:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1d2e3f4a5b'
down_revision = 'b4c6d8e0f2a1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('member_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oa_openid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.Enum('小程序', '服务大厅', name='member_channel', native_enum=False, create_constraint=True, length=8), nullable=False, server_default='小程序'))
        batch_op.alter_column('openid', existing_type=sa.String(length=64), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_member_user_oa_openid'), ['oa_openid'])
    with op.batch_alter_table('member_user', schema=None) as batch_op:
        batch_op.alter_column('channel', server_default=None)


def downgrade():
    op.execute("DELETE FROM member_user WHERE openid IS NULL")
    with op.batch_alter_table('member_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_member_user_oa_openid'), type_='unique')
        batch_op.alter_column('openid', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('channel')
        batch_op.drop_column('oa_openid')
