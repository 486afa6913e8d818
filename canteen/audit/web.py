"""The audit pages: the journal of who changed what, when, and each history check with its findings."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from canteen.audit.journal import FILTERS, PER_PAGE, JournalFilter, filter_labels, journal
from canteen.audit.models import ChainCheck
from canteen.audit.verify import breaks_of
from canteen.audit.words import Names, break_words, local_time
from canteen.config import AppConfig
from canteen.core.guard import require
from canteen.core.errors import FieldErrors
from canteen.core.timeutil import parse_month
from canteen.core.validation import parse_int
from canteen.extensions import db
from canteen.reference.models import Canteen
from canteen.reference.scope import user_canteens

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _settings() -> AppConfig:
    return current_app.config["SETTINGS"]


def _wanted(canteens: list[Canteen]) -> JournalFilter:
    """The filter from the query string; a value that names nothing known is ignored (shows everything)."""
    by_code = {canteen.code: canteen for canteen in canteens}
    canteen = by_code.get(request.args.get("canteen", ""))
    try:
        month = parse_month(request.args.get("month", ""))
    except ValueError:
        month = None
    kind = request.args.get("kind", "")
    return JournalFilter(canteen.id if canteen else None, month, kind if kind in FILTERS else "")


def _page() -> int:
    # A page number a person could not have clicked (0, text, a huge one) shows the first page.
    # parse_int, not int(): "²" passes isdigit() and 5000 digits are more than int() converts.
    return parse_int(request.args.get("page", ""), FieldErrors(), "page", minimum=1, maximum=100_000) or 1


@bp.route("/")
@require("audit.view")
def journal_page() -> Any:
    """Who did what, when: ledger revisions, diner counts, sign-offs, assessments, decisions and checks."""
    canteens = user_canteens()
    wanted = _wanted(canteens)
    page = _page()
    # Admins and the discipline office are not limited to canteens, so the filter offers every active one.
    lines, total = journal(db.session, _settings(), wanted, page)
    pages = max(1, -(-total // PER_PAGE))
    chosen = next((canteen.code for canteen in canteens if canteen.id == wanted.canteen_id), "")
    return render_template("audit/journal.html", lines=lines, total=total, page=page, pages=pages,
                           canteens=canteens, chosen=chosen, wanted=wanted, kinds=filter_labels())


@bp.route("/checks/<int:check_id>")
@require("audit.view")
def check_page(check_id: int) -> Any:
    """One history check: when, what it covered, and each break it found, in words."""
    check = db.session.scalar(select(ChainCheck).where(ChainCheck.id == check_id))
    if check is None:
        abort(404)
    names = Names(db.session, _settings())
    findings = [break_words(names, finding) for finding in breaks_of(check)]
    return render_template("audit/check.html", check=check, findings=findings,
                           when=local_time(check.finished_at, _settings().zone))
