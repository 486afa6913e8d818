"""A public image the worker could not make is never published; approvers see the raw evidence, logged."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from canteen.camera_events.access import log_evidence_access
from canteen.camera_events.models import EvidenceAccess
from canteen.camera_events.storage import media_root
from canteen.offences.escalations import approve
from canteen.offences.letter import render_letter_html
from tests.offences.conftest import confirm, evidence, settings_with


def recent(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


@pytest.fixture
def exposures(ctx, settings, people, add_diner, add_event):
    """Two approved exposures on the board: 王芳's with a public image, 马超's without one."""
    ids = {}
    for card, name, public in (("1001", "王芳", True), ("2001", "马超", False)):
        add_diner(card, name, "财务科")
        confirm(ctx, settings, people["reviewer"], add_event(recent(5)), card, now=recent(4.9))
        step = confirm(ctx, settings, people["reviewer"], add_event(recent(2), public_image=public), card,
                       now=recent(1.9))
        approve(ctx, settings, people["discipline"], step.id, now=recent(1))
        ids[card] = step.id
    ctx.commit()
    return ids


def test_the_board_shows_an_entry_without_a_public_image_in_words_only(client, exposures):
    page = client.get("/exposure").get_data(as_text=True)
    with_image = page.split(f'data-entry="{exposures["1001"]}"')[1].split("</article>")[0]
    without = page.split(f'data-entry="{exposures["2001"]}"')[1].split("</article>")[0]
    assert "王芳" in with_image and "<img" in with_image
    assert "马超" in without and "<img" not in without and "将食物倒入回收桶" in without
    assert client.get(f"/exposure/snapshot/{exposures['2001']}.jpg").status_code == 404
    image = client.get(f"/exposure/snapshot/{exposures['1001']}.jpg")
    assert image.status_code == 200 and image.data == evidence()["snapshot_public"]
    image.close()


def test_the_board_footer_says_what_the_picture_shows(app, client, settings, exposures):
    footer = client.get("/exposure").get_data(as_text=True).split("<footer>")[1]
    assert "离开后的回收桶" in footer and "马赛克" in footer
    assert "人脸" not in footer and "模糊" not in footer
    english = client.get("/exposure?lang=en").get_data(as_text=True).split("<footer>")[1]
    assert "after the diner had left" in english and "Faces are blurred" not in english
    # Without pictures on the board, the footer says nothing about pictures.
    app.config["SETTINGS"] = settings_with(settings, board={"fields": ["name", "date"]})
    bare = client.get("/exposure").get_data(as_text=True).split("<footer>")[1]
    assert "马赛克" not in bare and "申诉" in bare


def test_the_referral_letter_lists_no_placeholder_image(app, ctx, settings, people, add_diner, add_event):
    add_diner("1003", "李娜", "人事科")
    events = [add_event(recent(days), public_image=days != 10) for days in (30, 20, 10)]
    steps = [confirm(ctx, settings, people["reviewer"], event, "1003",
                     now=event.started_at + timedelta(hours=1)) for event in events]
    approve(ctx, settings, people["discipline"], steps[1].id, now=recent(19))
    approve(ctx, settings, people["discipline"], steps[2].id, now=recent(9))
    ctx.commit()
    html = render_letter_html(ctx, settings, steps[2], media_root(app.instance_path))
    rows = html.split('id="letter-evidence"')[1].split("</table>")[0]
    for event in events:
        listed = [line for line in rows.split("<tr>") if event.uuid in line]
        names = {name for line in listed for name in ("snapshot.jpg", "snapshot_public.jpg") if name in line}
        expected = {"snapshot.jpg"} if not event.public_image else {"snapshot.jpg", "snapshot_public.jpg"}
        assert names == expected, event.public_image


def test_a_placeholder_public_image_is_not_served_to_reviewers_either(client, login, ctx, people, add_event):
    event = add_event(recent(1), public_image=False)
    login(people["reviewer"])
    assert client.get(f"/review/media/{event.uuid}/snapshot_public").status_code == 404
    page = client.get(f"/review/events/{event.uuid}").get_data(as_text=True)
    assert 'id="no-public-image"' in page and 'id="snapshot-public"' not in page


def test_the_discipline_office_sees_the_evidence_it_approves_and_each_opening_is_logged(
        client, login, ctx, settings, people, add_diner, add_event):
    add_diner("1001", "王芳", "财务科")
    confirm(ctx, settings, people["reviewer"], add_event(recent(5)), "1001", now=recent(4.9))
    event = add_event(recent(2))
    step = confirm(ctx, settings, people["reviewer"], event, "1001", now=recent(1.9))
    step_id, event_id, event_uuid = step.id, event.id, event.uuid
    ctx.commit()
    login(people["discipline"])
    page = client.get(f"/offences/escalations/{step_id}").get_data(as_text=True)
    box = page.split('id="step-evidence"')[1].split("</section>")[0]
    for kind in ("snapshot", "crop_before", "crop_after", "clip", "snapshot_public"):
        assert f"/offences/escalations/{step_id}/evidence/{kind}" in box
    assert 'id="btn-approve"' in page
    for kind in ("snapshot", "clip", "crop_before"):
        response = client.get(f"/offences/escalations/{step_id}/evidence/{kind}")
        assert response.status_code == 200 and response.data == evidence()[kind]
        assert response.headers["Cache-Control"] == "private, no-store"
        response.close()
    # The same file again at once: still served, not logged twice.
    client.get(f"/offences/escalations/{step_id}/evidence/snapshot").close()
    # The review queue stays closed to the discipline office.
    assert client.get(f"/review/media/{event_uuid}/snapshot").status_code == 403
    assert client.get(f"/offences/escalations/{step_id}/evidence/bogus").status_code == 404
    lines = ctx.scalars(select(EvidenceAccess).where(EvidenceAccess.event_id == event_id)
                        .order_by(EvidenceAccess.id)).all()
    assert [(line.kind, line.purpose, line.user_id) for line in lines] == [
        (kind, "approval", people["discipline"].id) for kind in ("snapshot", "clip", "crop_before")]
    ctx.commit()
    listed = client.get(f"/offences/escalations/{step_id}").get_data(as_text=True)
    log = listed.split('id="evidence-access"')[1].split("</section>")[0]
    assert log.count('class="access-row"') == 3 and "决定处理步骤" in log


def test_the_reviewers_openings_are_logged_too(client, login, ctx, people, add_event):
    event = add_event(recent(1))
    event_id, event_uuid = event.id, event.uuid
    ctx.commit()
    login(people["reviewer"])
    client.get(f"/review/media/{event_uuid}/crop_after").close()
    page = client.get(f"/review/events/{event_uuid}").get_data(as_text=True)
    log = page.split('id="evidence-access"')[1].split("</section>")[0]
    assert log.count('class="access-row"') == 1 and "复核事件" in log and "事后回收桶" in log
    line = ctx.scalars(select(EvidenceAccess).where(EvidenceAccess.event_id == event_id)).one()
    assert (line.kind, line.purpose, line.user_id) == ("crop_after", "review", people["reviewer"].id)


def test_evidence_only_for_approver_roles(app, client, login, ctx, settings, people, add_diner, add_event):
    add_diner("1001", "王芳", "财务科")
    confirm(ctx, settings, people["reviewer"], add_event(recent(5)), "1001", now=recent(4.9))
    step = confirm(ctx, settings, people["reviewer"], add_event(recent(2)), "1001", now=recent(1.9))
    step_id = step.id
    ctx.commit()
    app.config["SETTINGS"] = settings_with(settings, approver_roles=["admin", "reviewer"])
    login(people["discipline"])
    assert client.get(f"/offences/escalations/{step_id}/evidence/snapshot").status_code == 403
    assert 'id="step-evidence"' not in client.get(f"/offences/escalations/{step_id}").get_data(as_text=True)


def test_an_access_is_logged_once_per_five_minutes(ctx, people, add_event):
    event = add_event(recent(1))
    at = recent(0.5)
    assert log_evidence_access(ctx, people["reviewer"], event, "snapshot", "review", at) is not None
    assert log_evidence_access(ctx, people["reviewer"], event, "snapshot", "review",
                               at + timedelta(minutes=4)) is None
    assert log_evidence_access(ctx, people["reviewer"], event, "clip", "review", at) is not None
    assert log_evidence_access(ctx, people["reviewer"], event, "snapshot", "review",
                               at + timedelta(minutes=6)) is not None
    with pytest.raises(ValueError):
        log_evidence_access(ctx, people["reviewer"], event, "snapshot", "curiosity", at)
