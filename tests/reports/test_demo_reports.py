"""Charts and reports on the demo data: zonghe made exactly 4700 kg in July 2021 and 4301 kg in August,
a month-over-month drop of 399 kg (-8.5 %). The numbers are read back from the drawn figures and files."""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale
from matplotlib import font_manager, rcParams
from matplotlib.text import Text
from pypdf import PdfReader
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from canteen.camera_events.models import CameraEvent
from canteen.config import AppConfig
from canteen.extensions import db
from canteen.ledger.figures import month_ledger, months_between
from canteen.ledger.models import Disposal
from canteen.ledger.wording import change_sentence
from canteen.reference.models import Canteen
from reports import charts, service
from reports.data import collect_months, combine
from canteen.core.plotting import CJK_FAMILY, setup_fonts
from reports.models import ReportRun
from reports.monthly import build_monthly_report
from reports.render import render_html
from reports.service import produce_report
from reports.timing import Stopwatch

AUGUST = date(2021, 8, 1)
# Reports about a past month must not depend on the day the tests run.
NOW = datetime(2021, 10, 1, 4, 0, tzinfo=timezone.utc)


def _canteen(session: Session, code: str) -> Canteen:
    return session.scalar(select(Canteen).where(Canteen.code == code))


def _series(session: Session, settings: AppConfig, canteens: list[Canteen], first: date, last: date):
    per = collect_months(session, settings, canteens, first, last, NOW)
    return combine(per, months_between(first, last), [stream.code for stream in settings.streams])


def _bar_label(axes, index: int) -> list[str]:
    texts = [text for text in axes.texts if isinstance(text, Text) and text.get_position()[0] == index]
    assert len(texts) == 1
    return texts[0].get_text().split("\n")


def test_the_cjk_font_draws_the_chinese_labels() -> None:
    assert setup_fonts() == CJK_FAMILY
    path = font_manager.findfont(font_manager.FontProperties(family=rcParams["font.family"]),
                                 fallback_to_default=False)
    assert "NotoSansCJK" in Path(path).name


def test_monthly_totals_chart_shows_4700_4301_and_the_drop(demo_session: Session,
                                                           settings: AppConfig) -> None:
    zonghe = _canteen(demo_session, "zonghe")
    series = _series(demo_session, settings, [zonghe], date(2020, 7, 1), AUGUST)
    chart = charts.monthly_totals_chart(series[1:], series[0], "厨余垃圾 月度")
    axes = chart.figure.axes[0]
    labels = [tick.get_text() for tick in axes.get_xticklabels()]
    assert len(labels) == 13 and labels[-2:] == ["2021-07", "2021-08"]
    heights = [patch.get_height() for patch in axes.patches]
    assert heights[-2:] == [4700.0, 4301.0]
    assert _bar_label(axes, 12) == ["4301", "-399kg", "-8.5%"]
    assert _bar_label(axes, 11)[0] == "4700"
    july, august = chart.numbers["months"][-2:]
    assert july["total_kg"] == 4700.0
    assert (august["total_kg"], august["mom_kg"], august["mom_pct"]) == (4301.0, -399.0, -8.5)
    assert august["complete"] is True
    png = chart.png()
    assert png.startswith(b"\x89PNG") and b"<svg" in chart.svg()


def test_plate_per_diner_chart_matches_the_ledger(demo_session: Session, settings: AppConfig) -> None:
    zonghe = _canteen(demo_session, "zonghe")
    series = _series(demo_session, settings, [zonghe], date(2019, 8, 1), AUGUST)
    by_month = {figures.month: figures for figures in series}
    shown = series[-13:]
    earlier = [by_month.get(date(item.month.year - 1, item.month.month, 1)) for item in shown]
    chart = charts.plate_per_diner_chart(shown, earlier, 50.0, None, "人均每餐剩餐量")
    ledger = month_ledger(demo_session, settings, zonghe, AUGUST, NOW)
    august = chart.numbers["months"][-1]
    assert august["g"] == ledger.plate_g_per_diner_meal
    last_year = month_ledger(demo_session, settings, zonghe, date(2020, 8, 1), NOW).plate_g_per_diner_meal
    assert august["last_year_g"] == last_year
    assert august["yoy_g"] == round(ledger.plate_g_per_diner_meal - last_year, 1)
    axes = chart.figure.axes[0]
    this_line = axes.get_lines()[0]
    assert list(this_line.get_ydata())[-1] == ledger.plate_g_per_diner_meal
    assert any(list(line.get_ydata()) == [50.0, 50.0] for line in axes.get_lines())  # the target


