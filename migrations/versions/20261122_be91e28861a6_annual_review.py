"""annual review: reviews, failing marks, the approved snapshot, reminders

Revision ID: be91e28861a6
Revises: 2aa084b49176
Create Date: 2026-11-22 11:06:25.011943

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'be91e28861a6'
down_revision = '2aa084b49176'
branch_labels = None
depends_on = None


def upgrade():
    # One review per union per year: the unique (org_id, year) is the once-a-year rule.
    op.create_table('annual_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('进行中', '待审核', '已退回', '已通过', name='review_status', native_enum=False, create_constraint=True, length=7), nullable=False),
    sa.Column('started_by', sa.Integer(), nullable=True),
    sa.Column('started_by_name', sa.String(length=50), nullable=True),
    sa.Column('unit_info', sa.JSON(), nullable=True),
    sa.Column('unit_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unit_confirmed_by_name', sa.String(length=50), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_by', sa.Integer(), nullable=True),
    sa.Column('submitted_by_name', sa.String(length=50), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_by_name', sa.String(length=50), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('reviewed_count', sa.Integer(), nullable=True),
    sa.Column('failed_count', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_account.id'], name=op.f('fk_annual_review_decided_by_staff_account')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_annual_review_org_id_org')),
    sa.ForeignKeyConstraint(['started_by'], ['staff_account.id'], name=op.f('fk_annual_review_started_by_staff_account')),
    sa.ForeignKeyConstraint(['submitted_by'], ['staff_account.id'], name=op.f('fk_annual_review_submitted_by_staff_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_review')),
    sa.UniqueConstraint('org_id', 'year', name=op.f('uq_annual_review_org_id_year'))
    )
    with op.batch_alter_table('annual_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annual_review_year'), ['year'], unique=False)

    op.create_table('review_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('sender_org_id', sa.Integer(), nullable=False),
    sa.Column('sent_by', sa.Integer(), nullable=True),
    sa.Column('sent_by_name', sa.String(length=50), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_review_reminder_org_id_org')),
    sa.ForeignKeyConstraint(['sender_org_id'], ['org.id'], name=op.f('fk_review_reminder_sender_org_id_org')),
    sa.ForeignKeyConstraint(['sent_by'], ['staff_account.id'], name=op.f('fk_review_reminder_sent_by_staff_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_reminder'))
    )
    with op.batch_alter_table('review_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_reminder_org_id'), ['org_id'], unique=False)

    op.create_table('annual_review_mark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('退休', '离职', '死亡', name='review_fail_reason', native_enum=False, create_constraint=True, length=6), nullable=False),
    sa.Column('source', sa.Enum('列表', '文件', name='review_mark_source', native_enum=False, create_constraint=True, length=6), nullable=False),
    sa.Column('remark', sa.String(length=200), nullable=True),
    sa.Column('marked_by_name', sa.String(length=50), nullable=True),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_annual_review_mark_member_id_member')),
    sa.ForeignKeyConstraint(['review_id'], ['annual_review.id'], name=op.f('fk_annual_review_mark_review_id_annual_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_review_mark')),
    sa.UniqueConstraint('review_id', 'member_id', name=op.f('uq_annual_review_mark_review_id_member_id'))
    )
    with op.batch_alter_table('annual_review_mark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annual_review_mark_member_id'), ['member_id'], unique=False)

    op.create_table('annual_review_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Enum('退休', '离职', '死亡', name='review_result_reason', native_enum=False, create_constraint=True, length=6), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_annual_review_result_member_id_member')),
    sa.ForeignKeyConstraint(['review_id'], ['annual_review.id'], name=op.f('fk_annual_review_result_review_id_annual_review'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_review_result')),
    sa.UniqueConstraint('review_id', 'member_id', name=op.f('uq_annual_review_result_review_id_member_id'))
    )
    with op.batch_alter_table('annual_review_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annual_review_result_member_id'), ['member_id'], unique=False)



def downgrade():
    with op.batch_alter_table('annual_review_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annual_review_result_member_id'))

    op.drop_table('annual_review_result')
    with op.batch_alter_table('annual_review_mark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annual_review_mark_member_id'))

    op.drop_table('annual_review_mark')
    with op.batch_alter_table('review_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_reminder_org_id'))

    op.drop_table('review_reminder')
    with op.batch_alter_table('annual_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annual_review_year'))

    op.drop_table('annual_review')
