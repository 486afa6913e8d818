"""CLI: draw a month's spot-check slots (as the scheduler would) and re-run a recorded draw to audit it."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale
from sqlalchemy import select

from canteen.commands import ensure_schema_current
from canteen.core.errors import ServiceError
from canteen.core.timeutil import parse_month
from canteen.extensions import db
from canteen.reference.services import canteen_by_code
from canteen.assessment.spotchecks.draw import draw_missing, draw_month, draw_slots
from canteen.assessment.spotchecks.models import SpotCheckDraw


def _month(text: str) -> date:
    try:
        return parse_month(text)
    # A usage error ends the command with a message and status 1, not a traceback.
    except ValueError:
        click.echo("error: month: expected YYYY-MM", err=True)
        sys.exit(1)


@click.command("spot-check-draw")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--canteen", "canteen_code", default=None,
              help="one canteen (default: every canteen not drawn yet)")
@click.option("--seed", type=int, default=None, help="replay a known seed (one canteen only)")
@with_appcontext
def draw_command(month: str, canteen_code: str | None, seed: int | None) -> None:
    """Draw the month's check slots with a recorded seed; prints the seed and the slots."""
    settings = current_app.config["SETTINGS"]
    ensure_schema_current()
    first = _month(month)
    # One seed over every canteen would give them all the same pattern of days.
    if seed is not None and canteen_code is None:
        click.echo("error: seed: give --canteen with --seed", err=True)
        sys.exit(1)
    try:
        # Outside a request no locale is chosen, and the services' messages need one.
        with force_locale(settings.default_locale):
            if canteen_code is None:
                draws = draw_missing(db.session, settings, first)
            else:
                draws = [draw_month(db.session, settings, None, {"canteen": canteen_code, "month": month,
                                                                 "seed": seed})]
    except ServiceError as error:
        db.session.rollback()
        details = "; ".join(f"{field}: {text}" for field, text in error.fields.items())
        click.echo(f"error: {error.message}" + (f" ({details})" if details else ""), err=True)
        sys.exit(1)
    db.session.commit()
    for draw in draws:
        slots = ", ".join(f"{slot.day.isoformat()} {slot.meal_code}" for slot in draw.slots)
        click.echo(f"{draw.canteen.code} {draw.month:%Y-%m} seed {draw.seed}: {slots}")
    if not draws:
        click.echo("nothing to draw: every canteen's month is drawn already")


@click.command("spot-check-verify")
@click.option("--month", required=True, help="YYYY-MM")
@click.option("--canteen", "canteen_code", required=True)
@with_appcontext
def verify_command(month: str, canteen_code: str) -> None:
    """Re-run a recorded draw from its seed and compare with the stored slots (exit 1 on any difference)."""
    settings = current_app.config["SETTINGS"]
    ensure_schema_current()
    canteen = canteen_by_code(db.session, canteen_code)
    if canteen is None:
        click.echo(f"error: canteen: unknown canteen {canteen_code!r}", err=True)
        sys.exit(1)
    draw = db.session.scalar(select(SpotCheckDraw).where(SpotCheckDraw.canteen_id == canteen.id,
                                                         SpotCheckDraw.month == _month(month)))
    if draw is None:
        click.echo("error: month: not drawn", err=True)
        sys.exit(1)
    expected = draw_slots(settings, draw.canteen, draw.month, draw.seed, draw.count)
    stored = [(slot.day, slot.meal_code) for slot in draw.slots]
    # Status 1 on any difference, so an audit script can rely on the exit code alone.
    if expected != stored:
        click.echo(f"MISMATCH: seed {draw.seed} draws {expected}, stored {stored}", err=True)
        sys.exit(1)
    click.echo(f"ok: seed {draw.seed} reproduces the {len(stored)} stored slots")


COMMANDS = (draw_command, verify_command)
