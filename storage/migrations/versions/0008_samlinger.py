"""samlinger: the network's meetings

Revision ID: 0008_samlinger
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa
import storage.models.base


revision = '0008_samlinger'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('samlinger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('about', sa.String(length=300), nullable=False),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_samlinger_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_samlinger')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('samlinger', schema=None) as batch_op:
        batch_op.create_index('ix_samlinger_network_starts', ['network_id', 'starts_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('samlinger', schema=None) as batch_op:
        batch_op.drop_index('ix_samlinger_network_starts')

    op.drop_table('samlinger')