def test_stream_dish_disposal_and_camera_charts(demo_session: Session, settings: AppConfig) -> None:
    zonghe = _canteen(demo_session, "zonghe")
    series = _series(demo_session, settings, [zonghe], date(2020, 8, 1), AUGUST)
    ledger = month_ledger(demo_session, settings, zonghe, AUGUST, NOW)

    streams = charts.streams_chart(series, [(s.code, s.name_zh) for s in settings.streams], "分类")
    august = streams.numbers["months"][-1]
    assert {code: august[code] for code in ledger.by_stream_g} == {
        code: grams / 1000 for code, grams in ledger.by_stream_g.items()}
    stacked = [patch.get_height() for patch in streams.figure.axes[0].patches]
    assert len(stacked) == 13 * len(settings.streams)

    top = list(ledger.by_dish_g.items())[:10]
    dishes = charts.dishes_chart(top, [], "本月", "本季", "菜品")
    assert [row["dish"] for row in dishes.numbers["month"]] == [name for name, _g in top]
    left_axes = dishes.figure.axes[0]
    assert [label.get_text() for label in left_axes.get_yticklabels()] == [name for name, _g in top][::-1]

    disposals = charts.disposals_chart(series, "台账与联单")
    hauled = demo_session.scalar(select(func.sum(Disposal.weight_g)).where(
        Disposal.canteen_id == zonghe.id, Disposal.receiver_kind == "hauler", Disposal.waste_type == "food",
        Disposal.day >= AUGUST, Disposal.day <= date(2021, 8, 31)))
    assert disposals.numbers["months"][-1]["ledger_kg"] == 4301.0
    assert disposals.numbers["months"][-1]["hauler_kg"] == round(hauled / 1000, 3)

    dumps = charts.dumps_chart(series, "倒餐")
    expected: dict[str, int] = {}
    for started in demo_session.scalars(select(CameraEvent.started_at).where(
            CameraEvent.canteen_id == zonghe.id, CameraEvent.status == "confirmed")):
        label = started.astimezone(settings.zone).strftime("%Y-%m")
        expected[label] = expected.get(label, 0) + 1
    assert [row["confirmed"] for row in dumps.numbers["months"]] == [
        expected.get(row["month"], 0) for row in dumps.numbers["months"]]
    if not any(expected.get(row["month"]) for row in dumps.numbers["months"]):
        assert any(text.get_text() == "No confirmed dumps" for text in dumps.figure.axes[0].texts)

    score = charts.score_chart([item.month for item in series], None, "考核")
    assert score.numbers["available"] is False
    assert any(text.get_text() == "No assessment data" for text in score.figure.axes[0].texts)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*"))
            if path.is_file()}


def _pdf_images(reader: PdfReader) -> set[tuple[int, int]]:
    """The distinct images the PDF's pages draw, as (object number, pixel width)."""
    images = set()
    for page in reader.pages:
        objects = page["/Resources"].get("/XObject")
        for item in (objects.get_object().values() if objects else []):
            image = item.get_object()
            if image.get("/Subtype") == "/Image":
                images.add((item.idnum, int(image["/Width"])))
    return images


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.render
def test_a_report_run_twice_gives_the_same_files_with_the_figures(demo_app: Flask, settings: AppConfig,
                                                                  tmp_path: Path) -> None:
    # With the optional SVG copies too: they reuse the layout of the PNG drawing and must be stable as well.
    settings = settings.model_copy(
        update={"reports": settings.reports.model_copy(update={"chart_svg": True})})
    with demo_app.app_context():
        zonghe = _canteen(db.session, "zonghe")
        first = produce_report(db.session, settings, AUGUST, zonghe, tmp_path, trigger="cli", now=NOW)
        db.session.commit()
        assert first.status == "ok", first.error
        folder = Path(first.directory)
        before = _files(folder)
        second = produce_report(db.session, settings, AUGUST, zonghe, tmp_path, trigger="cli", now=NOW)
        db.session.commit()
        assert second.status == "ok" and second.files == first.files
    after = _files(folder)
    assert folder == tmp_path / "2021-08" / "zonghe"
    assert sorted(after) == sorted(before)
    assert "report.html" in after and "report.pdf" in after and "charts/monthly_totals.svg" in after
    assert after["report.html"] == before["report.html"]  # byte-identical
    for name in after:
        if name.startswith("charts/") or name == "figures.json":
            assert after[name] == before[name], name
    assert _pdf_text(after["report.pdf"]) == _pdf_text(before["report.pdf"])
    assert [path.name for path in (tmp_path / "2021-08").iterdir()] == ["zonghe"]  # no temporary folders left

    html = after["report.html"].decode()
    assert "4301" in html
    figures = json.loads(after["figures.json"])
    assert figures["total_kg"] == 4301.0
    assert figures["charts"]["monthly_totals"]["months"][-1]["mom_kg"] == -399.0

    reader = PdfReader(io.BytesIO(after["report.pdf"]))
    assert "/CreationDate" not in (reader.metadata or {})  # no timestamp: a re-run prints the same PDF
    text = _pdf_text(after["report.pdf"])
    assert "4301" in text and "399" in text and "-8.5%" in text
    assert "综合办公区餐厅" in text
    assert len(_pdf_images(reader)) == 8  # every chart is in the PDF, each at full width


