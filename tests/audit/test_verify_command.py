"""``canteen verify``, its nightly run by the scheduler, the stored result and the dashboard's notice."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from canteen.audit.models import ChainCheck
from canteen.chain.models import ChainLink
from canteen.ledger.models import WasteEntry, WasteEntryRevision
from canteen.reference.models import Canteen, Meal, Stream
from reports.scheduler import job_by_id, run_job
from tests.audit.conftest import People

WHERE = "Integrated Office Area Canteen · 2021-07 · 2021-07-05 · Lunch · Plate waste · revision 1"


def _tamper_weight(session: Session, entry: WasteEntry) -> None:
    session.execute(text("UPDATE waste_entry SET weight_g = weight_g + 1000 WHERE id = :id"),
                    {"id": entry.id})
    session.commit()


def test_verify_reports_each_break_in_words_and_exits_1(schema_stamped: None, runner: FlaskCliRunner,
                                                        ctx: Session, weigh: Callable) -> None:
    entry = weigh("2021-07-05", "lunch", "plate", 12)
    clean = runner.invoke(args=["verify", "--lang", "en"])
    assert clean.exit_code == 0, clean.output
    assert clean.output.strip() == "checked 1 link(s) in 1 chain(s): 0 break(s)"
    _tamper_weight(ctx, entry)
    result = runner.invoke(args=["verify", "--lang", "en"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"BREAK: {WHERE}: the current value differs from the newest revision: weight: 12.000 kg in the "
        "newest revision, 13.000 kg now",
        "checked 1 link(s) in 1 chain(s): 1 break(s)"]
    # Chinese by default.
    assert "综合办公区餐厅 · 2021-07 · 2021-07-05 · 午餐 · 回收处剩餐" in runner.invoke(args=["verify"]).output
    ctx.expire_all()
    checks = ctx.scalars(select(ChainCheck).order_by(ChainCheck.id)).all()
    assert [(check.trigger, check.ok, check.breaks) for check in checks] == [
        ("cli", True, 0), ("cli", False, 1), ("cli", False, 1)]


def test_seal_existing_chains_rows_older_than_the_chain(schema_stamped: None, runner: FlaskCliRunner,
                                                        ctx: Session, people: People,
                                                        weigh: Callable) -> None:
    weigh("2021-07-05", "lunch", "plate", 12)
    # Rows written before the chain existed (an upgraded database): no link.
    canteen = ctx.scalars(select(Canteen).where(Canteen.code == "zonghe")).one()
    meals = {row.code: row for row in ctx.scalars(select(Meal))}
    streams = {row.code: row for row in ctx.scalars(select(Stream))}
    for meal in ("breakfast", "dinner"):
        old = WasteEntry(canteen_id=canteen.id, day=date(2021, 7, 4), meal=meals[meal],
                         stream=streams["prep"], weight_g=2000, source="import",
                         created_by_id=people["manager"].id)
        old.revisions.append(WasteEntryRevision(number=1, weight_g=2000, created_by_id=people["manager"].id))
        ctx.add(old)
    ctx.commit()
    unsealed = runner.invoke(args=["verify", "--lang", "en"])
    assert unsealed.exit_code == 1 and unsealed.output.count("the record is not in the chain") == 2
    sealed = runner.invoke(args=["verify", "--seal-existing", "--lang", "en"])
    assert sealed.exit_code == 0, sealed.output
    assert sealed.output.splitlines() == ["sealed 2 record(s) that had no chain link",
                                          "checked 3 link(s) in 1 chain(s): 0 break(s)"]
    ctx.expire_all()
    links = ctx.scalars(select(ChainLink).order_by(ChainLink.seq)).all()
    assert [(link.seq, link.sealed) for link in links] == [(1, False), (2, True), (3, True)]
    assert runner.invoke(args=["verify", "--seal-existing"]).output.startswith("已检查")


def test_the_nightly_job_records_its_result_and_fails_on_a_break(app: Flask, ctx: Session,
                                                                 weigh: Callable) -> None:
    entry = weigh("2021-07-05", "lunch", "plate", 12)
    run = run_job(app, job_by_id("chain-verify"), None, "manual")
    assert (run.status, run.result) == ("ok", "1 link(s) in 1 chain(s): no break")
    _tamper_weight(ctx, entry)
    run = run_job(app, job_by_id("chain-verify"), None, "manual")
    assert (run.status, run.result) == ("failed", "1 link(s) in 1 chain(s): 1 break(s); see the audit page")
    ctx.expire_all()
    checks = ctx.scalars(select(ChainCheck).order_by(ChainCheck.id))
    assert [(check.trigger, check.ok) for check in checks] == [("nightly", True), ("nightly", False)]


def test_the_dashboard_shows_a_failed_check_to_admins(app: Flask, client: FlaskClient, session: Session,
                                                      api_as: Callable, make_user: Callable,
                                                      login: Callable) -> None:
    # No outer request context here: the pages and the job each open their own, as in production.
    stored = api_as("manager").post("/waste-entries", json={"canteen": "zonghe", "date": "2021-07-05",
                                                            "meal": "lunch", "stream": "plate", "weight": 12})
    entry = session.get(WasteEntry, stored.json["id"])
    run_job(app, job_by_id("chain-verify"), None, "manual")
    people = {role: make_user(role) for role in ("admin", "discipline", "manager", "assessor")}
    login(people["admin"])
    assert 'id="chain-alert"' not in client.get("/dashboard").get_data(as_text=True)
    _tamper_weight(session, entry)
    run_job(app, job_by_id("chain-verify"), None, "manual")
    page = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert 'id="chain-alert"' in page
    assert "The history check found changes made outside the service" in page
    assert f"{WHERE}: the current value differs from the newest revision" in page
    check = session.scalars(select(ChainCheck).order_by(ChainCheck.id.desc())).first()
    assert f'href="/audit/checks/{check.id}"' in page
    detail = client.get(f"/audit/checks/{check.id}?lang=en").get_data(as_text=True)
    assert "1 break(s) found." in detail
    assert "weight: 12.000 kg in the newest revision, 13.000 kg now" in detail
    client.post("/logout")
    for role in ("discipline", "manager", "assessor"):
        login(people[role])
        assert 'id="chain-alert"' not in client.get("/dashboard").get_data(as_text=True), role
        client.post("/logout")
