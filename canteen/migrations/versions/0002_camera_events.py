"""camera events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 17:36:08.728291
"""
from alembic import op
import sqlalchemy as sa
import canteen.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('camera_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('started_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('start_s', sa.Float(), nullable=False),
    sa.Column('end_s', sa.Float(), nullable=False),
    sa.Column('peak_activity', sa.Float(), nullable=False),
    sa.Column('activity_integral', sa.Float(), nullable=False),
    sa.Column('scene_changed', sa.Boolean(), nullable=False),
    sa.Column('changed_fraction', sa.Float(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('end_reason', sa.String(length=32), nullable=False),
    sa.Column('detector_version', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('media_dir', sa.String(length=200), nullable=False),
    sa.Column('media_kinds', sa.String(length=200), nullable=False),
    sa.Column('media_deleted_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('received_at', canteen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'dismissed', 'unidentified')", name=op.f('ck_camera_event_status_known')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_camera_event_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['received_by_id'], ['user_account.id'], name=op.f('fk_camera_event_received_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_camera_event')),
    sa.UniqueConstraint('uuid', name=op.f('uq_camera_event_uuid'))
    )
    with op.batch_alter_table('camera_event', schema=None) as batch_op:
        batch_op.create_index('ix_camera_event_canteen_started', ['canteen_id', 'started_at'], unique=False)
        batch_op.create_index('ix_camera_event_status_started', ['status', 'started_at'], unique=False)

    op.create_table('camera_status',
    sa.Column('camera', sa.String(length=64), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.Column('last_frame_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('reported_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_camera_status_canteen_id_canteen')),
    sa.PrimaryKeyConstraint('camera', name=op.f('pk_camera_status'))
    )


def downgrade() -> None:
    op.drop_table('camera_status')
    with op.batch_alter_table('camera_event', schema=None) as batch_op:
        batch_op.drop_index('ix_camera_event_status_started')
        batch_op.drop_index('ix_camera_event_canteen_started')

    op.drop_table('camera_event')
