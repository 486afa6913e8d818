"""assessment offences reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 19:16:07.435736
"""
from alembic import op
import sqlalchemy as sa
import canteen.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('assessment_sheet_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_sheet_version')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_assessment_sheet_version_content_hash')),
    sa.UniqueConstraint('number', name=op.f('uq_assessment_sheet_version_number'))
    )
    op.create_table('contractor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('contract_no', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contractor')),
    sa.UniqueConstraint('contract_no', name=op.f('uq_contractor_contract_no')),
    sa.UniqueConstraint('name', name=op.f('uq_contractor_name'))
    )
    op.create_table('diner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('card_no', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diner')),
    sa.UniqueConstraint('card_no', name=op.f('uq_diner_card_no'))
    )
    op.create_table('job_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('scheduled_for', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', canteen.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'ok', 'failed', 'skipped', 'interrupted')", name=op.f('ck_job_run_status_known')),
    sa.CheckConstraint("trigger IN ('schedule', 'catch-up', 'manual')", name=op.f('ck_job_run_trigger_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run'))
    )
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index('ix_job_run_job_started', ['job_id', 'started_at'], unique=False)

    op.create_table('scheduler_start',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_start'))
    )
    op.create_table('assessment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contractor_id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('sheet_version_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('base_fee_fen', sa.Integer(), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('respond_by', sa.Date(), nullable=True),
    sa.Column('response', sa.String(length=12), nullable=True),
    sa.Column('response_text', sa.String(length=2000), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('answer_text', sa.String(length=2000), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('finalized_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('pending_reason', sa.String(length=1000), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'disputed', 'amending', 'final')", name=op.f('ck_assessment_status_known')),
    sa.CheckConstraint('base_fee_fen >= 0', name=op.f('ck_assessment_fee_not_negative')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_assessment_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_assessment_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractor.id'], name=op.f('fk_assessment_contractor_id_contractor')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['user_account.id'], name=op.f('fk_assessment_opened_by_id_user_account')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['user_account.id'], name=op.f('fk_assessment_responded_by_id_user_account')),
    sa.ForeignKeyConstraint(['sheet_version_id'], ['assessment_sheet_version.id'], name=op.f('fk_assessment_sheet_version_id_assessment_sheet_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment')),
    sa.UniqueConstraint('contractor_id', 'canteen_id', 'month', name=op.f('uq_assessment_contractor_id_canteen_id_month'))
    )
    op.create_table('assessment_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_assessment_audit_actor_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_audit'))
    )
    with op.batch_alter_table('assessment_audit', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_audit_subject', ['subject', 'subject_id'], unique=False)

    op.create_table('contractor_canteen',
    sa.Column('contractor_id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('monthly_fee_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint('monthly_fee_fen >= 0', name=op.f('ck_contractor_canteen_fee_not_negative')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_contractor_canteen_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractor.id'], name=op.f('fk_contractor_canteen_contractor_id_contractor'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contractor_id', 'canteen_id', name=op.f('pk_contractor_canteen'))
    )
    op.create_table('contractor_user',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('contractor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contractor_id'], ['contractor.id'], name=op.f('fk_contractor_user_contractor_id_contractor'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_contractor_user_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_contractor_user'))
    )
    with op.batch_alter_table('contractor_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contractor_user_contractor_id'), ['contractor_id'], unique=False)

    op.create_table('diner_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('diner_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_diner_revision_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['diner_id'], ['diner.id'], name=op.f('fk_diner_revision_diner_id_diner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diner_revision')),
    sa.UniqueConstraint('diner_id', 'number', name=op.f('uq_diner_revision_diner_id_number'))
    )
    op.create_table('missing_entry_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('missing_meals', sa.JSON(), nullable=False),
    sa.Column('checked_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('job_run_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_missing_entry_check_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['job_run_id'], ['job_run.id'], name=op.f('fk_missing_entry_check_job_run_id_job_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_missing_entry_check')),
    sa.UniqueConstraint('canteen_id', 'day', name=op.f('uq_missing_entry_check_canteen_id_day'))
    )
    op.create_table('report_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('directory', sa.String(length=500), nullable=False),
    sa.Column('stored', sa.Boolean(), nullable=False),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('finished_at', canteen.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'ok', 'failed', 'skipped')", name=op.f('ck_report_run_status_known')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_report_run_canteen_id_canteen')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_run'))
    )
    with op.batch_alter_table('report_run', schema=None) as batch_op:
        batch_op.create_index('ix_report_run_month_target', ['month', 'target'], unique=False)

    op.create_table('spot_check_draw',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('drawn_by_id', sa.Integer(), nullable=True),
    sa.Column('drawn_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_spot_check_draw_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['drawn_by_id'], ['user_account.id'], name=op.f('fk_spot_check_draw_drawn_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_check_draw')),
    sa.UniqueConstraint('canteen_id', 'month', name=op.f('uq_spot_check_draw_canteen_id_month'))
    )
    op.create_table('assessment_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('total_x100', sa.Integer(), nullable=False),
    sa.Column('grade', sa.String(length=32), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('snapshot', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_revision_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_assessment_revision_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_revision')),
    sa.UniqueConstraint('assessment_id', 'number', name=op.f('uq_assessment_revision_assessment_id_number'))
    )
    op.create_table('event_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('diner_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("decision = 'confirmed' OR diner_id IS NULL", name=op.f('ck_event_review_diner_only_if_confirmed')),
    sa.CheckConstraint("decision IN ('confirmed', 'dismissed', 'unidentified')", name=op.f('ck_event_review_decision_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_event_review_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['diner_id'], ['diner.id'], name=op.f('fk_event_review_diner_id_diner')),
    sa.ForeignKeyConstraint(['event_id'], ['camera_event.id'], name=op.f('fk_event_review_event_id_camera_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_review')),
    sa.UniqueConstraint('event_id', 'number', name=op.f('uq_event_review_event_id_number'))
    )
    with op.batch_alter_table('event_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_review_diner_id'), ['diner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_review_event_id'), ['event_id'], unique=False)

    op.create_table('spot_check_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('meal_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['spot_check_draw.id'], name=op.f('fk_spot_check_slot_draw_id_spot_check_draw')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_check_slot')),
    sa.UniqueConstraint('draw_id', 'position', name=op.f('uq_spot_check_slot_draw_id_position'))
    )
    op.create_table('offence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('diner_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('withdrawn_review_id', sa.Integer(), nullable=True),
    sa.Column('annulled_at', canteen.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['diner_id'], ['diner.id'], name=op.f('fk_offence_diner_id_diner')),
    sa.ForeignKeyConstraint(['event_id'], ['camera_event.id'], name=op.f('fk_offence_event_id_camera_event')),
    sa.ForeignKeyConstraint(['review_id'], ['event_review.id'], name=op.f('fk_offence_review_id_event_review')),
    sa.ForeignKeyConstraint(['withdrawn_review_id'], ['event_review.id'], name=op.f('fk_offence_withdrawn_review_id_event_review')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offence'))
    )
    with op.batch_alter_table('offence', schema=None) as batch_op:
        batch_op.create_index('ix_offence_diner_occurred', ['diner_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_offence_event_id'), ['event_id'], unique=False)

    op.create_table('spot_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('canteen_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('meal_code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('sheet_version_id', sa.Integer(), nullable=False),
    sa.Column('checklist', sa.Text(), nullable=False),
    sa.Column('summary', sa.String(length=2000), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('contractor_response', sa.String(length=12), nullable=True),
    sa.Column('contractor_comment', sa.String(length=1000), nullable=True),
    sa.Column('responded_by_id', sa.Integer(), nullable=True),
    sa.Column('responded_at', canteen.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("kind IN ('drawn', 'follow_up', 'ad_hoc')", name=op.f('ck_spot_check_kind_known')),
    sa.ForeignKeyConstraint(['canteen_id'], ['canteen.id'], name=op.f('fk_spot_check_canteen_id_canteen')),
    sa.ForeignKeyConstraint(['inspector_id'], ['user_account.id'], name=op.f('fk_spot_check_inspector_id_user_account')),
    sa.ForeignKeyConstraint(['responded_by_id'], ['user_account.id'], name=op.f('fk_spot_check_responded_by_id_user_account')),
    sa.ForeignKeyConstraint(['sheet_version_id'], ['assessment_sheet_version.id'], name=op.f('fk_spot_check_sheet_version_id_assessment_sheet_version')),
    sa.ForeignKeyConstraint(['slot_id'], ['spot_check_slot.id'], name=op.f('fk_spot_check_slot_id_spot_check_slot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_check')),
    sa.UniqueConstraint('slot_id', name=op.f('uq_spot_check_slot_id'))
    )
    with op.batch_alter_table('spot_check', schema=None) as batch_op:
        batch_op.create_index('ix_spot_check_canteen_day', ['canteen_id', 'day'], unique=False)

    op.create_table('assessment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('excess_pct', sa.Float(), nullable=True),
    sa.Column('points_x100', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('spot_check_id', sa.Integer(), nullable=True),
    sa.Column('ledger_day', sa.Date(), nullable=True),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('reference', sa.String(length=300), nullable=False),
    sa.Column('proposal_key', sa.String(length=64), nullable=True),
    sa.Column('added_revision', sa.Integer(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('withdrawn_revision', sa.Integer(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("kind IN ('deduction', 'veto', 'bonus')", name=op.f('ck_assessment_line_kind_known')),
    sa.CheckConstraint('count > 0', name=op.f('ck_assessment_line_count_positive')),
    sa.ForeignKeyConstraint(['added_by_id'], ['user_account.id'], name=op.f('fk_assessment_line_added_by_id_user_account')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_line_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['spot_check_id'], ['spot_check.id'], name=op.f('fk_assessment_line_spot_check_id_spot_check')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user_account.id'], name=op.f('fk_assessment_line_withdrawn_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_line'))
    )
    with op.batch_alter_table('assessment_line', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_line_assessment', ['assessment_id'], unique=False)

    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('diner_id', sa.Integer(), nullable=False),
    sa.Column('offence_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('ordinal', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=False),
    sa.Column('starts_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('expires_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('left_board_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('letter_sent_on', sa.Date(), nullable=True),
    sa.Column('letter_sent_by_id', sa.Integer(), nullable=True),
    sa.Column('letter_sent_recorded_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('letter_note', sa.String(length=500), nullable=False),
    sa.Column('closed_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('closed_reason', sa.String(length=500), nullable=False),
    sa.CheckConstraint("status IN ('open', 'given', 'pending_approval', 'approved', 'rejected', 'superseded', 'withdrawn', 'annulled')", name=op.f('ck_escalation_status_known')),
    sa.CheckConstraint("step IN ('warning', 'exposure', 'referral')", name=op.f('ck_escalation_step_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_escalation_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['diner_id'], ['diner.id'], name=op.f('fk_escalation_diner_id_diner')),
    sa.ForeignKeyConstraint(['letter_sent_by_id'], ['user_account.id'], name=op.f('fk_escalation_letter_sent_by_id_user_account')),
    sa.ForeignKeyConstraint(['offence_id'], ['offence.id'], name=op.f('fk_escalation_offence_id_offence')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation'))
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_diner_id'), ['diner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_offence_id'), ['offence_id'], unique=False)
        batch_op.create_index('ix_escalation_status_step', ['status', 'step'], unique=False)

    op.create_table('spot_check_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('rule_code', sa.String(length=32), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('rectify_by', sa.Date(), nullable=True),
    sa.Column('closed_by_check_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('close_note', sa.String(length=1000), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', canteen.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint('count > 0', name=op.f('ck_spot_check_finding_count_positive')),
    sa.ForeignKeyConstraint(['check_id'], ['spot_check.id'], name=op.f('fk_spot_check_finding_check_id_spot_check')),
    sa.ForeignKeyConstraint(['closed_by_check_id'], ['spot_check.id'], name=op.f('fk_spot_check_finding_closed_by_check_id_spot_check')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_spot_check_finding_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_check_finding'))
    )
    with op.batch_alter_table('spot_check_finding', schema=None) as batch_op:
        batch_op.create_index('ix_spot_check_finding_check', ['check_id'], unique=False)

    op.create_table('spot_check_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('caption', sa.String(length=300), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['spot_check.id'], name=op.f('fk_spot_check_photo_check_id_spot_check')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_spot_check_photo_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_check_photo'))
    )
    with op.batch_alter_table('spot_check_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spot_check_photo_check_id'), ['check_id'], unique=False)

    op.create_table('spot_check_reweigh',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('stream_code', sa.String(length=32), nullable=False),
    sa.Column('weighed_g', sa.Integer(), nullable=False),
    sa.CheckConstraint('weighed_g > 0', name=op.f('ck_spot_check_reweigh_weight_positive')),
    sa.ForeignKeyConstraint(['check_id'], ['spot_check.id'], name=op.f('fk_spot_check_reweigh_check_id_spot_check')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spot_check_reweigh')),
    sa.UniqueConstraint('check_id', 'stream_code', name=op.f('uq_spot_check_reweigh_check_id_stream_code'))
    )
    op.create_table('appeal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('entered_at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', canteen.db.UTCDateTime(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.CheckConstraint("status IN ('open', 'upheld', 'annulled')", name=op.f('ck_appeal_status_known')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_appeal_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_appeal_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_appeal_escalation_id_escalation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeal'))
    )
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('assessment_proposal_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('rule_code', sa.String(length=32), nullable=False),
    sa.Column('proposed_count', sa.Integer(), nullable=False),
    sa.Column('decided_count', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=True),
    sa.Column('superseded', sa.Boolean(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', canteen.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_proposal_decision_assessment_id_assessment')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_assessment_proposal_decision_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['line_id'], ['assessment_line.id'], name=op.f('fk_assessment_proposal_decision_line_id_assessment_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_proposal_decision'))
    )
    with op.batch_alter_table('assessment_proposal_decision', schema=None) as batch_op:
        batch_op.create_index('ix_assessment_proposal_decision_assessment', ['assessment_id'], unique=False)

    op.create_table('escalation_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_escalation_action_actor_id_user_account')),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_escalation_action_escalation_id_escalation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_action'))
    )
    with op.batch_alter_table('escalation_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_action_escalation_id'), ['escalation_id'], unique=False)

    op.create_table('retention_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', canteen.db.UTCDateTime(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.CheckConstraint("kind IN ('dismissed_media', 'exposure_expired')", name=op.f('ck_retention_log_kind_known')),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalation.id'], name=op.f('fk_retention_log_escalation_id_escalation')),
    sa.ForeignKeyConstraint(['event_id'], ['camera_event.id'], name=op.f('fk_retention_log_event_id_camera_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_log'))
    )


def downgrade() -> None:
    op.drop_table('retention_log')
    with op.batch_alter_table('escalation_action', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_action_escalation_id'))

    op.drop_table('escalation_action')
    with op.batch_alter_table('assessment_proposal_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_proposal_decision_assessment')

    op.drop_table('assessment_proposal_decision')
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_escalation_id'))

    op.drop_table('appeal')
    op.drop_table('spot_check_reweigh')
    with op.batch_alter_table('spot_check_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spot_check_photo_check_id'))

    op.drop_table('spot_check_photo')
    with op.batch_alter_table('spot_check_finding', schema=None) as batch_op:
        batch_op.drop_index('ix_spot_check_finding_check')

    op.drop_table('spot_check_finding')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_status_step')
        batch_op.drop_index(batch_op.f('ix_escalation_offence_id'))
        batch_op.drop_index(batch_op.f('ix_escalation_diner_id'))

    op.drop_table('escalation')
    with op.batch_alter_table('assessment_line', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_line_assessment')

    op.drop_table('assessment_line')
    with op.batch_alter_table('spot_check', schema=None) as batch_op:
        batch_op.drop_index('ix_spot_check_canteen_day')

    op.drop_table('spot_check')
    with op.batch_alter_table('offence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offence_event_id'))
        batch_op.drop_index('ix_offence_diner_occurred')

    op.drop_table('offence')
    op.drop_table('spot_check_slot')
    with op.batch_alter_table('event_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_review_event_id'))
        batch_op.drop_index(batch_op.f('ix_event_review_diner_id'))

    op.drop_table('event_review')
    op.drop_table('assessment_revision')
    op.drop_table('spot_check_draw')
    with op.batch_alter_table('report_run', schema=None) as batch_op:
        batch_op.drop_index('ix_report_run_month_target')

    op.drop_table('report_run')
    op.drop_table('missing_entry_check')
    op.drop_table('diner_revision')
    with op.batch_alter_table('contractor_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contractor_user_contractor_id'))

    op.drop_table('contractor_user')
    op.drop_table('contractor_canteen')
    with op.batch_alter_table('assessment_audit', schema=None) as batch_op:
        batch_op.drop_index('ix_assessment_audit_subject')

    op.drop_table('assessment_audit')
    op.drop_table('assessment')
    op.drop_table('scheduler_start')
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_index('ix_job_run_job_started')

    op.drop_table('job_run')
    op.drop_table('diner')
    op.drop_table('contractor')
    op.drop_table('assessment_sheet_version')
