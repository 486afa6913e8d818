"""The audit journal: every chained change and every check run, newest first, in words.

The chain links are the journal: each carries who, when, which canteen and month, and the content that was
hashed, so the page needs no join with each feature's tables and shows what was recorded at the time.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Callable

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select, union_all
from sqlalchemy.orm import Session

from canteen.audit.models import ChainCheck
from canteen.audit.verify import where_of
from canteen.audit.words import Names, kg, local_time, value_text, where_text
from canteen.chain.models import ChainLink
from canteen.config import AppConfig
from canteen.core.timeutil import add_months
from canteen.offences.web import action_label

PER_PAGE = 50
# (source, row id, time) of a link or a check, the two halves of the journal's UNION.
Rows = Select[Any, int, datetime]
# The page's kind filter: its value in the URL and the link kinds it selects (checks are not links).
FILTERS: dict[str, tuple[str, ...]] = {
    "entries": ("waste_revision",), "diners": ("diner_revision",),
    "signoffs": ("month_prepared", "month_closed", "month_reopened"),
    "assessments": ("assessment_revision",), "escalations": ("escalation_action",), "checks": (),
}


def filter_labels() -> list[tuple[str, str]]:
    """The kind filter's choices in words."""
    return [("", _("Everything")), ("entries", _("Weighings")), ("diners", _("Diner counts")),
            ("signoffs", _("Month sign-offs")), ("assessments", _("Caterer assessments")),
            ("escalations", _("Escalation decisions")), ("checks", _("History checks"))]


@dataclass(frozen=True)
class JournalFilter:
    """What the page was asked to show."""

    canteen_id: int | None = None
    month: date | None = None
    kind: str = ""


@dataclass(frozen=True)
class JournalLine:
    """One row of the audit page, in words."""

    at: datetime
    when: str
    who: str
    what: str
    where: str
    detail: str
    sealed: bool = False
    check: ChainCheck | None = None


def _month_bounds(month: date, settings: AppConfig) -> tuple[datetime, datetime]:
    # A local month, as UTC instants: what happened in it by the canteens' calendar.
    start = datetime.combine(month, time(0), tzinfo=settings.zone).astimezone(timezone.utc)
    end = datetime.combine(add_months(month, 1), time(0), tzinfo=settings.zone).astimezone(timezone.utc)
    return start, end


def _link_rows(wanted: JournalFilter, settings: AppConfig) -> Rows | None:
    if wanted.kind == "checks":
        return None
    conditions: list[ColumnElement[bool]] = []
    if wanted.kind in FILTERS:
        conditions.append(ChainLink.kind.in_(FILTERS[wanted.kind]))
    if wanted.canteen_id is not None:
        conditions.append(ChainLink.canteen_id == wanted.canteen_id)
    if wanted.month is not None:
        start, end = _month_bounds(wanted.month, settings)
        # Ledger and assessment links belong to the month they concern; escalation decisions (no month)
        # to the month they were made in.
        conditions.append(or_(ChainLink.month == wanted.month,
                              and_(ChainLink.month.is_(None), ChainLink.at >= start, ChainLink.at < end)))
    return select(literal_column("'link'").label("source"), ChainLink.id.label("row_id"),
                  ChainLink.at.label("at")).where(*conditions)


def _check_rows(wanted: JournalFilter, settings: AppConfig) -> Rows | None:
    # Checks cover every canteen at once: a canteen filter or another kind leaves them out.
    if wanted.canteen_id is not None or wanted.kind not in ("", "checks"):
        return None
    query: Rows = select(literal_column("'check'").label("source"), ChainCheck.id.label("row_id"),
                         ChainCheck.finished_at.label("at"))
    if wanted.month is not None:
        start, end = _month_bounds(wanted.month, settings)
        query = query.where(ChainCheck.finished_at >= start, ChainCheck.finished_at < end)
    return query


def journal(session: Session, settings: AppConfig, wanted: JournalFilter, page: int,
            per_page: int = PER_PAGE) -> tuple[list[JournalLine], int]:
    """One page of the journal, newest first, and how many rows match in all."""
    parts = [part for part in (_link_rows(wanted, settings), _check_rows(wanted, settings))
             if part is not None]
    if not parts:
        return [], 0
    # One ordered, paged query over both tables, so a page never mixes two sort orders.
    rows = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
    total = session.scalar(select(func.count()).select_from(rows)) or 0
    found = session.execute(select(rows.c.source, rows.c.row_id)
                            .order_by(rows.c.at.desc(), rows.c.source, rows.c.row_id.desc())
                            .limit(per_page).offset((page - 1) * per_page)).all()
    link_ids = [row.row_id for row in found if row.source == "link"]
    check_ids = [row.row_id for row in found if row.source == "check"]
    links = {link.id: link
             for link in session.scalars(select(ChainLink).where(ChainLink.id.in_(link_ids)))}
    checks = {check.id: check
              for check in session.scalars(select(ChainCheck).where(ChainCheck.id.in_(check_ids)))}
    names = Names(session, settings)
    lines = [link_line(names, links[row.row_id]) if row.source == "link"
             else check_line(names, checks[row.row_id]) for row in found]
    return lines, total


