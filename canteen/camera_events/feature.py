"""Camera events: the API the camera worker posts events, media and heartbeats to."""
from __future__ import annotations

from flask import Flask

from canteen.api.base import register_api
from canteen.camera_events import api
from canteen.camera_events.cli import reconcile_evidence_command, startup_reconcile
from canteen.core.startup import add_startup_task


def init_app(app: Flask) -> None:
    """Register the camera API routes, the evidence reconciliation command and its start-up run."""
    register_api(app, api.bp, api.SCHEMAS)
    app.cli.add_command(reconcile_evidence_command)
    add_startup_task(app, startup_reconcile)
