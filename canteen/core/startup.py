"""Start-up tasks: what a feature wants done each time the service starts serving, kept per app."""
from __future__ import annotations

from typing import Callable

from flask import Flask

_KEY = "canteen_startup"


def add_startup_task(app: Flask, task: Callable[[], None]) -> None:
    """Run ``task`` (inside the app context) when ``canteen serve`` starts, before the first request."""
    app.extensions.setdefault(_KEY, []).append(task)


def run_startup_tasks(app: Flask) -> None:
    """Run the app's start-up tasks in the order the features added them."""
    for task in app.extensions.get(_KEY, []):
        task()
