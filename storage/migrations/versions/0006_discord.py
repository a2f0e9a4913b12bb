"""discord: stored button ids and open forms

Revision ID: 0006_discord
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa
import storage.models.base


revision = '0006_discord'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('discord_stash',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_discord_stash'))
    )
    with op.batch_alter_table('discord_stash', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discord_stash_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('discord_stash', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discord_stash_user_id'))
    op.drop_table('discord_stash')
