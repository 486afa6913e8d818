"""Food-waste ledger, caterer assessment and tray-return review for office canteens.

The package root stays free of Flask so that Flask-free processes (the camera worker)
can import ``canteen.config`` without pulling in the web stack.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask


def create_app(config: Mapping[str, Any] | None = None) -> "Flask":
    """Build the Flask application (see :func:`canteen.app.create_app`)."""
    from canteen.app import create_app as build

    return build(config)
