"""The spot-check commands: draw (as the scheduler would) and verify a recorded draw from its seed."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from canteen.extensions import db
from canteen.assessment.spotchecks.draw import draw_slots
from canteen.assessment.spotchecks.models import SpotCheckDraw, SpotCheckSlot


def test_draw_every_canteen_then_verify(app, runner, settings, schema_stamped):
    result = runner.invoke(args=["spot-check-draw", "--month", "2021-07"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["zonghe", "badajie"]
    with app.app_context():
        draw = db.session.scalars(select(SpotCheckDraw).where(SpotCheckDraw.canteen_id == 1)).one()
        assert f"seed {draw.seed}:" in lines[0] and draw.drawn_by_id is None
        assert [(slot.day, slot.meal_code) for slot in draw.slots] == draw_slots(
            settings, draw.canteen, draw.month, draw.seed, draw.count)
    again = runner.invoke(args=["spot-check-draw", "--month", "2021-07"])
    assert again.exit_code == 0 and "nothing to draw" in again.output
    verified = runner.invoke(args=["spot-check-verify", "--canteen", "zonghe", "--month", "2021-07"])
    assert verified.exit_code == 0 and verified.output.startswith("ok: seed")


def test_a_tampered_draw_fails_verification(app, runner, schema_stamped):
    assert runner.invoke(args=["spot-check-draw", "--month", "2021-07", "--canteen", "zonghe",
                               "--seed", "12"]).exit_code == 0
    with app.app_context():
        slot = db.session.scalars(select(SpotCheckSlot).order_by(SpotCheckSlot.id)).first()
        slot.meal_code = "dinner" if slot.meal_code != "dinner" else "lunch"
        db.session.commit()
    result = runner.invoke(args=["spot-check-verify", "--canteen", "zonghe", "--month", "2021-07"])
    assert result.exit_code == 1 and "MISMATCH" in result.output


@pytest.mark.parametrize("args, message", [
    (["spot-check-draw", "--month", "July"], "month: expected YYYY-MM"),
    (["spot-check-draw", "--month", "2021-07", "--seed", "3"], "give --canteen with --seed"),
    (["spot-check-draw", "--month", "2021-07", "--canteen", "mars"], "canteen"),
    (["spot-check-verify", "--month", "2021-07", "--canteen", "zonghe"], "not drawn"),
])
def test_command_errors_name_the_option(runner, schema_stamped, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and message in result.output
