"""teams: tenants' service URLs, people, open forms and offered files

Revision ID: 0010_teams
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa
import storage.models.base


revision = '0010_teams'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams_tenants',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('service_url', sa.String(length=500), nullable=False),
    sa.Column('bot_id', sa.String(length=200), nullable=False),
    sa.Column('updated_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', name=op.f('pk_teams_tenants'))
    )
    op.create_table('teams_people',
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=200), nullable=False),
    sa.Column('teams_id', sa.String(length=200), nullable=False),
    sa.Column('conversation_id', sa.String(length=300), nullable=False),
    sa.Column('updated_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'user_id', name=op.f('pk_teams_people'))
    )
    op.create_table('teams_stash',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=200), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_teams_stash'))
    )
    with op.batch_alter_table('teams_stash', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_stash_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('teams_stash', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_stash_user_id'))
    op.drop_table('teams_stash')
    op.drop_table('teams_people')
    op.drop_table('teams_tenants')
