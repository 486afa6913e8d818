"""The monthly ledger page's sign-off buttons: sign as preparer, review and close, reopen with a reason."""
from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from canteen.core.errors import ServiceError
from canteen.core.guard import require
from canteen.extensions import db
from canteen.ledger.signoff import MonthSignoff, close_month, prepare_month, reopen_month
from canteen.ledger.web import _canteen_from_args, _month_from_args, render_month_page

bp = Blueprint("ledger_signoff", __name__, url_prefix="/ledger/month")


def _field_word(key: str) -> str:
    words = {"reason": _("Reason"), "month": _("Month"), "canteen": _("Canteen")}
    return words.get(key, key)


def _refusal_text(error: ServiceError) -> str:
    """The refusal in words: a bad field by its label (e.g. "理由：必填"), else the service's sentence."""
    # A wrong field says what to fix; a refused state (closed, not prepared) is the service's sentence alone,
    # since its field note only repeats it.
    if error.status == 422 and error.fields:
        details = "; ".join(_("%(field)s: %(message)s", field=_field_word(key), message=text)
                            for key, text in error.fields.items())
        return _("Nothing was signed: %(error)s", error=details)
    return _("Nothing was signed: %(error)s", error=error.message)


def _act(action: Callable[..., MonthSignoff], done: str, **extra: Any) -> Any:
    """Run a sign-off service for the posted canteen and month; back to the month page either way."""
    # The same readers as the month page: an unknown or out-of-scope canteen is a 404 before anything else.
    canteen, month = _canteen_from_args(), _month_from_args()
    try:
        action(db.session, current_app.config["SETTINGS"], current_user._get_current_object(), canteen.code,
               f"{month:%Y-%m}", **extra)
        db.session.commit()
    except ServiceError as error:
        db.session.rollback()
        flash(_refusal_text(error), "error")
        # The page again, with the refusal in words and its status (403 second person, 409 state, 422 reason).
        return render_month_page(canteen, month, error.status)
    flash(done, "success")
    # 303: reloading the page afterwards must not post the signature again.
    return redirect(url_for("ledger.month_page", canteen=canteen.code, month=f"{month:%Y-%m}"), 303)


@bp.post("/prepare")
@require("ledger.prepare")
def prepare() -> Any:
    """Sign the month as preparer (填表人)."""
    return _act(prepare_month, _("Signed as preparer; the month now awaits the reviewer."))


@bp.post("/close")
@require("ledger.review")
def close() -> Any:
    """Review and close the month (复核人)."""
    return _act(close_month, _("Reviewed and closed; the ledger of this month can no longer change."))


@bp.post("/reopen")
@require("ledger.reopen")
def reopen() -> Any:
    """Reopen a closed month with a reason."""
    return _act(reopen_month, _("Reopened; the reason is kept in the history."),
                reason=request.form.get("reason"))
