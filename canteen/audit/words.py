"""Putting chain links and check findings into words: names instead of ids, labels instead of codes,
local times, kilograms. Shared by the audit page, the check page, the dashboard and ``canteen verify``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from canteen.assessment.models import Assessment, Contractor
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.diners.models import Diner
from canteen.offences.models import Escalation
from canteen.offences.web import action_label, escalation_status_label, step_label
from canteen.reference.models import Canteen, Dish, Meal, Stream


def english() -> bool:
    """True when the current language is English."""
    return str(get_locale()).startswith("en")


def local_time(value: Any, zone: ZoneInfo, seconds: bool = False) -> str:
    """A stored UTC time (a datetime or ISO text) as local wall-clock time."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return "–"
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def kg(grams: Any) -> str:
    """Grams as kilograms with three decimals (whole grams)."""
    return f"{grams / 1000:.3f} kg" if isinstance(grams, int) and not isinstance(grams, bool) else "–"


class Names:
    """Names of the rows links and findings refer to, looked up once each."""

    def __init__(self, session: Session, settings: AppConfig) -> None:
        self.session, self.settings, self.zone = session, settings, settings.zone
        self._cache: dict[tuple[type[Any], Any], Any] = {}

    def _row(self, model: type[Any], key: Any) -> Any:
        # Keys come from stored JSON, which an edit may have made anything: only an int is looked up.
        if not isinstance(key, int) or isinstance(key, bool):
            return None
        if (model, key) not in self._cache:
            self._cache[(model, key)] = self.session.get(model, key)
        return self._cache[(model, key)]

    def _local(self, model: type[Any], key: Any) -> str:
        row = self._row(model, key)
        if row is None:
            return _("(deleted)") if key is not None else "–"
        return str(row.name_en if english() else row.name_zh)

    def canteen(self, key: Any) -> str:
        """A canteen's name."""
        return self._local(Canteen, key)

    def _configured(self, model: type[Any], key: Any, items: list[Any]) -> str:
        # Meals and streams are named in config.yaml; the row holds only the code.
        row = self._row(model, key)
        if row is None:
            return _("(deleted)") if key is not None else "–"
        item = next((item for item in items if item.code == row.code), None)
        return str((item.name_en if english() else item.name_zh) if item else row.code)

    def meal(self, key: Any) -> str:
        """A meal's name."""
        return self._configured(Meal, key, self.settings.meals)

    def stream(self, key: Any) -> str:
        """A waste stream's name."""
        return self._configured(Stream, key, self.settings.streams)

    def user(self, key: Any) -> str:
        """A user's name; no user is the system itself."""
        # The retention job ends exposures with no actor.
        if key is None:
            return _("the system")
        row = self._row(User, key)
        return row.name if row is not None else _("(deleted user)")

    def dish(self, key: Any) -> str:
        """A dish's name."""
        row = self._row(Dish, key)
        return row.name if row is not None else "–"

    def contractor(self, key: Any) -> str:
        """A caterer's name."""
        row = self._row(Contractor, key)
        return row.name if row is not None else _("(deleted)")

    def diner(self, key: Any) -> str:
        """A diner's name."""
        row = self._row(Diner, key)
        return row.name if row is not None else _("(deleted)")

    def grade(self, code: Any) -> str:
        """A grade band's name (from the sheet's bands)."""
        band = next((band for band in self.settings.assessment.bands if band.code == code), None)
        if band is None:
            return str(code or "–")
        return band.name_en if english() else band.name_zh

    def escalation(self, key: Any) -> Escalation | None:
        """An escalation row."""
        return self._row(Escalation, key)

    def assessment(self, key: Any) -> Assessment | None:
        """An assessment row."""
        return self._row(Assessment, key)


def kind_label(kind: str | None) -> str:
    """What a kind of chained record is called."""
    return {"waste_revision": _("Weighing"), "diner_revision": _("Diner count"),
            "month_prepared": _("Ledger signed by the preparer"),
            "month_closed": _("Ledger closed by the reviewer"), "month_reopened": _("Ledger reopened"),
            "assessment_revision": _("Caterer assessment"), "escalation_action": _("Escalation decision"),
            "ledger": _("Monthly ledger"), "assessment": _("Caterer assessment"),
            "escalation": _("Escalation")}.get(kind or "", _("History"))


