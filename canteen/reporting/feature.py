"""The reporting feature: dashboard, report and job-run pages, and the ``report``/``scheduler`` commands.

The commands live in the ``reports`` package (the report engine and the scheduler, which runs as its own
process and must not need these pages); they are this feature's command-line face, so this init_app registers
them and ``reports`` has no init_app of its own.
"""
from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _

from canteen.core.menu import add_menu_entry
from canteen.reporting.web import bp
from reports.cli import COMMANDS


def init_app(app: Flask) -> None:
    """Register the reporting pages, menu entries and the report and scheduler commands."""
    app.register_blueprint(bp)
    for command in COMMANDS:
        app.cli.add_command(command)
    add_menu_entry(app, lambda: _("Dashboard"), "reporting.dashboard", None, 40)
    add_menu_entry(app, lambda: _("Reports"), "reporting.reports_page", "reports.view", 41)
    add_menu_entry(app, lambda: _("Job runs"), "reporting.job_runs", "jobs.view", 48)