def _content(link: ChainLink) -> dict[str, Any]:
    try:
        record = json.loads(link.content).get("record")
    except (ValueError, AttributeError):
        return {}
    return record if isinstance(record, dict) else {}


def _with_reason(text: str, record: dict[str, Any]) -> str:
    reason = record.get("reason")
    if not reason:
        return text
    said = _("reason: %(reason)s", reason=reason)
    return f"{text} · {said}" if text else said


def _waste(names: Names, record: dict[str, Any]) -> tuple[str, str]:
    if record.get("number") == 1:
        what = _("recorded a weighing")
    elif record.get("voided"):
        what = _("voided a weighing")
    else:
        what = _("corrected a weighing")
    detail = kg(record.get("weight_g"))
    if record.get("dish"):
        detail += f" · {names.dish(record['dish'])}"
    return what, _with_reason(detail, record)


def _diner(names: Names, record: dict[str, Any]) -> tuple[str, str]:
    what = _("entered a diner count") if record.get("number") == 1 else _("changed a diner count")
    return what, _with_reason(_("%(n)s diners", n=record.get("count")), record)


def _prepared(names: Names, record: dict[str, Any]) -> tuple[str, str]:
    return _("signed the monthly ledger as preparer (填表人)"), ""


def _closed(names: Names, record: dict[str, Any]) -> tuple[str, str]:
    return (_("reviewed and closed the monthly ledger (复核人)"),
            _("prepared by %(name)s on %(when)s", name=names.user(record.get("prepared_by")),
              when=local_time(record.get("prepared_at"), names.zone)))


def _reopened(names: Names, record: dict[str, Any]) -> tuple[str, str]:
    return _("reopened the monthly ledger"), _with_reason("", record)


def _assessment(names: Names, record: dict[str, Any]) -> tuple[str, str]:
    what = (_("submitted the caterer's assessment") if record.get("number") == 1
            else _("amended the caterer's assessment"))
    detail = _("%(points)s points, grade %(grade)s",
               points=value_text(names, "total_x100", record.get("total_x100")),
               grade=names.grade(record.get("grade")))
    return what, _with_reason(detail, record)


def _escalation(names: Names, record: dict[str, Any]) -> tuple[str, str]:
    what = _("escalation: %(action)s", action=action_label(str(record.get("action"))))
    return what, str(record.get("note") or "")


DESCRIBE: dict[str, Callable[[Names, dict[str, Any]], tuple[str, str]]] = {
    "waste_revision": _waste, "diner_revision": _diner, "month_prepared": _prepared, "month_closed": _closed,
    "month_reopened": _reopened, "assessment_revision": _assessment, "escalation_action": _escalation,
}


def link_line(names: Names, link: ChainLink) -> JournalLine:
    """A chain link as a row of the audit page."""
    record = _content(link)
    what, detail = DESCRIBE[link.kind](names, record) if link.kind in DESCRIBE else (link.kind, "")
    where = where_of(link.kind, record)
    # The revision number says nothing new next to "corrected": the detail carries the value.
    where.pop("number", None)
    return JournalLine(at=link.at, when=local_time(link.at, names.zone), who=names.user(link.actor_id),
                       what=what, where=where_text(names, where), detail=detail, sealed=link.sealed)


def check_line(names: Names, check: ChainCheck) -> JournalLine:
    """A recorded check as a row of the audit page."""
    who = _("the nightly check") if check.trigger == "nightly" else _("the command line")
    if check.ok:
        what = _("checked every history chain: no break found")
    else:
        what = _("checked every history chain: %(n)s break(s) found", n=check.breaks)
    detail = _("%(links)s records in %(streams)s chains", links=check.links, streams=check.streams)
    if check.sealed:
        detail += " · " + _("%(n)s older records sealed into the chain", n=check.sealed)
    return JournalLine(at=check.finished_at, when=local_time(check.finished_at, names.zone), who=who,
                       what=what, where="", detail=detail, check=check)
