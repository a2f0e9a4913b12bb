"""slack requests already handled

Revision ID: 0010_slack_dedup
Revises: 0002_slack
"""

from alembic import op
import sqlalchemy as sa
import storage.models.base


revision = '0010_slack_dedup'
down_revision = '0002_slack'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slack_seen_requests',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('expires_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_slack_seen_requests'))
    )
    with op.batch_alter_table('slack_seen_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_seen_requests_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('slack_seen_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_seen_requests_expires_at'))
    op.drop_table('slack_seen_requests')