def test_the_report_words_the_change_as_month_over_month(demo_app: Flask, settings: AppConfig) -> None:
    with demo_app.app_context(), force_locale("zh_Hans_CN"):
        zonghe = _canteen(db.session, "zonghe")
        ledger = month_ledger(db.session, settings, zonghe, AUGUST, NOW)
        report = build_monthly_report(db.session, settings, AUGUST, zonghe, [zonghe], NOW)
        expected_mom = change_sentence("mom", -399_000, -8.5)
        expected_yoy = change_sentence("yoy", ledger.yoy_change_g, ledger.yoy_change_pct)
        html = render_html(report)
    assert report.mom_line == expected_mom and report.yoy_line == expected_yoy
    # 环比 (month over month) once the Chinese catalog has it; never 同比 (year over year) for this change.
    assert "399" in report.mom_line and "-8.5%" in report.mom_line
    assert "同比" not in report.mom_line and "year over year" not in report.mom_line
    assert "环比" in report.mom_line or "month over month" in report.mom_line
    assert "环比" not in report.yoy_line and "month over month" not in report.yoy_line
    assert "4301" in report.headline and report.mom_line in report.headline
    assert f'<p id="mom-line">{report.mom_line}</p>' in html
    assert f'<p id="yoy-line">{report.yoy_line}</p>' in html
    # August 2021 and the months it is compared with are complete: at most the assessment may be missing.
    assert len(report.gaps) <= 1


@pytest.mark.render
def test_the_all_canteens_report_sums_the_canteens(demo_app: Flask, settings: AppConfig,
                                                   tmp_path: Path) -> None:
    with demo_app.app_context():
        canteens = {code: _canteen(db.session, code) for code in ("zonghe", "badajie")}
        ledgers = {code: month_ledger(db.session, settings, row, AUGUST, NOW)
                   for code, row in canteens.items()}
        stopwatch = Stopwatch()
        run = produce_report(db.session, settings, AUGUST, None, tmp_path, trigger="cli", now=NOW,
                             stopwatch=stopwatch)
        db.session.commit()
        assert run.status == "ok", run.error
        assert run.target == "all" and run.canteen_id is None
    # The bench's split: every phase of the run was timed.
    phases = {"queries", "charts", "html", "pdf", "files"}
    assert set(stopwatch.seconds) == set(stopwatch.cpu_seconds) == phases
    folder = tmp_path / "2021-08" / "all"
    figures = json.loads((folder / "figures.json").read_text(encoding="utf-8"))
    total = sum(ledger.total_g for ledger in ledgers.values())
    previous = sum(ledger.previous.total_g for ledger in ledgers.values())
    assert figures["total_kg"] == total / 1000
    months = figures["charts"]["monthly_totals"]["months"]
    assert months[-1]["mom_kg"] == round((total - previous) / 1000, 3)
    # badajie opened in September 2020: August 2020 is not like with like, so there is no year-over-year line.
    assert figures["charts"]["plate_per_diner"]["months"][-1]["last_year_g"] is None
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "综合办公区餐厅" in html and "八大街综合楼餐厅" in html
    assert 'id="canteen-table"' in html
    # One drawing per chart by default: the PNG serves the page, the PDF and the download; no SVG copy.
    assert sorted(path.suffix for path in (folder / "charts").iterdir()) == [".png"] * 8
    assert len(_pdf_images(PdfReader(folder / "report.pdf"))) == 8


