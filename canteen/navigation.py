"""The menu: each feature registers its entries when its blueprint is registered."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class NavEntry:
    """A menu link shown to users whose role grants ``permission`` (None: everyone logged in)."""

    label: Callable[[], str]
    endpoint: str
    permission: str | None
    order: int


NAV_ENTRIES: list[NavEntry] = []


def register_nav(label: Callable[[], str], endpoint: str, permission: str | None, order: int) -> None:
    """Add a menu entry once; ``label`` is called per request so it follows the user's language."""
    if all(entry.endpoint != endpoint for entry in NAV_ENTRIES):
        NAV_ENTRIES.append(NavEntry(label, endpoint, permission, order))
        NAV_ENTRIES.sort(key=lambda entry: entry.order)
