"""Demo data (one diner at each step, a queue, drawn evidence) and the camera status page with its alert."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent, CameraStatus
from canteen.camera_events.storage import media_root
from canteen.db import utcnow
from canteen.diners.services import diner_by_card
from canteen.demo.offences import seed_offence_demo
from canteen.offences.ladder import diner_standing
from canteen.offences.models import Escalation
from canteen.reference.services import canteen_by_code
from canteen.camera_events.status import camera_rows


def test_demo_puts_one_diner_at_each_step(app, ctx, settings, make_user, client):
    users = {name: ctx.get(User, make_user(role, username=name).id) for name, role in (
        ("admin", "admin"), ("manager", "manager"), ("reviewer", "reviewer"), ("discipline", "discipline"))}
    root = media_root(app.instance_path)
    assert seed_offence_demo(ctx, settings, users, root)
    ctx.commit()
    steps = {card: diner_standing(ctx, settings, diner_by_card(ctx, card)).step
             for card in ("100101", "100102", "100103", "100104", "100105")}
    assert steps == {"100101": "warning", "100102": "exposure", "100103": "referral", "100104": "warning",
                     "100105": None}
    assert diner_standing(ctx, settings, diner_by_card(ctx, "100104")).pending.step == "exposure"
    statuses = {event.status for event in ctx.scalars(select(CameraEvent))}
    assert statuses == {"pending", "confirmed", "dismissed", "unidentified"}
    for event in ctx.scalars(select(CameraEvent)):
        assert (root / event.media_dir / "snapshot_public.jpg").is_file()
    assert ctx.scalars(select(Escalation).where(Escalation.step == "referral")).one().status == "approved"
    board = client.get("/exposure").get_data(as_text=True)
    assert "王芳" in board and "马超" in board and "李娜" not in board
    assert not seed_offence_demo(ctx, settings, users, root), "a second run changes nothing"


def test_demo_without_media(ctx, settings, make_user):
    users = {name: ctx.get(User, make_user(role, username=name).id) for name, role in (
        ("admin", "admin"), ("manager", "manager"), ("reviewer", "reviewer"), ("discipline", "discipline"))}
    assert seed_offence_demo(ctx, settings, users, None)
    assert all(event.media == [] for event in ctx.scalars(select(CameraEvent)))


def test_camera_status_flags_silent_cameras(ctx, settings, people, client, login):
    now = utcnow()
    limit = settings.offences.camera_silence_alert_minutes
    ctx.add(CameraStatus(camera="tray-zonghe", canteen_id=canteen_by_code(ctx, "zonghe").id, state="ok",
                         last_frame_at=now - timedelta(minutes=2), reported_at=now))
    ctx.add(CameraStatus(camera="tray-badajie", canteen_id=canteen_by_code(ctx, "badajie").id,
                         state="stalled",
                         last_frame_at=now - timedelta(minutes=limit + 5), reported_at=now))
    ctx.commit()
    rows = {row.camera: row for row in camera_rows(ctx, settings, people["reviewer"], now)}
    assert not rows["tray-zonghe"].alert and rows["tray-badajie"].alert
    assert rows["tray-badajie"].silent_minutes == limit + 5
    login(people["reviewer"])
    page = client.get("/review/cameras").get_data(as_text=True)
    assert 'id="camera-alert"' in page
    assert "tray-badajie" in page.split('id="camera-alert"')[1].split("</p>")[0]


def test_a_camera_that_never_reported_is_an_alert(ctx, settings, people):
    rows = camera_rows(ctx, settings, people["reviewer"], utcnow())
    assert {row.camera for row in rows} == {camera.id for camera in settings.cameras}
    assert all(row.alert and row.state is None for row in rows)
