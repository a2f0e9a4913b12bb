"""mail

Revision ID: 0012_mail
Revises: 0001_core
"""

from alembic import op
import sqlalchemy as sa
import storage.models.base


revision = '0012_mail'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('confirm_hash', sa.String(length=64), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsubscribe_token', sa.String(length=64), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', storage.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('bounced_at', storage.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['members.id'], name=op.f('fk_mail_subscriptions_invited_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mail_subscriptions_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_mail_subscriptions_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_subscriptions')),
    sa.UniqueConstraint('confirm_hash', name=op.f('uq_mail_subscriptions_confirm_hash')),
    sa.UniqueConstraint('network_id', 'address', name=op.f('uq_mail_subscriptions_network_id')),
    sa.UniqueConstraint('unsubscribe_token', name=op.f('uq_mail_subscriptions_unsubscribe_token')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('mail_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_subscriptions_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_subscriptions_network_id'), ['network_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('mail_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_subscriptions_network_id'))
        batch_op.drop_index(batch_op.f('ix_mail_subscriptions_member_id'))

    op.drop_table('mail_subscriptions')
