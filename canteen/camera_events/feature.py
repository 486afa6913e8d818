"""Camera events: the API the camera worker posts events, media and heartbeats to; camera states in words."""
from __future__ import annotations

from flask import Flask, current_app

from canteen.api.base import register_api
from canteen.camera_events import api
from canteen.camera_events.access import access_purpose_label, evidence_kind_label
from canteen.camera_events.cli import reconcile_evidence_command, startup_reconcile
from canteen.camera_events.status import CameraRow, alert_words, last_frame_words, state_label
from canteen.core.startup import add_startup_task


def _camera_alert_words(row: CameraRow) -> str:
    return alert_words(row, current_app.config["SETTINGS"].zone)


def _camera_last_frame_words(row: CameraRow) -> str:
    return last_frame_words(row, current_app.config["SETTINGS"].zone)


def init_app(app: Flask) -> None:
    """Register the camera API routes, the evidence reconciliation command and its start-up run, and the
    template helpers that put camera states and evidence access into words."""
    register_api(app, api.bp, api.SCHEMAS)
    app.cli.add_command(reconcile_evidence_command)
    add_startup_task(app, startup_reconcile)
    # Both the camera status page and the dashboard say a camera's state the same way.
    app.add_template_global(state_label, "camera_state_label")
    app.add_template_global(_camera_alert_words, "camera_alert_words")
    app.add_template_global(_camera_last_frame_words, "camera_last_frame_words")
    # The evidence access log is shown on the review pages and the ladder pages alike.
    app.add_template_global(access_purpose_label, "access_purpose_label")
    app.add_template_global(evidence_kind_label, "evidence_kind_label")
