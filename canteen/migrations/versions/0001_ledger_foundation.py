"""ledger foundation

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 17:32:38.129111
"""
from alembic import op
import sqlalchemy as sa
import canteen.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('canteen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canteen')),
    sa.UniqueConstraint('code', name=op.f('uq_canteen_code'))
    )
    op.create_table('dish',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dish')),
    sa.UniqueConstraint('name', name=op.f('uq_dish_name'))
    )
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', canteen.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index('ix_login_failure_key_at', ['key', 'at'], unique=False)

    op.create_table('meal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meal')),
    sa.UniqueConstraint('code', name=op.f('uq_meal_code'))
    )
    op.create_table('stream',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('food_waste', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stream')),
    sa.UniqueConstraint('code', name=op.f('uq_stream_code'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('last_used_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', canteen.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('diner_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('meal_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_diner_count_count_not_negative')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_diner_count_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_diner_count_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['meal_id'], ['meal.id'], name=op.f('fk_diner_count_meal_id_meal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diner_count')),
    sa.UniqueConstraint('canteen_id', 'day', 'meal_id', name=op.f('uq_diner_count_canteen_id_day_meal_id'))
    )
    op.create_table('disposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('receiver_kind', sa.String(length=16), nullable=False),
    sa.Column('receiver', sa.String(length=100), nullable=False),
    sa.Column('manifest_no', sa.String(length=64), nullable=False),
    sa.Column('waste_type', sa.String(length=8), nullable=False),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("receiver_kind IN ('hauler', 'composter')", name=op.f('ck_disposal_receiver_kind_known')),
    sa.CheckConstraint("waste_type IN ('food', 'grease')", name=op.f('ck_disposal_waste_type_known')),
    sa.CheckConstraint('weight_g > 0', name=op.f('ck_disposal_weight_positive')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_disposal_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_disposal_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['user_account.id'], name=op.f('fk_disposal_voided_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_disposal'))
    )
    with op.batch_alter_table('disposal', schema=None) as batch_op:
        batch_op.create_index('ix_disposal_canteen_day', ['canteen_id', 'day'], unique=False)

    op.create_table('user_canteen',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_user_canteen_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_canteen_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'canteen_id', name=op.f('pk_user_canteen'))
    )
    op.create_table('waste_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('meal_id', sa.Integer(), nullable=False),
    sa.Column('stream_id', sa.Integer(), nullable=False),
    sa.Column('dish_id', sa.Integer(), nullable=True),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("source IN ('web', 'api', 'import')", name=op.f('ck_waste_entry_source_known')),
    sa.CheckConstraint('weight_g > 0', name=op.f('ck_waste_entry_weight_positive')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_waste_entry_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_waste_entry_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['dish_id'], ['dish.id'], name=op.f('fk_waste_entry_dish_id_dish')),
    sa.ForeignKeyConstraint(['meal_id'], ['meal.id'], name=op.f('fk_waste_entry_meal_id_meal')),
    sa.ForeignKeyConstraint(['stream_id'], ['stream.id'], name=op.f('fk_waste_entry_stream_id_stream')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waste_entry')),
    sa.UniqueConstraint('created_by_id', 'client_id', name=op.f('uq_waste_entry_created_by_id_client_id'))
    )
    with op.batch_alter_table('waste_entry', schema=None) as batch_op:
        batch_op.create_index('ix_waste_entry_canteen_day', ['canteen_id', 'day'], unique=False)

    op.create_table('diner_count_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('diner_count_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_diner_count_revision_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['diner_count_id'], ['diner_count.id'], name=op.f('fk_diner_count_revision_diner_count_id_diner_count')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diner_count_revision')),
    sa.UniqueConstraint('diner_count_id', 'number', name=op.f('uq_diner_count_revision_diner_count_id_number'))
    )
    op.create_table('waste_entry_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('weight_g', sa.Integer(), nullable=False),
    sa.Column('dish_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('voided', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_waste_entry_revision_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['dish_id'], ['dish.id'], name=op.f('fk_waste_entry_revision_dish_id_dish')),
    sa.ForeignKeyConstraint(['entry_id'], ['waste_entry.id'], name=op.f('fk_waste_entry_revision_entry_id_waste_entry')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waste_entry_revision')),
    sa.UniqueConstraint('entry_id', 'number', name=op.f('uq_waste_entry_revision_entry_id_number'))
    )


def downgrade() -> None:
    op.drop_table('waste_entry_revision')
    op.drop_table('diner_count_revision')
    with op.batch_alter_table('waste_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_waste_entry_canteen_day')

    op.drop_table('waste_entry')
    op.drop_table('user_canteen')
    with op.batch_alter_table('disposal', schema=None) as batch_op:
        batch_op.drop_index('ix_disposal_canteen_day')

    op.drop_table('disposal')
    op.drop_table('diner_count')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
    op.drop_table('user_account')
    op.drop_table('stream')
    op.drop_table('meal')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failure_key_at')

    op.drop_table('login_failure')
    op.drop_table('dish')
    op.drop_table('canteen')
