"""Import of historical ledgers from Excel or CSV: every row is checked, then all are stored or none."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """What is wrong with one row (1-based, as a spreadsheet numbers it)."""

    row: int
    field: str
    message: str


@dataclass(frozen=True)
class ImportResult:
    """How many rows became entries and diner counts, and how many were already imported."""

    entries: int
    diner_counts: int
    skipped: int


class ImportFailed(Exception):
    """At least one row is wrong; nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems
