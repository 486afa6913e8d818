"""camera triage: the public image flag, a queue index for triage, system decisions, the evidence access log

Revision ID: 0007
Revises: 0004
Create Date: 2026-12-03 10:00:00
"""
from alembic import op
import sqlalchemy as sa
import canteen.db


revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Events stored before the worker said whether its public image is usable count as publishable.
    with op.batch_alter_table('camera_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_image', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_index('ix_camera_event_triage', ['status', 'scene_changed', 'confidence', 'started_at'],
                              unique=False)
    # A decision without an author is the system's (auto-close of visits without a lasting change).
    with op.batch_alter_table('event_review', schema=None) as batch_op:
        batch_op.alter_column('created_by_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint('system_only_dismisses',
                                         "created_by_id IS NOT NULL OR decision = 'dismissed'")
    op.create_table('evidence_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', canteen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("purpose IN ('review', 'approval')", name=op.f('ck_evidence_access_purpose_known')),
    sa.ForeignKeyConstraint(['event_id'], ['camera_event.id'], name=op.f('fk_evidence_access_event_id_camera_event')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_evidence_access_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_access'))
    )
    with op.batch_alter_table('evidence_access', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_access_event_at', ['event_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_access_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('evidence_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_access_user_id'))
        batch_op.drop_index('ix_evidence_access_event_at')
    op.drop_table('evidence_access')
    # The older schema cannot hold a decision without an author; deleting the system's decisions would rewrite
    # history, so the downgrade stops instead.
    system = op.get_bind().execute(sa.text("SELECT count(*) FROM event_review WHERE created_by_id IS NULL"))
    if system.scalar():
        raise RuntimeError("event_review holds decisions made by the system (auto-close); "
                           "the revision before cannot store them")
    with op.batch_alter_table('event_review', schema=None) as batch_op:
        batch_op.drop_constraint('ck_event_review_system_only_dismisses', type_='check')
        batch_op.alter_column('created_by_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('camera_event', schema=None) as batch_op:
        batch_op.drop_index('ix_camera_event_triage')
        batch_op.drop_column('public_image')
