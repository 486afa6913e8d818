"""The assessment and spot-check pages: every page and form per role, the printable PDFs and the Excel
file."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from canteen.assessment.assessments import add_line, open_assessment, submit
from canteen.assessment.media import media_root
from canteen.assessment.models import Assessment, AssessmentLine, Contractor
from canteen.extensions import db
from canteen.assessment.spotchecks.draw import draw_month
from canteen.assessment.spotchecks.models import SpotCheckFinding
from canteen.assessment.spotchecks.services import add_photo, record_check
from tests.assessment.world import LATER

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROLES = ["admin", "assessor", "caterer", "stranger", "viewer", "manager", "reviewer", "discipline"]


@dataclass
class World:
    """What the page tests look at."""

    contractor: int
    draft: int
    submitted: int
    line: int
    check: int
    photo: int
    slot: int


@pytest.fixture
def world(app, session, settings, admin, assessor, contractor, caterer, kept_ledger) -> World:
    """A July draft at badajie, a submitted July at zonghe with a photo line, and a July check with a
    photo."""
    root = media_root(app.instance_path)
    draw = draw_month(session, settings, assessor, {"canteen": "zonghe", "month": "2021-07", "seed": 3},
                      now=LATER)
    check = record_check(session, settings, assessor, {
        "canteen": "zonghe", "date": draw.slots[0].day.isoformat(), "meal": draw.slots[0].meal_code,
        "slot": draw.slots[0].id,
        "findings": [{"rule": "missing_sample", "rectify": True, "note": "no sample"}],
        "reweighs": [{"stream": "plate", "weight": "6.1"}]}, now=LATER)
    photo = add_photo(session, assessor, check.id, PNG, root, "bins", now=LATER)
    draft = open_assessment(session, settings, assessor, {"contractor": contractor.id, "canteen": "badajie",
                                                          "month": "2021-07"}, now=LATER)
    sent = open_assessment(session, settings, assessor, {"contractor": contractor.id, "canteen": "zonghe",
                                                         "month": "2021-07"}, now=LATER)
    line = add_line(session, settings, assessor, sent.id,
                    {"rule": "late_opening", "count": 2, "note": "twice late"},
                    photo=PNG, media_root=root, now=LATER)
    from canteen.assessment.decisions import decide_proposal

    decide_proposal(session, settings, assessor, sent.id, f"finding:{check.findings[0].id}", True, now=LATER)
    submit(session, settings, assessor, sent.id)
    session.commit()
    return World(contractor.id, draft.id, sent.id, line.id, check.id, photo.id, draw.slots[1].id)


@pytest.fixture
def as_role(make_user, login, session, admin, contractor, caterer):
    """Log the test client in as a role; ``caterer`` is the linked caterer, ``stranger`` an unlinked one."""
    def do(role: str):
        if role == "caterer":
            return login(caterer)
        if role == "admin":
            return login(admin)
        user = make_user("contractor" if role == "stranger" else role)
        return login(user)

    return do


def page_expectations(w: World) -> dict[str, tuple[str, dict[str, int]]]:
    """URL and the status each role gets (roles not named get 403)."""
    view = {"admin": 200, "assessor": 200, "caterer": 200, "stranger": 200, "viewer": 200}
    return {
        "index": ("/assessment/", view),
        "detail submitted": (f"/assessment/{w.submitted}", {**view, "stranger": 404}),
        "detail draft": (f"/assessment/{w.draft}", {**view, "caterer": 404, "stranger": 404, "viewer": 404}),
        "sheet pdf": (f"/assessment/{w.submitted}/sheet.pdf", {**view, "stranger": 404}),
        "template": ("/assessment/template", view),
        "summary": (f"/assessment/summary?contractor={w.contractor}&year=2021", {**view, "stranger": 404}),
        "summary xlsx": (f"/assessment/summary.xlsx?contractor={w.contractor}&year=2021",
                         {**view, "stranger": 404}),
        "summary pdf": (f"/assessment/summary.pdf?contractor={w.contractor}&year=2021",
                        {**view, "stranger": 404}),
        "line photo": (f"/assessment/lines/{w.line}/photo", {"admin": 200, "assessor": 200, "caterer": 200,
                                                             "stranger": 404, "viewer": 403}),
        "contractors": ("/assessment/contractors", {"admin": 200}),
        "contractor": (f"/assessment/contractors/{w.contractor}", {"admin": 200}),
        "spot checks": ("/spot-checks/?canteen=zonghe&month=2021-07", {"admin": 200, "assessor": 200,
                                                                       "caterer": 200, "stranger": 404}),
        "spot check": (f"/spot-checks/{w.check}", {"admin": 200, "assessor": 200, "caterer": 200,
                                                   "stranger": 404}),
        "spot check photo": (f"/spot-checks/{w.check}/photos/{w.photo}", {"admin": 200, "assessor": 200,
                                                                          "caterer": 200, "stranger": 404}),
        "record form": (f"/spot-checks/new?slot={w.slot}", {"admin": 200, "assessor": 200}),
        "rectifications": ("/spot-checks/rectifications?status=overdue", {"admin": 200, "assessor": 200,
                                                                          "caterer": 200, "stranger": 200}),
    }


@pytest.mark.parametrize("role", ROLES)
def test_page_permissions_per_role(client, world, as_role, role):
    as_role(role)
    for name, (url, allowed) in page_expectations(world).items():
        response = client.get(url)
        response.close()
        assert response.status_code == allowed.get(role, 403), (name, role, response.status_code)


def test_every_page_needs_a_login(client, world):
    for name, (url, _allowed) in page_expectations(world).items():
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], name


def count_rows(app, model) -> int:
    """Rows of a table, read fresh."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


