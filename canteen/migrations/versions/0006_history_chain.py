"""history chain: chain links, month sign-offs (close/reopen), chain check runs

Revision ID: 0006
Revises: 0007
Create Date: 2026-12-01

Records written before this revision have no chain link: ``canteen verify --seal-existing`` chains them
(see canteen/audit/seal.py for why that is a command and not part of this migration).
"""
from alembic import op
import sqlalchemy as sa
import canteen.db


revision = '0006'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'chain_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stream', sa.String(length=64), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('canteen_id', sa.Integer(), nullable=True),
        sa.Column('month', sa.Date(), nullable=True),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', canteen.db.UTCDateTime(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('content', sa.Text(), nullable=False),
        sa.Column('sealed', sa.Boolean(), nullable=False),
        sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('waste_revision', 'diner_revision', 'month_prepared', 'month_closed', "
                           "'month_reopened', 'assessment_revision', 'escalation_action')",
                           name=op.f('ck_chain_link_kind_known')),
        sa.CheckConstraint('seq > 0', name=op.f('ck_chain_link_seq_positive')),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_chain_link_actor_id_user_account')),
        sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'],
                                name=op.f('fk_chain_link_canteen_id_canteen')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_link')),
        sa.UniqueConstraint('kind', 'record_id', name=op.f('uq_chain_link_kind_record_id')),
        sa.UniqueConstraint('stream', 'seq', name=op.f('uq_chain_link_stream_seq')),
    )
    with op.batch_alter_table('chain_link', schema=None) as batch_op:
        batch_op.create_index('ix_chain_link_at', ['at'], unique=False)
        batch_op.create_index('ix_chain_link_canteen_month', ['canteen_id', 'month'], unique=False)

    op.create_table(
        'ledger_month_signoff',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('canteen_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('action', sa.String(length=12), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('at', canteen.db.UTCDateTime(), nullable=False),
        sa.Column('head_hash', sa.String(length=64), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=True),
        sa.Column('prepared_by_id', sa.Integer(), nullable=True),
        sa.Column('prepared_at', canteen.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint("action IN ('prepared', 'closed', 'reopened')",
                           name=op.f('ck_ledger_month_signoff_action_known')),
        sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'],
                                name=op.f('fk_ledger_month_signoff_actor_id_user_account')),
        sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'],
                                name=op.f('fk_ledger_month_signoff_canteen_id_canteen')),
        sa.ForeignKeyConstraint(['prepared_by_id'], ['user_account.id'],
                                name=op.f('fk_ledger_month_signoff_prepared_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_month_signoff')),
    )
    with op.batch_alter_table('ledger_month_signoff', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_month_signoff_canteen_month', ['canteen_id', 'month'], unique=False)

    op.create_table(
        'chain_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('started_at', canteen.db.UTCDateTime(), nullable=False),
        sa.Column('finished_at', canteen.db.UTCDateTime(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('links', sa.Integer(), nullable=False),
        sa.Column('streams', sa.Integer(), nullable=False),
        sa.Column('breaks', sa.Integer(), nullable=False),
        sa.Column('sealed', sa.Integer(), nullable=False),
        sa.Column('report', sa.Text(), nullable=False),
        sa.Column('heads', sa.Text(), nullable=False),
        sa.CheckConstraint("trigger IN ('cli', 'nightly')", name=op.f('ck_chain_check_trigger_known')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_check')),
    )
    with op.batch_alter_table('chain_check', schema=None) as batch_op:
        batch_op.create_index('ix_chain_check_finished_at', ['finished_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chain_check', schema=None) as batch_op:
        batch_op.drop_index('ix_chain_check_finished_at')
    op.drop_table('chain_check')
    with op.batch_alter_table('ledger_month_signoff', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_month_signoff_canteen_month')
    op.drop_table('ledger_month_signoff')
    with op.batch_alter_table('chain_link', schema=None) as batch_op:
        batch_op.drop_index('ix_chain_link_canteen_month')
        batch_op.drop_index('ix_chain_link_at')
    op.drop_table('chain_link')