@pytest.mark.render
def test_a_failed_run_leaves_the_last_good_report(demo_app: Flask, settings: AppConfig, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with demo_app.app_context():
        badajie = _canteen(db.session, "badajie")
        good = produce_report(db.session, settings, AUGUST, badajie, tmp_path, trigger="cli", now=NOW)
        db.session.commit()
        assert good.status == "ok", good.error
        folder = Path(good.directory)
        before = _files(folder)

        def half_written(report, staging: Path, *options) -> None:
            (staging / "report.html").write_text("half", encoding="utf-8")
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(service, "write_report_files", half_written)
        bad = produce_report(db.session, settings, AUGUST, badajie, tmp_path, trigger="cli", now=NOW)
        db.session.commit()
        assert bad.status == "failed" and "No space left on device" in bad.error
        assert bad.files == []
        runs = db.session.scalars(select(ReportRun.status).where(ReportRun.target == "badajie")
                                  .order_by(ReportRun.id)).all()
        assert runs[-2:] == ["ok", "failed"]
    assert _files(folder) == before
    assert [path.name for path in (tmp_path / "2021-08").iterdir()] == ["badajie"]


def test_the_assessment_spot_check_and_offence_figures(demo_session: Session, settings: AppConfig) -> None:
    from canteen.assessment.assessments import score_of
    from canteen.assessment.models import Assessment
    from canteen.offences.models import Escalation, Offence
    from canteen.assessment.spotchecks.models import SpotCheck
    from reports import sources

    zonghe = _canteen(demo_session, "zonghe")
    months = [date(2021, 6, 1), date(2021, 7, 1), AUGUST]
    expected = {row.month: float(score_of(row).total) for row in demo_session.scalars(
        select(Assessment).where(Assessment.canteen_id == zonghe.id, Assessment.status != "draft"))}
    assert expected and sources.caterer_scores(demo_session, [zonghe.id], months) == {
        month: round(value, 1) for month, value in expected.items() if month in months}
    assert [bound for bound, _name in sources.score_bands(settings)] == [90.0, 80.0, 70.0, 0.0]

    checks = demo_session.scalars(select(SpotCheck).where(
        SpotCheck.canteen_id == zonghe.id, SpotCheck.day >= AUGUST, SpotCheck.day <= date(2021, 8, 31))
        .order_by(SpotCheck.day)).all()
    lines = sources.spot_checks(demo_session, [zonghe.id], AUGUST)
    assert [line.day for line in lines] == [check.day for check in checks]
    ordered = [finding for check in checks for finding in check.findings if finding.rectify_by]
    rectifications = sources.rectifications(demo_session, [zonghe.id], AUGUST)
    assert {line.due for line in rectifications} >= {finding.rectify_by for finding in ordered}

    # Offences: counts only, in the canteens' local month.
    both = [zonghe.id, _canteen(demo_session, "badajie").id]
    occurred = demo_session.scalars(select(Offence.occurred_at).where(
        Offence.withdrawn_at.is_(None), Offence.annulled_at.is_(None))).all()
    month = max(occurred).astimezone(settings.zone).date().replace(day=1)
    counts = sources.offences_by_step(demo_session, settings, both, month)

    def local_month(at: datetime) -> date:
        return at.astimezone(settings.zone).date().replace(day=1)

    assert counts["offences"] == sum(1 for at in occurred if local_month(at) == month)
    steps = demo_session.scalars(select(Escalation).where(
        Escalation.status.not_in(sources.NOT_STANDING))).all()
    assert sum(counts[step] for step in sources.STEPS) == sum(
        1 for row in steps if local_month(row.created_at) == month)
    assert set(counts) == {"offences", "warning", "exposure", "referral"}


def test_the_report_sources_take_the_same_queries_however_many_rows(demo_session: Session,
                                                                    settings: AppConfig) -> None:
    from reports import sources

    canteens = [_canteen(demo_session, code).id for code in ("zonghe", "badajie")]
    statements: list[str] = []

    def record(_connection, _cursor, statement: str, *_args) -> None:
        # has_tables() asks the catalog once per source (PRAGMA on SQLite, pg_catalog on PostgreSQL).
        if not statement.startswith("PRAGMA") and "pg_catalog" not in statement:
            statements.append(statement)

    engine = demo_session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        demo_session.expunge_all()  # nothing loaded before: every row comes from the queries counted
        rectifications = sources.rectifications(demo_session, canteens, AUGUST)
        after_rectifications = len(statements)
        checks = sources.spot_checks(demo_session, canteens, AUGUST)
        after_checks = len(statements)
        scores = sources.caterer_scores(demo_session, canteens, [date(2021, 7, 1), AUGUST])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    # The demo has several rectifications, checks and scores; each list is one query (two with the findings).
    assert rectifications and checks and scores
    assert after_rectifications == 1
    assert after_checks - after_rectifications == 2
    # The assessments and their lines; the users who added the lines (with their canteens) are joined.
    assert len(statements) - after_checks <= 4
