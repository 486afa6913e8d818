"""concurrency guards: one live daily-grid entry per ledger cell; a lock key per scheduled job run

Revision ID: 0004
Revises: 0005
Create Date: 2026-12-01 20:00:00

- ``uq_waste_entry_web_cell``: a partial unique index on waste_entry (canteen, day, meal, stream) over live
  entries from the daily grid (source 'web', not voided). Scale (api) and imported entries are not covered:
  a cell may hold several of their weighings.
- ``job_run.run_key`` with ``uq_job_run_job_id_run_key`` (the due time a scheduled run claims, so two
  scheduler processes on one database run it once), and ``host`` / ``pid`` of the process that ran it.

A database where two managers' simultaneous saves already doubled a cell cannot take the index. The upgrade
then stops and lists those cells: a person must decide which value is right and void the other on the
cell's page (a void is a revision with a reason, so nothing is silently dropped), then run init-db again.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0005'
branch_labels = None
depends_on = None

WEB_CELL_LIVE = "source = 'web' AND NOT voided"


def _refuse_doubled_cells() -> None:
    doubled = op.get_bind().execute(sa.text(
        "SELECT c.code, e.day, m.code, s.code, COUNT(*) FROM waste_entry e "
        "JOIN canteen c ON c.id = e.canteen_id JOIN meal m ON m.id = e.meal_id "
        "JOIN stream s ON s.id = e.stream_id "
        f"WHERE {WEB_CELL_LIVE} GROUP BY c.code, e.day, m.code, s.code HAVING COUNT(*) > 1 "
        "ORDER BY e.day, c.code, m.code, s.code")).all()
    if doubled:
        cells = "; ".join(f"{canteen} {day} {meal} {stream} ({count} entries)"
                          for canteen, day, meal, stream, count in doubled[:50])
        raise RuntimeError(
            f"{len(doubled)} ledger cell(s) hold several live entries from the daily form (saved twice at "
            f"the same moment before this version): {cells}. Open each cell's page (/ledger/cell), void the "
            "entry that is wrong with a reason, then run `canteen init-db` again.")


def upgrade() -> None:
    _refuse_doubled_cells()
    with op.batch_alter_table('waste_entry', schema=None) as batch_op:
        batch_op.create_index('uq_waste_entry_web_cell', ['canteen_id', 'day', 'meal_id', 'stream_id'],
                              unique=True, sqlite_where=sa.text(WEB_CELL_LIVE),
                              postgresql_where=sa.text(WEB_CELL_LIVE))
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('host', sa.String(length=255), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('pid', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_unique_constraint(batch_op.f('uq_job_run_job_id_run_key'), ['job_id', 'run_key'])


def downgrade() -> None:
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_job_run_job_id_run_key'), type_='unique')
        batch_op.drop_column('pid')
        batch_op.drop_column('host')
        batch_op.drop_column('run_key')
    with op.batch_alter_table('waste_entry', schema=None) as batch_op:
        batch_op.drop_index('uq_waste_entry_web_cell')
