"""Month figures follow the ledger's rules: food streams only, voids left out, missing meals counted,
per-diner figures over matched meals only, camera events in the local month; sums compare like with like."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any, Callable

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.auth.models import User
from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.ledger.disposals import record_disposal
from canteen.ledger.entries import void_entry
from canteen.ledger.figures import month_ledger, months_between, top_dishes
from canteen.ledger.models import WasteEntry
from canteen.ledger.wording import change_sentence
from canteen.reference.models import Canteen
from reports import charts
from reports.data import collect_months, combine, season_start
from reports.monthly import build_monthly_report

JULY, AUGUST = date(2021, 7, 1), date(2021, 8, 1)
NOW = datetime(2021, 10, 1, tzinfo=timezone.utc)


def _canteens(session: Session) -> dict[str, Canteen]:
    return {row.code: row for row in session.scalars(select(Canteen))}


def _event(session: Session, canteen: Canteen, user: User, at: datetime, status: str) -> None:
    session.add(CameraEvent(uuid=str(uuid.uuid4()), camera="cam1", canteen_id=canteen.id, started_at=at,
                            ended_at=at, start_s=0, end_s=1, peak_activity=1, activity_integral=1,
                            scene_changed=True, changed_fraction=0.1, confidence=0.9, end_reason="still",
                            status=status, media_dir="x", received_by_id=user.id))


def test_month_figures_match_the_ledger(session: Session, settings: AppConfig, weigh: Callable[..., None],
                                        admin: User) -> None:
    weigh("2021-08-02", "lunch", plate=12.5, prep=3, grease=1.5, diners=200)
    weigh("2021-08-02", "dinner", plate=4, diners=0)  # no diners: left out of the per-diner figure
    weigh("2021-08-03", "breakfast", unsold=2, diners=150)  # a count without plate weight: left out too
    weigh("2021-07-30", "lunch", plate=10, diners=100)
    weigh("2021-08-02", "lunch", canteen="badajie", plate=6, diners=80)
    weigh("2021-08-04", "lunch", plate=50)
    wrong = session.scalar(select(WasteEntry).where(WasteEntry.weight_g == 50000))
    void_entry(session, admin, wrong.id, "weighed the wrong bin")
    session.commit()
    canteens = _canteens(session)
    per = collect_months(session, settings, list(canteens.values()), JULY, AUGUST, NOW)
    zonghe = per[canteens["zonghe"].id][AUGUST]
    ledger = month_ledger(session, settings, canteens["zonghe"], AUGUST, NOW)
    assert zonghe.total_g == ledger.total_g == 21_500
    assert zonghe.by_stream_g == ledger.by_stream_g
    assert zonghe.by_meal_g == {code: grams for code, grams in ledger.by_meal_g.items() if grams}
    assert zonghe.missing_slots == len(ledger.missing)
    assert zonghe.plate_g_per_diner_meal == ledger.plate_g_per_diner_meal == 62.5
    assert zonghe.diner_meals == ledger.diner_meals == 350
    assert per[canteens["zonghe"].id][JULY].total_g == 10_000

    total = combine(per, [JULY, AUGUST], [stream.code for stream in settings.streams])
    assert total[1].total_g == 27_500
    assert total[1].reporting == {canteens["zonghe"].id, canteens["badajie"].id}
    # July had entries only from zonghe: the sum of August is not compared with it.
    assert not total[1].comparable(total[0])
    chart = charts.monthly_totals_chart(total[1:], total[0], "t")
    assert chart.numbers["months"][0]["mom_kg"] is None
    assert per[canteens["zonghe"].id][AUGUST].comparable(per[canteens["zonghe"].id][JULY])


def _kg(grams: int | None) -> float | None:
    return None if grams is None else round(grams / 1000, 3)


def test_the_report_states_the_ledger_apis_numbers(app: Flask, session: Session, settings: AppConfig,
                                                   weigh: Callable[..., None], admin: User,
                                                   api_as: Callable[..., Any]) -> None:
    """The monthly report and GET /api/v1/ledger share one computation; this keeps them in step."""
    weigh("2020-08-03", "lunch", plate=30, prep=4, diners=300)
    weigh("2021-07-30", "lunch", plate=10, diners=100)
    weigh("2021-08-02", "lunch", plate=12.5, prep=3, grease=1.5, diners=200)
    weigh("2021-08-02", "dinner", unsold=2, diners=50)
    weigh("2021-08-04", "breakfast", plate=4, diners=0)
    weigh("2021-08-02", "lunch", canteen="badajie", plate=6, diners=80)
    for kind, waste_type, kg in (("hauler", "food", 15), ("composter", "food", 2), ("hauler", "grease", 1.5)):
        record_disposal(session, settings, admin, {"canteen": "zonghe", "date": "2021-08-05", "receiver": "r",
                                                   "manifest_no": f"M-{kind}-{waste_type}",
                                                   "receiver_kind": kind, "waste_type": waste_type,
                                                   "weight": kg, "unit": "kg"})
    session.commit()
    api = api_as("admin")
    shown = {}
    for code in ("zonghe", "badajie"):
        response = api.get(f"/ledger?canteen={code}&month=2021-08")
        assert response.status_code == 200
        shown[code] = response.get_json()
    ledger = shown["zonghe"]
    with app.app_context(), force_locale("en"):
        canteens = list(_canteens(db.session).values())
        by_code = {canteen.code: canteen for canteen in canteens}
        single = build_monthly_report(db.session, settings, AUGUST, by_code["zonghe"], canteens, NOW)
        combined = build_monthly_report(db.session, settings, AUGUST, None, canteens, NOW)
        # Both months compared with have missing meals, and so has August itself.
        mom_line = change_sentence("mom", round(ledger["mom_change_kg"] * 1000), ledger["mom_change_pct"],
                                   incomplete=True)
        yoy_line = change_sentence("yoy", round(ledger["yoy_change_kg"] * 1000), ledger["yoy_change_pct"],
                                   incomplete=True)
    assert ledger["total_kg"] == 21.5 and ledger["mom_change_kg"] == 11.5 and ledger["yoy_change_kg"] == -12.5
    assert _kg(single.total_g) == ledger["total_kg"] and _kg(single.other_g) == ledger["other_kg"]
    assert [_kg(grams) for _name, grams in single.by_stream] == [
        ledger["by_stream"][stream.code] for stream in settings.streams]
    assert [_kg(grams) for _name, grams in single.by_meal] == [
        ledger["by_meal"][meal.code] for meal in settings.meals]
    assert single.diner_meals == ledger["diner_meals"] and single.plate_g == ledger["plate_g_per_diner_meal"]
    assert [_kg(grams) for _name, grams in single.disposals] == [
        ledger["disposals_kg"]["food"], ledger["disposals_kg"]["grease"]]
    assert (single.mom_line, single.yoy_line) == (mom_line, yoy_line)
    assert any(f"{len(ledger['missing'])} served meal" in gap for gap in single.gaps)

    lines = {line.code: line for line in combined.canteen_lines}
    for code, ledger in shown.items():
        line = lines[code]
        assert (_kg(line.total_g), _kg(line.mom_g), line.mom_pct, _kg(line.yoy_g), line.yoy_pct) == (
            ledger["total_kg"], ledger["mom_change_kg"], ledger["mom_change_pct"], ledger["yoy_change_kg"],
            ledger["yoy_change_pct"])
        assert (line.plate_g_per_diner_meal, line.diner_meals, line.missing) == (
            ledger["plate_g_per_diner_meal"], ledger["diner_meals"], len(ledger["missing"]))
    assert _kg(combined.total_g) == round(sum(ledger["total_kg"] for ledger in shown.values()), 3)
    assert combined.diner_meals == sum(ledger["diner_meals"] for ledger in shown.values())


def test_confirmed_dumps_count_in_the_local_month(session: Session, settings: AppConfig, admin: User) -> None:
    canteens = _canteens(session)
    zonghe = canteens["zonghe"]
    # 17:00 UTC on 31 August is 01:00 on 1 September in Shanghai.
    _event(session, zonghe, admin, datetime(2021, 8, 31, 17, 0, tzinfo=timezone.utc), "confirmed")
    _event(session, zonghe, admin, datetime(2021, 8, 31, 15, 0, tzinfo=timezone.utc), "confirmed")
    _event(session, zonghe, admin, datetime(2021, 8, 20, 4, 0, tzinfo=timezone.utc), "dismissed")
    _event(session, zonghe, admin, datetime(2021, 8, 20, 4, 0, tzinfo=timezone.utc), "pending")
    session.commit()
    per = collect_months(session, settings, [zonghe], AUGUST, date(2021, 9, 1), NOW)[zonghe.id]
    assert per[AUGUST].confirmed_dumps == 1
    assert per[date(2021, 9, 1)].confirmed_dumps == 1
    chart = charts.dumps_chart(list(per.values()), "t")
    assert [row["confirmed"] for row in chart.numbers["months"]] == [1, 1]
    assert [patch.get_height() for patch in chart.figure.axes[0].patches] == [1, 1]


def test_missing_meals_make_a_month_incomplete_on_the_chart(session: Session, settings: AppConfig,
                                                            weigh: Callable[..., None]) -> None:
    weigh("2021-07-05", "lunch", plate=10)
    weigh("2021-08-05", "lunch", plate=8)
    canteens = _canteens(session)
    zonghe = canteens["zonghe"]
    per = collect_months(session, settings, [zonghe], JULY, AUGUST, NOW)[zonghe.id]
    assert per[AUGUST].missing_slots == 31 * 3 - 1 and not per[AUGUST].complete
    chart = charts.monthly_totals_chart([per[AUGUST]], per[JULY], "t")
    row = chart.numbers["months"][0]
    assert (row["total_kg"], row["mom_kg"], row["mom_pct"]) == (8.0, -2.0, -20.0)
    assert row["complete"] is False and row["comparison_incomplete"] is True
    axes = chart.figure.axes[0]
    assert axes.patches[0].get_hatch() == "///"  # hatched, not only paler, so it shows in black and white
    assert any("*" in text.get_text() for text in axes.texts)
    assert any("missing entries" in text.get_text() for text in axes.texts)


def test_top_dishes_and_the_season(session: Session, settings: AppConfig, weigh: Callable[..., None],
                                   admin: User) -> None:
    from canteen.ledger.entries import record_entry

    for day, dish, kg in (("2021-06-02", "米饭", 5), ("2021-08-02", "红烧鱼", 3), ("2021-08-03", "米饭", 1)):
        record_entry(session, settings, admin, {"canteen": "zonghe", "date": day, "meal": "lunch",
                                                "stream": "unsold", "weight": kg, "unit": "kg", "dish": dish})
    session.commit()
    zonghe = _canteens(session)["zonghe"]
    assert season_start(settings, AUGUST) == date(2021, 6, 1)
    assert season_start(settings, date(2022, 2, 1)) == date(2021, 12, 1)
    assert top_dishes(session, [zonghe.id], AUGUST, date(2021, 8, 31), 10) == [("红烧鱼", 3000), ("米饭", 1000)]
    assert top_dishes(session, [zonghe.id], date(2021, 6, 1), date(2021, 8, 31), 1) == [("米饭", 6000)]


def test_months_between_spans_year_ends() -> None:
    assert months_between(date(2021, 11, 15), date(2022, 2, 1)) == [
        date(2021, 11, 1), date(2021, 12, 1), date(2022, 1, 1), date(2022, 2, 1)]


def test_score_chart_draws_the_grade_bands_without_missing_glyphs() -> None:
    months = [date(2021, 6, 1), date(2021, 7, 1), date(2021, 8, 1)]
    chart = charts.score_chart(months, {months[0]: 92.0, months[2]: 78.5}, "承包方月度考核得分")
    assert [row["grade"] for row in chart.numbers["months"]] == ["excellent (≥ 90)", None, "pass (70–79)"]
    axes = chart.figure.axes[0]
    assert list(axes.get_lines()[-1].get_ydata()) == [92.0, 78.5]
    assert {text.get_text() for text in axes.texts} >= {"92", "78.5", "excellent (≥ 90)", "fail (< 70)"}
    assert chart.png().startswith(b"\x89PNG")  # warnings are errors: a missing glyph would fail here
