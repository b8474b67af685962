"""imports: the preview keeps its validated, encrypted rows (import_job.staged_file_id)

Revision ID: c3d5e7f9a1b2
Revises: d7f9b1c3e5a2
Create Date: 2026-12-01 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3d5e7f9a1b2'
down_revision = 'd7f9b1c3e5a2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staged_file_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_import_job_staged_file_id_stored_file'), 'stored_file', ['staged_file_id'], ['id'])


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_import_job_staged_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_column('staged_file_id')