POSTS = {
    "open": ("/assessment/open",
             lambda w: {"contractor": w.contractor, "canteen": "badajie", "month": "2021-06"},
             {"admin", "assessor"}),
    "line": ("/assessment/{draft}/lines", lambda w: {"rule": "late_opening", "reference": "x"},
             {"admin", "assessor"}),
    "proposal": ("/assessment/{draft}/proposals", lambda w: {"key": "ledger_missing", "decision": "accept"},
                 {"admin", "assessor"}),
    "contractor": ("/assessment/contractors/{contractor}", lambda w: {"action": "save", "name": "X"},
                   {"admin"}),
    "draw": ("/spot-checks/draw", lambda w: {"canteen": "badajie", "month": "2021-07"},
             {"admin", "assessor"}),
    "record": ("/spot-checks/new", lambda w: {"canteen": "zonghe", "date": "2021-07-02", "meal": "lunch",
                                              "kind": "ad_hoc"}, {"admin", "assessor"}),
    "finding": ("/spot-checks/{check}/findings", lambda w: {"rule": "late_opening"}, {"admin", "assessor"}),
    "respond": ("/spot-checks/{check}/respond", lambda w: {"response": "signed"}, {"caterer", "stranger"}),
}


@pytest.mark.parametrize("role", ["viewer", "manager", "caterer", "stranger", "reviewer"])
def test_forms_refuse_roles_without_the_right(app, client, world, as_role, role):
    as_role(role)
    before = (count_rows(app, Assessment), count_rows(app, AssessmentLine), count_rows(app, Contractor))
    for name, (url, data, allowed) in POSTS.items():
        if role in allowed:
            continue
        url = url.format(draft=world.draft, contractor=world.contractor, check=world.check)
        assert client.post(url, data=data(world)).status_code == 403, (name, role)
    for action in ("submit", "amend", "answer", "finalize"):
        assert client.post(f"/assessment/{world.submitted}/action", data={"action": action, "text": "x"}
                           ).status_code == 403, action
    assert (count_rows(app, Assessment), count_rows(app, AssessmentLine),
            count_rows(app, Contractor)) == before


