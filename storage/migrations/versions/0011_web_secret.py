"""web: the key that signs leaders' links

Revision ID: 0011_web_secret
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa
import storage.models.base


revision = '0011_web_secret'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_secrets',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_web_secrets'))
    )


def downgrade() -> None:
    op.drop_table('web_secrets')