def where_text(names: Names, where: dict[str, Any]) -> str:
    """Where a link or finding is, in words: canteen, month, day, meal, stream, revision."""
    kind = where.get("kind")
    parts: list[str] = []
    if kind in ("escalation_action", "escalation"):
        escalation = names.escalation(where.get("escalation"))
        diner = where.get("diner", escalation.diner_id if escalation else None)
        step = where.get("step") or (escalation.step if escalation else None)
        parts += [_("Escalation"), names.diner(diner), step_label(step)]
    else:
        if kind in ("assessment_revision", "assessment"):
            assessment = names.assessment(where.get("assessment"))
            # A stream named only by its key (every link of it gone) still has its row to name it.
            if assessment is not None:
                where = {"contractor": assessment.contractor_id, "canteen": assessment.canteen_id,
                         "month": f"{assessment.month:%Y-%m}"} | where
            parts += [_("Caterer assessment"), names.contractor(where.get("contractor"))]
        if "canteen" in where:
            parts.append(names.canteen(where["canteen"]))
        if "month" in where:
            parts.append(str(where["month"]))
        if "day" in where:
            parts.append(str(where["day"]))
        if "meal" in where:
            parts.append(names.meal(where["meal"]))
        if "stream" in where:
            parts.append(names.stream(where["stream"]))
        elif kind == "diner_revision":
            parts.append(_("diner count"))
        elif kind in ("month_prepared", "month_closed", "month_reopened", "ledger"):
            parts.append(kind_label(kind))
    if "number" in where:
        parts.append(_("revision %(n)s", n=where["number"]))
    elif kind == "escalation_action" and "seq" in where:
        parts.append(_("history line %(n)s", n=where["seq"]))
    return " · ".join(part for part in parts if part)


def _yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def _source_label(value: Any) -> str:
    return {"web": _("web page"), "api": _("API"), "import": _("import")}.get(value, str(value))


def _short(value: Any) -> str:
    return value[:12] if isinstance(value, str) else "–"


FIELD_LABELS: dict[str, Callable[[], str]] = {
    "weight_g": lambda: _("weight"), "count": lambda: _("diner count"), "note": lambda: _("note"),
    "voided": lambda: _("void"), "reason": lambda: _("reason"), "by": lambda: _("who"),
    "at": lambda: _("when"), "day": lambda: _("date"), "meal": lambda: _("meal"),
    "stream": lambda: _("stream"), "canteen": lambda: _("canteen"), "dish": lambda: _("dish"),
    "source": lambda: _("entered through"), "number": lambda: _("revision"), "month": lambda: _("month"),
    "action": lambda: _("action"), "head": lambda: _("signed chain head"),
    "prepared_by": lambda: _("preparer"), "prepared_at": lambda: _("prepared at"),
    "total_x100": lambda: _("total points"), "grade": lambda: _("grade"), "fee_fen": lambda: _("fee"),
    "snapshot": lambda: _("lines as scored"), "sheet_version": lambda: _("sheet version"),
    "contractor": lambda: _("caterer"), "step": lambda: _("step"), "diner": lambda: _("diner"),
    "status": lambda: _("status"), "decided_by_id": lambda: _("decided by"),
    "decided_at": lambda: _("decided at"), "decision_note": lambda: _("decision note"),
    "starts_at": lambda: _("on the board from"), "expires_at": lambda: _("on the board until"),
    "left_board_at": lambda: _("left the board at"), "letter_sent_on": lambda: _("letter sent on"),
    "letter_sent_by_id": lambda: _("letter sent by"),
    "letter_sent_recorded_at": lambda: _("sending recorded at"),
    "letter_note": lambda: _("letter note"), "closed_at": lambda: _("ended at"),
    "closed_reason": lambda: _("why it ended"),
    "entry": lambda: _("the entry it belongs to"), "diner_count": lambda: _("the count it belongs to"),
    "assessment": lambda: _("the assessment it belongs to"),
    "escalation": lambda: _("the escalation it belongs to"),
    "offence": lambda: _("the offence it belongs to"),
}
# Fields whose value is another record's key: only the fact that it changed is worth saying.
_REFERENCES = ("entry", "diner_count", "assessment", "escalation", "offence", "sheet_version", "snapshot")
_TIMES = ("at", "prepared_at", "decided_at", "starts_at", "expires_at", "left_board_at",
          "letter_sent_recorded_at", "closed_at")
