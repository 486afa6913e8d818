"""The menu: a per-app registry that each feature's ``init_app`` adds its entries to."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from canteen.core.permissions import has_permission

_KEY = "canteen_menu"


@dataclass(frozen=True)
class MenuEntry:
    """A menu link shown to users whose role grants ``permission`` (None: everyone logged in)."""

    label: Callable[[], str]
    endpoint: str
    permission: str | None
    order: int


@dataclass
class Menu:
    """The app's menu entries, kept in order."""

    entries: list[MenuEntry] = field(default_factory=list)

    def add(self, entry: MenuEntry) -> None:
        """Add an entry once (a second entry for the same endpoint is ignored)."""
        if all(item.endpoint != entry.endpoint for item in self.entries):
            self.entries.append(entry)
            # The sort is stable: entries with the same order keep the order the features added them in.
            self.entries.sort(key=lambda item: item.order)


def menu_of(app: Flask) -> Menu:
    """The app's menu registry (created on first use)."""
    return app.extensions.setdefault(_KEY, Menu())


def add_menu_entry(app: Flask, label: Callable[[], str], endpoint: str, permission: str | None,
                   order: int) -> None:
    """Add a menu entry; ``label`` is called per request so that it follows the user's language."""
    menu_of(app).add(MenuEntry(label, endpoint, permission, order))


def nav_items() -> list[dict[str, Any]]:
    """The current app's menu entries that the current user's role may open."""
    return [{"label": entry.label(), "url": url_for(entry.endpoint),
             "active": request.endpoint == entry.endpoint}
            for entry in menu_of(current_app).entries
            if entry.permission is None or has_permission(current_user, entry.permission)]


def init_menu(app: Flask) -> None:
    """Give templates ``nav_items()`` through a context processor."""
    menu_of(app)

    @app.context_processor
    def _menu() -> dict[str, Any]:
        return {"nav_items": nav_items}
