"""Ledger pages: daily entry grid, monthly ledger, a cell's history, disposals, import, Excel download."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from io import BytesIO
from typing import Any

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, NotFound, ServiceError
from canteen.core.guard import require
from canteen.core.permissions import can_access_canteen, has_permission
from canteen.core.timeutil import add_months, local_today, month_end, month_start, parse_month
from canteen.core.inputguard import UnsafeInput
from canteen.core.validation import as_id, parse_day, parse_weight_g
from canteen.extensions import db
from canteen.ledger.chained import hold_month
from canteen.ledger.diners import parse_count, set_diner_count
from canteen.ledger.disposals import list_disposals, record_disposal, void_disposal
from canteen.ledger.entries import correct_entry, get_entry, record_entry, void_entry
from canteen.ledger.excel import ledger_workbook_bytes
from canteen.ledger.figures import cell_history, day_cells, month_ledger
from canteen.ledger.models import DinerCount, WasteEntry, WasteEntryRevision
from canteen.ledger.signoff import month_signoff
from canteen.ledger.wording import change_sentence
from canteen.reference.models import Canteen, Meal, Stream
from canteen.reference.scope import user_canteens
from canteen.reference.services import canteen_by_code

bp = Blueprint("ledger", __name__, url_prefix="/ledger")


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


def _canteen_from_args() -> Canteen:
    """The canteen named in ?canteen= (default: the user's first), 404 outside the user's scope."""
    code = request.values.get("canteen")
    if not code:
        canteens = user_canteens()
        if not canteens:
            abort(404)
        return canteens[0]
    canteen = canteen_by_code(db.session, code)
    # Out of scope is a 404 like an unknown code, so a URL reveals nothing about other canteens.
    if canteen is None or not can_access_canteen(current_user, canteen):
        abort(404)
    return canteen


def _day_from_args() -> date:
    raw = request.values.get("day", "").strip()
    # A link or bookmark without a day opens today's page.
    if not raw:
        return local_today(_settings().zone)
    # A day that is given but wrong is refused, never replaced by today: a save would land on the wrong day.
    # Strict and bounded, so ?day=0001-01-01 cannot reach "the day before" arithmetic and overflow.
    errors = FieldErrors()
    day = parse_day(raw, errors, "day")
    if day is None:
        raise UnsafeInput("day", errors["day"])
    return day


def _month_from_args() -> date:
    raw = request.values.get("month", "").strip()
    if not raw:
        return month_start(local_today(_settings().zone))
    try:
        return parse_month(raw)
    except ValueError:
        raise UnsafeInput("month", _("expected YYYY-MM")) from None


def _english() -> bool:
    return str(get_locale()).startswith("en")


def _can_edit() -> bool:
    return has_permission(current_user, "ledger.edit")


def _form_first(name: str, default: str = "") -> str:
    """A value from the posted form, else the query string (``request.values`` prefers the query string)."""
    return request.form.get(name) or request.args.get(name) or default


def _service_error_text(error: ServiceError) -> str:
    details = "; ".join(f"{key}: {text}" for key, text in error.fields.items())
    return f"{error.message}: {details}" if details else error.message


@dataclass
class Cell:
    """One meal-stream cell of the daily grid."""

    meal: str
    stream: str
    entries: list[WasteEntry] = field(default_factory=list)
    yesterday_g: int | None = None
    week_ago_g: int | None = None
    low_g: int | None = None
    high_g: int | None = None
    value: str = ""
    error: str = ""
    warning: str = ""

    @property
    def total_g(self) -> int | None:
        """The cell's current total, None when nothing was entered."""
        return sum(entry.weight_g for entry in self.entries) if self.entries else None

    @property
    def editable(self) -> bool:
        """Cells holding several weighings or a dish are corrected entry by entry on the cell page."""
        return len(self.entries) <= 1 and not any(entry.dish_id for entry in self.entries)

    @property
    def state(self) -> str:
        """What the cell holds, as the form carries it back: "" (empty) or "<entry id>.<revision>"."""
        if not self.entries:
            return ""
        # Several weighings (or a dish) are no single value the grid could have shown in a field.
        if not self.editable:
            return "several"
        entry = self.entries[0]
        return f"{entry.id}.{len(entry.revisions)}"


# The daily form carries, beside each field, the state the page showed (hidden "s-<meal>-<stream>" and
# "ds-<meal>" fields). Saving compares it with the state now: a cell someone else saved in between is a
# conflict (409), never silently doubled or overwritten. A field the user left as the page showed it is no
# change, even if the cell changed meanwhile. Revisions are never rewritten, so a state names one value.
STATE_UNKNOWN = -1


def _grams_at(state: str) -> int | None:
    """The weight a cell showed in ``state`` (None: empty); STATE_UNKNOWN for a state that names nothing."""
    if state == "":
        return None
    entry_id, _dot, number = state.partition(".")
    if not (entry_id.isdigit() and number.isdigit()) or len(state) > 40:
        return STATE_UNKNOWN
    grams = db.session.scalar(select(WasteEntryRevision.weight_g).where(
        WasteEntryRevision.entry_id == int(entry_id), WasteEntryRevision.number == int(number)))
    return STATE_UNKNOWN if grams is None else grams


def _count_at(row: DinerCount | None, state: str) -> int | None:
    """The diner count a meal showed in ``state`` ("" or its revision number); STATE_UNKNOWN if none."""
    if state == "":
        return None
    if row is None or not state.isdigit() or not 1 <= int(state) <= len(row.revisions):
        return STATE_UNKNOWN
    return row.revisions[int(state) - 1].count


def _count_state(row: DinerCount | None) -> str:
    return str(len(row.revisions)) if row is not None else ""


def _build_grid(canteen: Canteen, day: date,
                unit_grams: int) -> tuple[list[Any], dict[tuple[str, str], Cell], dict[str, DinerCount]]:
    settings = _settings()
    config = settings.canteen(canteen.code)
    meals = settings.meals_of(config) if config else settings.meals
    # Voided entries are history, not values: the grid shows only what counts.
    entries = db.session.scalars(select(WasteEntry).where(
        WasteEntry.canteen_id == canteen.id, WasteEntry.day == day, WasteEntry.voided.is_(False))
        .order_by(WasteEntry.id)).all()
    yesterday = day_cells(db.session, canteen.id, day - timedelta(days=1))
    week_ago = day_cells(db.session, canteen.id, day - timedelta(days=7))
    history = cell_history(db.session, canteen, day, settings.ledger.outlier_weeks)
    factor = settings.ledger.outlier_factor
    cells: dict[tuple[str, str], Cell] = {}
    for meal in meals:
        for stream in settings.streams:
            key = (meal.code, stream.code)
            past = history.get(key, [])
            cell = Cell(meal.code, stream.code, yesterday_g=yesterday.get(key), week_ago_g=week_ago.get(key))
            # Fewer than three past values give no range worth warning about; the factor widens the range
            # both ways so that normal swings pass.
            if len(past) >= 3:
                cell.low_g, cell.high_g = int(min(past) / factor), int(max(past) * factor)
            cells[key] = cell
    for entry in entries:
        key = (entry.meal.code, entry.stream.code)
        # A meal the canteen no longer serves has no cell; its entries stay on the cell pages.
        if key in cells:
            cells[key].entries.append(entry)
    for cell in cells.values():
        if cell.total_g is not None:
            cell.value = _format_amount(cell.total_g, unit_grams)
    counts = {row.meal.code: row for row in db.session.scalars(select(DinerCount).where(
        DinerCount.canteen_id == canteen.id, DinerCount.day == day))}
    return meals, cells, counts


def _format_amount(grams: int, unit_grams: int) -> str:
    # Up to three decimals (whole grams when in kg), without trailing zeros, as a manager would type it.
    value = grams / unit_grams
    return f"{value:.3f}".rstrip("0").rstrip(".")


WeightPlan = list[tuple[str, Cell, int | None]]
# Per meal: the count to store and the revision the page showed (0: no count yet).
DinerPlan = list[tuple[str, int, int]]


def _since_loaded(cell: Cell, grams: int | None, unit_grams: int) -> str:
    """"plan" (unchanged since the page was loaded), "skip" (changed, but the user left the field as
    shown) or "conflict" (changed, and the user typed another value)."""
    loaded = request.form.get(f"s-{cell.meal}-{cell.stream}")
    # A post without states (an older page) is checked by the services' constraints alone.
    if loaded is None or loaded == cell.state:
        return "plan"
    if grams == _grams_at(loaded):
        # Not this user's change. The page shows the newer value from now on, so a later save keeps it.
        cell.value = _format_amount(cell.total_g, unit_grams) if cell.total_g is not None else ""
        return "skip"
    return "conflict"


def _plan_weights(cells: dict[tuple[str, str], Cell], settings: Any, unit: Any,
                  conflicts: list[str]) -> tuple[WeightPlan, int, bool]:
    """What the posted weights change (record, correct or void per cell), the bad-field count, any outlier.

    Cells changed by someone else since the page was loaded go to ``conflicts`` (as "meal stream" keys).
    """
    plan: WeightPlan = []
    errors, outliers = 0, False
    for cell in cells.values():
        name = f"w-{cell.meal}-{cell.stream}"
        # A field missing from the post (not merely empty) leaves its cell alone rather than voiding it.
        # A cell that became several weighings since the page was loaded is still checked below.
        if name not in request.form or not (cell.editable or f"s-{cell.meal}-{cell.stream}" in request.form):
            continue
        raw = request.form[name].strip()
        cell.value = raw
        grams = None
        if raw:
            field_errors = FieldErrors()
            grams = parse_weight_g(raw, unit.code, settings, field_errors)
            if grams is None:
                cell.error = next(iter(field_errors.values()))
                errors += 1
                continue
        since = _since_loaded(cell, grams, unit.grams)
        if since == "conflict":
            conflicts.append(f"{cell.meal} {cell.stream}")
        if since != "plan" or not cell.editable:
            continue
        current = cell.entries[0] if cell.entries else None
        if grams is None:
            if current is not None:
                plan.append(("void", cell, None))
            continue
        # The form posts every cell again; an unchanged value is no change.
        if current is not None and grams == current.weight_g:
            continue
        # Far from the last weeks' range is usually a typo (kg typed as g); ask once rather than refuse.
        if cell.low_g is not None and cell.high_g is not None and not (cell.low_g <= grams <= cell.high_g):
            cell.warning = _("far outside the last %(weeks)s weeks (%(low)s-%(high)s %(unit)s)",
                             weeks=settings.ledger.outlier_weeks,
                             low=_format_amount(cell.low_g or 0, unit.grams),
                             high=_format_amount(cell.high_g, unit.grams), unit=unit.code)
            outliers = True
        plan.append(("correct" if current else "record", cell, grams))
    return plan, errors, outliers


def _plan_diners(meals: list[Any], counts: dict[str, Any], diner_values: dict[str, str],
                 diner_errors: dict[str, str], conflicts: list[str]) -> tuple[DinerPlan, int]:
    """What the posted diner counts change, and the number of bad fields; changed ones go to ``conflicts``."""
    plan: DinerPlan = []
    errors = 0
    for meal in meals:
        if f"d-{meal.code}" not in request.form:
            continue
        raw = request.form[f"d-{meal.code}"].strip()
        diner_values[meal.code] = raw
        stored = counts.get(meal.code)
        count = None
        if raw:
            count_errors = FieldErrors()
            count = parse_count(raw, count_errors)
            if count is None:
                diner_errors[meal.code] = next(iter(count_errors.values()))
                errors += 1
                continue
        loaded = request.form.get(f"ds-{meal.code}")
        if loaded is not None and loaded != _count_state(stored):
            if count == _count_at(stored, loaded):
                # Left as the page showed it; the newer count is shown from now on.
                diner_values[meal.code] = str(stored.count) if stored is not None else ""
            else:
                conflicts.append(f"diners {meal.code}")
            continue
        if count is None:
            # Counts are revised, never removed: an empty field would silently drop the per-diner figures.
            if stored is not None:
                diner_errors[meal.code] = _("a stored count cannot be emptied; enter the right number")
                errors += 1
        elif stored is None or stored.count != count:
            plan.append((meal.code, count, len(stored.revisions) if stored is not None else 0))
    return plan, errors


class _Stale(Exception):
    """A planned change found its cell or count changed by another transaction; ``key`` names which."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _apply_daily_plan(settings: Any, canteen: Any, day: date, plan: WeightPlan, diner_plan: DinerPlan,
                      reason: str) -> None:
    """Store every planned change through the ledger services; the caller commits once (all or nothing)."""
    # A closed month is refused as such (409 in words) before any cell could be mistaken for a stale one.
    hold_month(db.session, canteen.id, day)
    for kind, cell, grams in plan:
        current = cell.entries[0] if cell.entries else None
        # Each change says what it was planned against (empty, or the revision shown); the services refuse
        # it with a Conflict when another transaction changed the cell in between.
        try:
            # The plan holds grams already converted from the page's unit, so they go on as "g".
            if kind == "record":
                record_entry(db.session, settings, current_user, {
                    "canteen": canteen.code, "date": day, "meal": cell.meal, "stream": cell.stream,
                    "weight": grams, "unit": "g"}, expect_empty=True)
            elif kind == "correct" and current is not None:
                correct_entry(db.session, settings, current_user, current.id, weight=grams, unit="g",
                              reason=reason, expected_revision=len(current.revisions))
            elif current is not None:
                void_entry(db.session, current_user, current.id, reason,
                           expected_revision=len(current.revisions))
        except Conflict as error:
            raise _Stale(f"{cell.meal} {cell.stream}") from error
    for meal_code, count, revision in diner_plan:
        try:
            set_diner_count(db.session, settings, current_user, canteen=canteen.code, day=day, meal=meal_code,
                            count=count, reason=reason, source="web", require_reason=True,
                            expected_revision=revision)
        except Conflict as error:
            raise _Stale(f"diners {meal_code}") from error


@dataclass
class DailyForm:
    """The daily grid of one canteen-day and what a post of it planned, found wrong or found changed."""

    canteen: Canteen
    day: date
    unit: Any
    meals: list[Any]
    cells: dict[tuple[str, str], Cell]
    counts: dict[str, DinerCount]
    diner_values: dict[str, str] = field(default_factory=dict)
    diner_errors: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    reason_error: str = ""
    outliers: bool = False
    plan: WeightPlan = field(default_factory=list)
    diner_plan: DinerPlan = field(default_factory=list)
    errors: int = 0

    @classmethod
    def load(cls, canteen: Canteen, day: date, unit: Any) -> "DailyForm":
        """The grid as stored now."""
        meals, cells, counts = _build_grid(canteen, day, unit.grams)
        values = {meal.code: str(counts[meal.code].count) if meal.code in counts else "" for meal in meals}
        return cls(canteen, day, unit, meals, cells, counts, values)

    def plan_post(self, settings: Any, reason: str) -> None:
        """Plan every posted change and find every bad field and every changed cell, storing nothing."""
        self.plan, self.errors, self.outliers = _plan_weights(self.cells, settings, self.unit, self.conflicts)
        self.diner_plan, diner_errors = _plan_diners(self.meals, self.counts, self.diner_values,
                                                     self.diner_errors, self.conflicts)
        self.errors += diner_errors
        # A change to a saved value is a revision, and a revision always says why.
        changes_existing = (any(kind != "record" for kind, _c, _g in self.plan)
                            or any(revision for *_x, revision in self.diner_plan))
        if changes_existing and not reason:
            self.reason_error = _("say why saved values change")
            self.errors += 1

    def mark_conflicts(self) -> None:
        """Show each changed cell's value now, with what happened, in place of what was typed over it."""
        for key in self.conflicts:
            kind, _space, code = key.partition(" ")
            if kind == "diners":
                row = self.counts.get(code)
                self.diner_values[code] = str(row.count) if row is not None else ""
                self.diner_errors[code] = _("someone else changed this count while you were editing; it is "
                                            "shown as it is now")
                continue
            cell = self.cells[(kind, code)]
            now = _format_amount(cell.total_g, self.unit.grams) if cell.total_g is not None else ""
            cell.error = (_("someone else saved %(now)s %(unit)s here while you were editing (you entered "
                            "%(yours)s)", now=now, unit=self.unit.code, yours=cell.value or "–")
                          if now else _("someone else emptied this cell while you were editing"))
            cell.value = now

    def conflict_names(self) -> list[str]:
        """The changed fields as the user sees them (e.g. "Lunch · Plate waste")."""
        english = _english()
        meals = {meal.code: meal.name_en if english else meal.name_zh for meal in self.meals}
        streams = {stream.code: stream.name_en if english else stream.name_zh
                   for stream in _settings().streams}
        names = []
        for key in self.conflicts:
            kind, _space, code = key.partition(" ")
            names.append(f"{meals[code]} · {_('Diner count')}" if kind == "diners"
                         else f"{meals[kind]} · {streams[code]}")
        return names


def _save_daily(settings: Any, form: DailyForm, reason: str) -> tuple[DailyForm, Any, int]:
    """Store a planned post in one commit; (the form to show, a redirect or None, the status)."""
    try:
        _apply_daily_plan(settings, form.canteen, form.day, form.plan, form.diner_plan, reason)
        db.session.commit()
    except _Stale as stale:
        db.session.rollback()
        # Another transaction changed a cell between this post's reading and writing. Nothing was stored;
        # the grid is read again and the post planned against it, which names every changed field.
        fresh = DailyForm.load(form.canteen, form.day, form.unit)
        fresh.plan_post(settings, reason)
        if stale.key not in fresh.conflicts:
            fresh.conflicts.append(stale.key)
        return _refuse_conflicts(fresh), None, 409
    except ServiceError as error:
        db.session.rollback()
        flash(_("Nothing was saved: %(error)s", error=_service_error_text(error)), "error")
        # A closed month or a lost race is a conflict with what is stored, not a bad field.
        return form, None, 409 if isinstance(error, Conflict) else 422
    flash(_("Saved %(count)s change(s).", count=len(form.plan) + len(form.diner_plan)), "success")
    # Redirect after a save, so reloading the page cannot post the same changes again.
    return form, redirect(url_for(".daily_page", canteen=form.canteen.code, day=form.day.isoformat(),
                                  unit=form.unit.code)), 302


def _refuse_conflicts(form: DailyForm) -> DailyForm:
    form.mark_conflicts()
    flash(_("Nothing was saved: someone else changed %(fields)s while you were editing. The values now "
            "stored are shown there; check them and save again.", fields=", ".join(form.conflict_names())),
          "error")
    return form


def _post_daily(settings: Any, form: DailyForm) -> tuple[DailyForm, Any, int]:
    """Plan a post, then refuse it (409 changed cells, 422 bad fields), report no change or save it."""
    reason = request.form.get("reason", "").strip()
    form.plan_post(settings, reason)
    # Refuse with every problem named and store nothing, or store everything in one commit.
    if form.conflicts:
        return _refuse_conflicts(form), None, 409
    if form.errors or (form.outliers and request.form.get("confirm_outliers") != "1"):
        if form.outliers and not form.errors:
            flash(_("Some values are far outside the usual range. Check them, then confirm and save "
                    "again."), "warning")
        else:
            flash(_("Nothing was saved. Correct the marked fields: %(fields)s",
                    fields=", ".join(_bad_field_names(form.meals, form.cells, form.diner_errors,
                                                      form.reason_error))), "error")
        return form, None, 422
    if not form.plan and not form.diner_plan:
        flash(_("Nothing changed."), "info")
        return form, redirect(url_for(".daily_page", canteen=form.canteen.code, day=form.day.isoformat(),
                                      unit=form.unit.code)), 302
    return _save_daily(settings, form, reason)


@bp.route("/daily", methods=["GET", "POST"])
@require("ledger.edit")
def daily_page() -> Any:
    """One canteen-day: a grid of meals by streams plus diner counts, saved all at once or not at all."""
    settings = _settings()
    canteen = _canteen_from_args()
    day = _day_from_args()
    unit = settings.unit(_form_first("unit", "kg")) or settings.units[0]
    form = DailyForm.load(canteen, day, unit)
    status = 200
    if request.method == "POST":
        form, done, status = _post_daily(settings, form)
        if done is not None:
            return done
    return render_template(
        "ledger/daily.html", canteen=canteen, canteens=user_canteens(), day=day, unit=unit, meals=form.meals,
        streams=settings.streams, cells=form.cells, diner_values=form.diner_values,
        diner_errors=form.diner_errors, diner_states={meal.code: _count_state(form.counts.get(meal.code))
                                                      for meal in form.meals},
        reason_error=form.reason_error, outliers=form.outliers, fmt=lambda g: _format_amount(g, unit.grams),
        today=local_today(settings.zone), timedelta=timedelta, units=settings.units,
        outlier_weeks=settings.ledger.outlier_weeks,
        reason=request.form.get("reason", "")), status


def _bad_field_names(meals: list[Any], cells: dict[tuple[str, str], Cell], diner_errors: dict[str, str],
                     reason_error: str) -> list[str]:
    """The names of the fields that failed, as the user sees them (e.g. "Lunch · Plate waste")."""
    english = _english()
    streams = {stream.code: stream for stream in _settings().streams}
    names = []
    for meal in meals:
        meal_name = meal.name_en if english else meal.name_zh
        for cell in cells.values():
            if cell.meal == meal.code and cell.error:
                stream = streams[cell.stream]
                names.append(f"{meal_name} · {stream.name_en if english else stream.name_zh}")
        if meal.code in diner_errors:
            names.append(f"{meal_name} · {_('Diner count')}")
    if reason_error:
        names.append(_("Reason"))
    return names


@bp.route("/month")
@require("ledger.view")
def month_page() -> Any:
    """The monthly ledger (台账): a row per day, totals, per-diner figures, MoM and YoY."""
    return render_month_page(_canteen_from_args(), _month_from_args())


def render_month_page(canteen: Canteen, month: date, status: int = 200) -> Any:
    """The monthly ledger page of a canteen's month, with its sign-off state, answered with ``status``."""
    ledger = month_ledger(db.session, _settings(), canteen, month)
    # A comparison with a month that has gaps says so, or its drop would look like a real one.
    previous_incomplete = ledger.previous.missing_slots > 0 or not ledger.complete
    # A previous month without any entry gives no change at all, rather than a rise of 100 %.
    mom_text = change_sentence("mom", ledger.mom_change_g if ledger.previous.has_entries else None,
                               ledger.mom_change_pct, previous_incomplete)
    yoy_text = change_sentence("yoy", ledger.yoy_change_g, ledger.yoy_change_pct,
                               bool(ledger.last_year and ledger.last_year.missing_slots)
                               or not ledger.complete)
    settings = _settings()
    return render_template(
        "ledger/month.html", ledger=ledger, canteen=canteen, canteens=user_canteens(), month=month,
        meals={meal.code: meal for meal in settings.meals}, streams={s.code: s for s in settings.streams},
        mom_text=mom_text, yoy_text=yoy_text, prev_month=add_months(month, -1),
        next_month=add_months(month, 1),
        season=settings.season_of(month.month), can_edit=_can_edit(),
        meal_has_weights=lambda row, meal: any(key[0] == meal for key in row.cells),
        month_column_g=ledger.column_g, month_diners=ledger.diners_of,
        signoff=month_signoff(db.session, canteen, month), zone=settings.zone,
        month_over=local_today(settings.zone) > month_end(month)), status


@bp.route("/month.xlsx")
@require("ledger.view")
def month_xlsx() -> Any:
    """The printable ledger as an Excel download."""
    canteen = _canteen_from_args()
    month = _month_from_args()
    ledger = month_ledger(db.session, _settings(), canteen, month)
    content = ledger_workbook_bytes(ledger, _settings(), english=_english(),
                                    signoff=month_signoff(db.session, canteen, month))
    return send_file(BytesIO(content), as_attachment=True,
                     download_name=f"ledger-{canteen.code}-{month:%Y-%m}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/cell")
@require("ledger.view")
def cell_page() -> Any:
    """Every entry of one canteen-day-meal-stream with its full revision history."""
    canteen = _canteen_from_args()
    day = _day_from_args()
    meal = db.session.scalar(select(Meal).where(Meal.code == request.args.get("meal", "")))
    stream = db.session.scalar(select(Stream).where(Stream.code == request.args.get("stream", "")))
    if meal is None or stream is None:
        abort(404)
    return _render_cell(canteen, day, meal, stream)


def _render_cell(canteen: Canteen, day: date, meal: Meal, stream: Stream, status: int = 200) -> Any:
    # Voided entries too: this page is where a cell's full history is read.
    entries = db.session.scalars(select(WasteEntry).where(
        WasteEntry.canteen_id == canteen.id, WasteEntry.day == day, WasteEntry.meal_id == meal.id,
        WasteEntry.stream_id == stream.id).order_by(WasteEntry.id)).all()
    settings = _settings()
    return render_template("ledger/cell.html", canteen=canteen, day=day, meal=meal, stream=stream,
                           entries=entries, meal_cfg={m.code: m for m in settings.meals}[meal.code],
                           stream_cfg={s.code: s for s in settings.streams}[stream.code],
                           units=settings.units, can_edit=_can_edit()), status


def _entry_or_404(entry_id: int) -> WasteEntry:
    """The entry, or a 404 when it does not exist or lies outside the user's canteens."""
    try:
        return get_entry(db.session, current_user, entry_id)
    except NotFound:
        abort(404)


def _back_to_cell(entry: WasteEntry) -> Any:
    return redirect(url_for(".cell_page", canteen=entry.canteen.code, day=entry.day.isoformat(),
                            meal=entry.meal.code, stream=entry.stream.code))


def _posted_revision() -> int | None:
    """The revision the correction form was loaded at (None from a form without one)."""
    raw = request.form.get("revision", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _change_entry(entry_id: int, change: Any, done: str) -> Any:
    """Apply a correction or void from the cell page; a change made meanwhile by someone else is a 409."""
    entry = _entry_or_404(entry_id)
    cell = (entry.canteen, entry.day, entry.meal, entry.stream)
    try:
        change(entry)
        db.session.commit()
        flash(done, "success")
    except Conflict as error:
        db.session.rollback()
        # The page is shown again as it is now, with the other person's revision, instead of a redirect
        # that would hide that this save was refused.
        flash(_("Nothing was saved: %(error)s", error=error.message), "error")
        return _render_cell(*cell, status=409)
    except ServiceError as error:
        db.session.rollback()
        flash(_("Nothing was saved: %(error)s", error=_service_error_text(error)), "error")
    return _back_to_cell(entry)


@bp.route("/entries/<int:entry_id>/correct", methods=["POST"])
@require("ledger.edit")
def correct_page(entry_id: int) -> Any:
    """Correct an entry's weight: a new revision with the reason."""
    return _change_entry(entry_id, lambda entry: correct_entry(
        db.session, _settings(), current_user, entry.id, weight=request.form.get("weight"),
        unit=request.form.get("unit", "kg"), reason=request.form.get("reason"),
        expected_revision=_posted_revision()),
        _("Correction saved; the previous value stays in the history."))


@bp.route("/entries/<int:entry_id>/void", methods=["POST"])
@require("ledger.edit")
def void_page(entry_id: int) -> Any:
    """Void an entry with a reason."""
    return _change_entry(entry_id, lambda entry: void_entry(
        db.session, current_user, entry.id, request.form.get("reason"), expected_revision=_posted_revision()),
        _("The entry was voided; it stays in the history."))


@bp.route("/diners")
@require("ledger.view")
def diner_history_page() -> Any:
    """The revisions of one meal's diner count."""
    canteen = _canteen_from_args()
    day = _day_from_args()
    row = db.session.scalar(select(DinerCount).join(Meal, Meal.id == DinerCount.meal_id).where(
        DinerCount.canteen_id == canteen.id, DinerCount.day == day,
        Meal.code == request.args.get("meal", "")))
    if row is None:
        abort(404)
    return render_template("ledger/diners.html", canteen=canteen, day=day, row=row,
                           meal_cfg={m.code: m for m in _settings().meals}[row.meal.code])


@bp.route("/disposals", methods=["GET", "POST"])
@require("ledger.view")
def disposals_page() -> Any:
    """Hand-overs to haulers and the composter, against the ledger's totals."""
    canteen = _canteen_from_args()
    month = _month_from_args()
    settings = _settings()
    form_errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        # Every ledger reader may open this page; only editors may post to it.
        if not _can_edit():
            abort(403)
        try:
            if request.form.get("action") == "void":
                # A tampered id (text, beyond the database's integer range) is a 404, not a 500.
                disposal_id = as_id(request.form.get("id"))
                if disposal_id is None:
                    abort(404)
                void_disposal(db.session, current_user, disposal_id, request.form.get("reason"))
            else:
                data = {key: request.form.get(key) for key in (
                    "date", "receiver_kind", "receiver", "manifest_no", "waste_type", "weight", "unit",
                    "note")}
                # The canteen is the page's (already scope-checked), never a posted field.
                data["canteen"] = canteen.code
                record_disposal(db.session, settings, current_user, data)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".disposals_page", canteen=canteen.code, month=f"{month:%Y-%m}"))
        except NotFound:
            # An unknown or out-of-scope disposal is a missing page, not a form error.
            db.session.rollback()
            abort(404)
        except ServiceError as error:
            db.session.rollback()
            form_errors = error.fields or {"reason": error.message}
            flash(_("Nothing was saved: %(error)s", error=_service_error_text(error)), "error")
            status = 422
    ledger = month_ledger(db.session, settings, canteen, month)
    # A failed void shows its error next to the row it was about.
    void_id = request.form.get("id", "") if request.form.get("action") == "void" else ""
    return render_template("ledger/disposals.html", canteen=canteen, canteens=user_canteens(), month=month,
                           disposals=list_disposals(db.session, canteen.id, month, month_end(month)),
                           ledger=ledger, form_errors=form_errors, form=request.form, units=settings.units,
                           can_edit=_can_edit(), void_id=void_id, today=local_today(settings.zone)), status


@bp.route("/import", methods=["GET", "POST"])
@require("ledger.import")
def import_page() -> Any:
    """Upload a historical ledger (.xlsx or .csv); every row is checked before anything is stored."""
    from canteen.core.tabular import ImportFailed
    from canteen.ledger.importer import import_ledger_file

    problems = []
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(_("Choose a file to import."), "error")
            status = 422
        else:
            try:
                # Reading it whole is safe: MAX_CONTENT_LENGTH has already bounded the request.
                result = import_ledger_file(db.session, _settings(), current_user, upload.filename,
                                            upload.read())
                db.session.commit()
                flash(_("Imported %(entries)s entries and %(counts)s diner counts (%(skipped)s rows were "
                        "already imported).", entries=result.entries, counts=result.diner_counts,
                        skipped=result.skipped), "success")
                return redirect(url_for(".import_page"))
            except ImportFailed as failed:
                # All rows or none: whatever was stored before a row failed is dropped.
                db.session.rollback()
                problems = failed.problems
                flash(_("Nothing was imported: %(count)s problem(s) found.", count=len(problems)), "error")
                status = 422
            except ServiceError as error:
                db.session.rollback()
                flash(error.message, "error")
                status = 422
    return render_template("ledger/import.html", problems=problems), status
