"""API endpoints of the monthly sign-off: read a month's state, prepare, close and reopen it."""
from __future__ import annotations

from typing import Any, Callable

from flask import current_app, jsonify

from canteen.api.base import api_blueprint, api_user, canteen_and_month_args, json_body, require_api
from canteen.api.openapi import CODE, MONTH, document, param, text
from canteen.extensions import db
from canteen.ledger.signoff import (MonthSignoff, close_month, month_signoff, prepare_month, reopen_month,
                                    signoff_as_dict)

bp = api_blueprint("ledger_signoff_api", __name__)
SCHEMAS: dict[str, dict[str, Any]] = {
    "LedgerMonthInput": {
        "type": "object", "required": ["canteen", "month"],
        "properties": {"canteen": dict(CODE, example="zonghe"), "month": MONTH},
    },
    "LedgerMonthReopenInput": {
        "type": "object", "required": ["canteen", "month", "reason"],
        "properties": {"canteen": dict(CODE, example="zonghe"), "month": MONTH,
                       "reason": dict(text(500), minLength=1)},
    },
    "LedgerMonthState": {
        "type": "object",
        "properties": {
            "canteen": {"type": "string"}, "month": {"type": "string"},
            "state": {"type": "string", "enum": ["open", "prepared", "closed"]},
            "head_hash": {"type": "string", "description": "The month's chain head (SHA-256, hex)."},
            "prepared_by": {"type": "string", "nullable": True},
            "prepared_at": {"type": "string", "format": "date-time", "nullable": True},
            "reviewed_by": {"type": "string", "nullable": True},
            "closed_at": {"type": "string", "format": "date-time", "nullable": True},
            "reopened_by": {"type": "string", "nullable": True},
            "reopened_at": {"type": "string", "format": "date-time", "nullable": True},
            "reopen_reason": {"type": "string", "nullable": True},
            "last_action": {"type": "string", "nullable": True,
                            "description": "prepared, closed or reopened: the month's newest signature"},
        },
    },
}


def _act(action: Callable[..., MonthSignoff], *fields: str) -> Any:
    # The services check role, scope and fields; their errors become the API's JSON answers (403/409/422).
    data = json_body()
    signoff = action(db.session, current_app.config["SETTINGS"], api_user(), data.get("canteen"),
                     data.get("month"), **{field: data.get(field) for field in fields})
    db.session.commit()
    return jsonify(signoff_as_dict(signoff))


@bp.get("/ledger-months")
@document("get", "/ledger-months", "A canteen's month of ledger: open, prepared or closed, and by whom",
          query={"canteen": param("canteen code", CODE, required=True),
                 "month": param("YYYY-MM", MONTH, required=True)},
          responses={200: "LedgerMonthState"},
          tag="ledger")
def get_month_state() -> Any:
    """The sign-off state of a canteen's month."""
    # Every ledger reader may see whether a month is signed; only signing needs more.
    require_api("ledger.view")
    canteen, month = canteen_and_month_args()
    return jsonify(signoff_as_dict(month_signoff(db.session, canteen, month)))


@bp.post("/ledger-months/prepare")
@document("post", "/ledger-months/prepare", "Sign a finished month as preparer (填表人; manager or admin)",
          body="LedgerMonthInput", responses={200: "LedgerMonthState"}, tag="ledger")
def post_prepare() -> Any:
    """Sign as preparer; 409 when the month is not over, already prepared or closed."""
    return _act(prepare_month)


@bp.post("/ledger-months/close")
@document("post", "/ledger-months/close",
          "Review and close a prepared month (复核人; assessor or admin, not the preparer)",
          body="LedgerMonthInput", responses={200: "LedgerMonthState"}, tag="ledger")
def post_close() -> Any:
    """Close the month, recording its chain head; 403 for the preparer, 409 unless prepared."""
    return _act(close_month)


@bp.post("/ledger-months/reopen")
@document("post", "/ledger-months/reopen", "Reopen a closed month with a reason (assessor or admin)",
          body="LedgerMonthReopenInput", responses={200: "LedgerMonthState"}, tag="ledger")
def post_reopen() -> Any:
    """Reopen a closed month; the reason is required and chained."""
    return _act(reopen_month, "reason")
