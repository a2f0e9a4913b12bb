"""deliveries: the further messages a long message was split into

Revision ID: 0007_delivery_parts
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa


revision = '0007_delivery_parts'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_more_ids', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('sent_more_ids')