def test_only_the_assessed_caterer_may_respond(app, client, world, as_role):
    as_role("assessor")
    assert client.post(f"/assessment/{world.submitted}/action",
                       data={"action": "acknowledge"}).status_code == 403
    as_role("stranger")
    assert client.post(f"/assessment/{world.submitted}/action",
                       data={"action": "acknowledge"}).status_code == 404
    as_role("caterer")
    response = client.post(f"/assessment/{world.submitted}/action", data={"action": "dispute", "text": ""})
    assert response.status_code == 422 and "reason" in response.get_data(as_text=True)
    response = client.post(f"/assessment/{world.submitted}/action", data={"action": "dispute",
                                                                          "text": "only one late opening"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assessment, world.submitted).status == "disputed"
    assert client.post(f"/assessment/{world.submitted}/action", data={"action": "launch"}).status_code == 400


def test_the_caterer_page_shows_its_month_but_no_editing(client, world, as_role):
    as_role("caterer")
    page = client.get(f"/assessment/{world.submitted}").get_data(as_text=True)
    assert 'id="acknowledge"' in page and 'id="dispute"' in page
    assert 'id="deduction-form"' not in page and 'id="proposals"' not in page and 'id="submit"' not in page


def test_a_refused_deduction_shows_the_field_and_stores_nothing(app, client, world, as_role):
    as_role("assessor")
    before = count_rows(app, AssessmentLine)
    response = client.post(f"/assessment/{world.draft}/lines", data={"rule": "late_opening", "points": "40",
                                                                     "reference": "x"})
    assert response.status_code == 422
    # The points field carries its error (in whatever language the page is in).
    assert re.search(r'id="points"[^>]*><span class="err">[^<]+</span>', response.get_data(as_text=True))
    assert count_rows(app, AssessmentLine) == before
    response = client.post(f"/assessment/{world.submitted}/lines",
                           data={"rule": "late_opening", "reference": "x"})
    assert response.status_code == 409 and count_rows(app, AssessmentLine) == before


def test_a_deduction_with_a_photo_from_the_page(app, client, world, as_role):
    as_role("assessor")
    response = client.post(f"/assessment/{world.draft}/lines", data={
        "rule": "dirty_dining_area", "count": "2", "note": "trays left",
        "photo": (io.BytesIO(PNG), "tables.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        line = db.session.scalars(select(AssessmentLine)
                                  .where(AssessmentLine.assessment_id == world.draft)).one()
        assert line.photo and line.count == 2
        line_id = line.id
    photo = client.get(f"/assessment/lines/{line_id}/photo")
    assert photo.data == PNG and photo.mimetype == "image/png"
    photo.close()
    refused = client.post(f"/assessment/{world.draft}/lines", data={
        "rule": "dirty_dining_area", "photo": (io.BytesIO(b"<svg/>"), "x.svg")},
        content_type="multipart/form-data")
    assert refused.status_code == 422 and count_rows(app, AssessmentLine) == 3


def test_the_printable_sheet_pdf(client, world, as_role):
    as_role("viewer")
    response = client.get(f"/assessment/{world.submitted}/sheet.pdf")
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    # 100 - 2 x 2 (late opening) - 3 (missing sample) = 93; fee in full.
    assert "93" in text and "200,000.00" in text
    assert "考核人" in text and "承包方确认" in text
    assert "开封味美餐饮管理有限公司" in text and "KF-2021-001" in text
    assert "twice late" in text and f"#{world.check}" in text


def test_the_year_summary_page_excel_and_pdf(client, world, as_role):
    as_role("assessor")
    page = client.get(f"/assessment/summary?contractor={world.contractor}&year=2021").get_data(as_text=True)
    assert 'id="months-assessed">1<' in page and 'id="average">93<' in page
    response = client.get(f"/assessment/summary.xlsx?contractor={world.contractor}&year=2021")
    book = load_workbook(io.BytesIO(response.data))
    values = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    july = next(row for row in values if row[0] == "2021-07" and row[3] is not None)
    assert july[3] == 93 and july[6] == 200000.0 and july[7] is not None
    items = {row[0]: row[-1] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert items["供餐保障与准时开餐"] == 4 and items["食品安全与留样"] == 3
    response = client.get(f"/assessment/summary.pdf?contractor={world.contractor}&year=2021")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "2021-07" in text and "93" in text and "200,000.00" in text


def test_the_contractor_admin_pages(app, client, world, as_role, make_user):
    as_role("admin")
    response = client.post("/assessment/contractors", data={
        "name": "New Caterer", "contract_no": "NC-1", "starts_on": "2022-01-01", "ends_on": "2021-01-01",
        "serve-zonghe": "1", "fee-zonghe": "10"})
    assert response.status_code == 422 and count_rows(app, Contractor) == 1
    response = client.post("/assessment/contractors", data={
        "name": "New Caterer", "contract_no": "NC-1", "starts_on": "2024-01-01", "ends_on": "2026-12-31",
        "serve-zonghe": "1", "fee-zonghe": "12345.6"})
    assert response.status_code == 302 and count_rows(app, Contractor) == 2
    with app.app_context():
        new = db.session.scalars(select(Contractor).where(Contractor.contract_no == "NC-1")).one()
        assert new.monthly_fee_fen == 1_234_560
        new_id = new.id
    data = {"action": "save", "name": "New Caterer Ltd", "contract_no": "NC-1", "starts_on": "2024-01-01",
            "ends_on": "2026-12-31", "serve-zonghe": "1", "fee-zonghe": "12345.6", "active": "1"}
    assert client.post(f"/assessment/contractors/{new_id}", data=data).status_code == 422  # no reason
    assert client.post(f"/assessment/contractors/{new_id}",
                       data={**data, "reason": "renamed"}).status_code == 302
    cook = make_user("contractor", username="newcook")
    assert client.post(f"/assessment/contractors/{new_id}", data={"action": "link",
                                                                  "username": "newcook"}).status_code == 302
    page = client.get(f"/assessment/contractors/{new_id}").get_data(as_text=True)
    assert "New Caterer Ltd" in page and "newcook" in page and "renamed" in page
    assert client.post(f"/assessment/contractors/{new_id}", data={"action": "unlink",
                                                                  "user_id": str(cook.id)}).status_code == 302


def test_the_spot_check_pages_record_and_close(app, client, world, as_role):
    with app.app_context():
        finding = db.session.scalars(select(SpotCheckFinding)).one().id
    as_role("assessor")
    page = client.get("/spot-checks/?canteen=zonghe&month=2021-07").get_data(as_text=True)
    assert 'id="seed">3<' in page and "record-slot" in page
    assert f'data-finding="{finding}"' in client.get("/spot-checks/rectifications?status=overdue").get_data(
        as_text=True)
    response = client.post("/spot-checks/new", data={
        "canteen": "zonghe", "date": "2021-07-20", "meal": "lunch", "kind": "follow_up", "unit": "kg",
        "rw-plate": "6", "cl-food_safety": "ok", f"close-{finding}": "1",
        f"close-note-{finding}": "samples kept"})
    assert response.status_code == 302, response.get_data(as_text=True)
    follow_up = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"#{finding}" in follow_up
    closed = client.get("/spot-checks/rectifications?status=closed").get_data(as_text=True)
    assert f'data-finding="{finding}"' in closed
    assert f'data-finding="{finding}"' not in client.get(
        "/spot-checks/rectifications?status=overdue").get_data(as_text=True)
    refused = client.post("/spot-checks/new", data={"canteen": "zonghe", "date": "2021-07-21",
                                                    "meal": "brunch", "kind": "ad_hoc"})
    assert refused.status_code == 422 and "meal" in refused.get_data(as_text=True)
    assert client.get("/spot-checks/rectifications?status=soon").status_code == 404


def test_the_draw_page_hides_future_slots_from_the_caterer(app, client, session, settings, world, as_role,
                                                           assessor):
    from canteen.core.timeutil import add_months, local_today, month_start

    month = add_months(month_start(local_today(settings.zone)), 1)
    draw_month(session, settings, assessor, {"canteen": "zonghe", "month": month.strftime("%Y-%m")})
    session.commit()
    as_role("caterer")
    page = client.get(f"/spot-checks/?canteen=zonghe&month={month:%Y-%m}").get_data(as_text=True)
    assert "data-slot=" not in page and 'id="seed"' not in page and 'id="hidden-slots"' in page
    as_role("assessor")
    page = client.get(f"/spot-checks/?canteen=zonghe&month={month:%Y-%m}").get_data(as_text=True)
    assert page.count("data-slot=") == 4 and 'id="seed"' in page


def test_navigation_links_follow_the_role(client, world, as_role):
    as_role("viewer")
    start = client.get("/assessment/").get_data(as_text=True)
    assert 'href="/assessment/"' in start and 'href="/spot-checks/"' not in start
    assert 'href="/assessment/contractors"' not in start
    as_role("admin")
    start = client.get("/assessment/").get_data(as_text=True)
    assert all(link in start for link in ('href="/assessment/"', 'href="/spot-checks/"',
                                          'href="/assessment/contractors"'))


def test_demo_data(app, session, settings, kept_ledger, user_in):
    from canteen.assessment.demo import seed_assessment_demo
    from tests.assessment.world import fill_month

    # Users first: SQLite has one writer, and the ledger rows below hold the write lock until the commit.
    users = {name: user_in(role, username=name)
             for name, role in (("admin", "admin"), ("assessor", "assessor"), ("contractor", "contractor"))}
    for month in (date(2021, 6, 1), date(2021, 7, 1), date(2021, 8, 1)):
        fill_month(session, users["admin"], month, 60, canteen="badajie")
    session.commit()
    seed_assessment_demo(session, settings, users)
    session.commit()
    rows = session.scalars(select(Assessment).order_by(Assessment.canteen_id, Assessment.month)).all()
    assert [(row.canteen.code, row.month.month, row.status) for row in rows] == [
        ("zonghe", 6, "final"), ("zonghe", 7, "final"), ("zonghe", 8, "submitted"),
        ("badajie", 6, "final"), ("badajie", 7, "final"), ("badajie", 8, "final")]
    july = rows[1]
    assert july.revision == 2 and july.response == "disputed" and july.answer_text
    link = session.scalars(select(Contractor)).one()
    assert link.contract_no == "KFJG-CY-2021-01"
    seed_assessment_demo(session, settings, users)  # a second run changes nothing
    assert session.scalar(select(func.count()).select_from(Assessment)) == 6


def test_an_unlinked_caterer_is_told_so(client, world, as_role):
    as_role("stranger")
    assert 'id="no-contractor"' in client.get("/assessment/").get_data(as_text=True)


def test_every_assessment_form_needs_the_csrf_token(app, world, admin, csrf_app):
    from tests.web.helpers import csrf_token_from

    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").data)
    assert client.post("/login", data={"username": admin.username, "password": "tray-return-2021",
                                       "csrf_token": token}).status_code == 302
    ours = {rule.endpoint: rule for rule in csrf_app.url_map.iter_rules()
            if "POST" in (rule.methods or set())
            and rule.endpoint.split(".")[0] in ("assessment", "spotchecks")}
    arguments = {"assessment_id": world.draft, "line_id": world.line, "contractor_id": world.contractor,
                 "check_id": world.check}
    before = (count_rows(app, Assessment), count_rows(app, AssessmentLine), count_rows(app, Contractor))
    assert len(ours) == 12
    for endpoint, rule in ours.items():
        url = rule.build({name: arguments[name] for name in rule.arguments})[1]
        response = client.post(url, data={"action": "submit", "rule": "late_opening", "reference": "x",
                                          "canteen": "zonghe", "month": "2021-06"})
        assert response.status_code == 400, endpoint
    assert (count_rows(app, Assessment), count_rows(app, AssessmentLine),
            count_rows(app, Contractor)) == before
