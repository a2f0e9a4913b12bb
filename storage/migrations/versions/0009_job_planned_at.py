"""scheduled_jobs: when a job was planned to run, kept apart from retries

Revision ID: 0009_job_planned_at
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa

import storage.models.base


revision = '0009_job_planned_at'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('planned_at', storage.models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.drop_column('planned_at')
