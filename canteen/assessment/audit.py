"""The audit trail of contractors, assessments and spot checks: who did what, when, and what changed."""
from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment.models import AuditEntry
from canteen.auth.models import User
from canteen.db import utcnow


def _plain(value: Any) -> Any:
    # Dates as ISO text and anything else json cannot write (Decimal, ...) as its str: recording never fails.
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def record(session: Session, subject: str, subject_id: int, action: str, actor: User | None,
           at: datetime | None = None, **detail: Any) -> AuditEntry:
    """Append one audit entry (never updated or deleted)."""
    entry = AuditEntry(subject=subject, subject_id=subject_id, action=action,
                       actor_id=actor.id if actor else None, at=at or utcnow(),
                       detail=json.dumps(detail, ensure_ascii=False, default=_plain, sort_keys=True))
    # Part of the caller's transaction: the entry exists exactly when the change it describes does.
    session.add(entry)
    return entry


def history(session: Session, subject: str, subject_id: int) -> list[AuditEntry]:
    """The audit entries of one subject, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.subject == subject,
                                                         AuditEntry.subject_id == subject_id)
                                .order_by(AuditEntry.id)))


def detail_of(entry: AuditEntry) -> dict[str, Any]:
    """The JSON detail of an entry as a dict."""
    return json.loads(entry.detail or "{}")