_USERS = ("by", "prepared_by", "decided_by_id", "letter_sent_by_id")


def field_label(key: str) -> str:
    """A field's name in words."""
    label = FIELD_LABELS.get(key)
    return label() if label else _("another value")


def value_text(names: Names, key: str, value: Any) -> str:
    """A stored value in words."""
    # Keys become names, codes labels, grams kilograms and UTC local time: nothing raw reaches a page.
    if value is None or value == "":
        return "–"
    simple: dict[str, Callable[[Any], str]] = {
        "weight_g": kg, "voided": _yes_no, "source": _source_label, "head": _short,
        "canteen": names.canteen, "meal": names.meal, "stream": names.stream, "dish": names.dish,
        "contractor": names.contractor, "diner": names.diner, "step": step_label,
        "status": escalation_status_label, "action": action_label,
        "total_x100": lambda v: f"{v / 100:.2f}" if isinstance(v, int) else str(v),
        "fee_fen": lambda v: f"{v / 100:,.2f}" if isinstance(v, int) else str(v),
    }
    if key in simple:
        return simple[key](value)
    if key in _TIMES:
        return local_time(value, names.zone, seconds=True)
    if key in _USERS:
        return names.user(value)
    return str(value)


def changes_text(names: Names, fields: list[dict[str, Any]], chained_word: str, now_word: str) -> str:
    """Each changed field: ``weight: 10.000 kg <chained_word>, 12.000 kg <now_word>``."""
    parts = []
    for item in fields:
        key = str(item.get("field"))
        if key in _REFERENCES:
            parts.append(_("%(field)s changed", field=field_label(key)))
            continue
        parts.append(_("%(field)s: %(old)s %(then)s, %(new)s %(now)s", field=field_label(key),
                       old=value_text(names, key, item.get("chained")), then=chained_word,
                       new=value_text(names, key, item.get("now")), now=now_word))
    return "; ".join(parts)


@dataclass(frozen=True)
class BreakWords:
    """A finding of a check in words."""

    where: str
    what: str


def break_words(names: Names, finding: dict[str, Any]) -> BreakWords:
    """A stored finding (see canteen.audit.verify) in words."""
    where = where_text(names, finding.get("where") or {})
    problem = finding.get("problem")
    # Twelve hex digits name a fingerprint well enough for a person comparing two of them.
    fields = finding.get("fields") or []
    stored, computed = _short(finding.get("stored")), _short(finding.get("computed"))
    # Outside the calls below: Babel does not extract a _() nested in another _() call's arguments.
    when_chained, in_newest, now = _("when chained"), _("in the newest revision"), _("now")
    texts = {
        "changed": lambda: _("the stored values differ from what was chained: %(changes)s",
                             changes=changes_text(names, fields, when_chained, now)),
        "hash": lambda: _("the chain link itself was altered: stored fingerprint %(stored)s, recomputed "
                          "%(computed)s", stored=stored, computed=computed),
        "relinked": lambda: _("this link does not follow the one before it (it names %(stored)s, the link "
                              "before it is %(computed)s)", stored=stored, computed=computed),
        "gap": lambda: _("links %(first)s to %(last)s of this history are missing (deleted)",
                         first=finding.get("first"), last=finding.get("last")),
        "missing": lambda: _("the record was deleted; its chain link remains"),
        "unchained": lambda: _("the record is not in the chain: written around the service, or older than "
                               "the chain and never sealed"),
        "mirror": lambda: _("the current value differs from the newest revision: %(changes)s",
                            changes=changes_text(names, fields, in_newest, now)),
        "no_history": lambda: _("the record has no revision at all"),
        "rewritten": lambda: _("the history was rewritten after the check of %(when)s: that check saw "
                               "fingerprint %(stored)s here, now %(computed)s",
                               when=local_time(finding.get("since"), names.zone), stored=stored,
                               computed=computed if finding.get("computed") else _("nothing")),
    }
    text = texts.get(str(problem))
    return BreakWords(where, text() if text else _("an unknown problem"))
