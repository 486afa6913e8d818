"""What the dashboard says about the history checks: a failed newest check, for those who may act on it."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from canteen.audit.models import ChainCheck
from canteen.audit.verify import breaks_of, latest_check
from canteen.audit.words import Names, break_words
from canteen.config import AppConfig


@dataclass(frozen=True)
class ChainAlert:
    """A failed check, with its first findings in words."""

    check: ChainCheck
    first: list[str]


def chain_alert(session: Session, settings: AppConfig, examples: int = 3) -> ChainAlert | None:
    """The newest check when it found breaks, else None."""
    check = latest_check(session)
    # Only the newest check counts: a failure fixed and checked again leaves the dashboard.
    if check is None or check.ok:
        return None
    names = Names(session, settings)
    first = []
    for finding in breaks_of(check)[:examples]:
        words = break_words(names, finding)
        first.append(f"{words.where}: {words.what}")
    return ChainAlert(check, first)
