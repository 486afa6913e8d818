"""The referral letter (PDF) and the diner's complete record (JSON, ZIP with Excel and evidence)."""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from canteen.offences.escalations import approve, record_letter_sent, record_warning
from tests.offences.conftest import confirm, evidence


def recent(days: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(days=days)


@pytest.fixture
def referral(ctx, settings, people, add_diner, add_event):
    """李娜: warned, exposed, then referred (approved by the discipline office)."""
    add_diner("1003", "李娜", "人事科")
    events = [add_event(recent(days)) for days in (30, 20, 10)]
    warning = confirm(ctx, settings, people["reviewer"], events[0], "1003", now=recent(29.9))
    record_warning(ctx, settings, people["reviewer"], warning.id, now=recent(29.8))
    exposure = confirm(ctx, settings, people["reviewer"], events[1], "1003", now=recent(19.9))
    approve(ctx, settings, people["discipline"], exposure.id, now=recent(19.8))
    step = confirm(ctx, settings, people["reviewer"], events[2], "1003", now=recent(9.9))
    approve(ctx, settings, people["discipline"], step.id, "移送", now=recent(9.8))
    ctx.commit()
    return step, events


def test_referral_letter_pdf(client, login, ctx, settings, people, referral):
    step, events = referral
    login(people["discipline"])
    response = client.get(f"/offences/escalations/{step.id}/letter.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    fonts = {str(font.get_object().get("/BaseFont")) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("Noto-Sans-CJK-SC" in font for font in fonts), fonts
    compact = "".join(text.split())
    assert "李娜" in compact and "1003" in compact and "人事科" in compact
    assert settings.offences.referral.body_name in compact
    for event in events:
        assert event.uuid in compact, "every offence's evidence is listed"
        local = event.started_at.astimezone(settings.zone).strftime("%Y-%m-%d")
        assert local in compact
    assert hashlib.sha256(evidence()["snapshot"]).hexdigest() in compact
    response.close()

    record_letter_sent(ctx, settings, people["discipline"], step.id,
                       recent(0).astimezone(settings.zone).date(),
                       "机要件")
    ctx.commit()
    again = client.get(f"/offences/escalations/{step.id}/letter.pdf")
    pages = PdfReader(io.BytesIO(again.data)).pages
    sent_text = "".join("".join(page.extract_text() for page in pages).split())
    assert "机要件" in sent_text


def test_the_letter_exists_only_for_an_approved_referral(client, login, ctx, people, referral):
    login(people["discipline"])
    from sqlalchemy import select

    from canteen.offences.models import Escalation

    warning = ctx.scalars(select(Escalation).where(Escalation.step == "warning")).first()
    assert client.get(f"/offences/escalations/{warning.id}/letter.pdf").status_code == 404


def test_admin_exports_the_complete_record(client, login, ctx, people, referral, add_diner, add_event,
                                           settings):
    step, events = referral
    login(people["admin"])
    data = client.get("/offences/diners/1003/export.json").get_json()
    assert data["diner"]["card_no"] == "1003" and data["standing"]["step"] == "referral"
    assert data["standing"]["count"] == 3
    assert [item["event"] for item in data["offences"]] == [event.uuid for event in events]
    assert [escalation["step"] for item in data["offences"] for escalation in item["escalations"]] == [
        "warning", "exposure", "referral"]
    assert {item["type"] for item in data["history"]} == {"review", "escalation"}
    assert len(data["diner_revisions"]) == 1

    response = client.get("/offences/diners/1003/export.zip")
    assert response.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = set(archive.namelist())
        assert {"record.json", "record.xlsx"} <= names
        assert f"evidence/{events[0].uuid}/snapshot.jpg" in names
        assert archive.read(f"evidence/{events[0].uuid}/clip.webm") == evidence()["clip"]
        assert json.loads(archive.read("record.json"))["diner"]["name"] == "李娜"
        book = load_workbook(io.BytesIO(archive.read("record.xlsx")), read_only=True)
        assert {"diner", "offences", "steps", "history"} <= set(book.sheetnames)
        book.close()
    response.close()


def test_export_leaves_out_other_diners(client, login, ctx, settings, people, add_diner, add_event):
    from canteen.review.services import correct_review

    add_diner("1001", "张三")
    add_diner("1002", "李四")
    event = add_event(recent(3))
    confirm(ctx, settings, people["reviewer"], event, "1001", now=recent(2.9))
    correct_review(ctx, settings, people["reviewer"], event.uuid,
                   {"decision": "confirmed", "card_no": "1002", "reason": "卡号看错"}, now=recent(2.8))
    ctx.commit()
    login(people["admin"])
    data = client.get("/offences/diners/1001/export.json").get_json()
    assert "1002" not in json.dumps(data) and "李四" not in json.dumps(data, ensure_ascii=False)
    with zipfile.ZipFile(io.BytesIO(client.get("/offences/diners/1001/export.zip").data)) as archive:
        assert not [name for name in archive.namelist() if name.startswith("evidence/")]
