"""Spot-check records: checklist, findings, re-weighs against the ledger, photos, rectification, follow-up."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Mapping

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from canteen.assessment import audit
from canteen.assessment.access import may_see_check, require
from canteen.assessment.media import store_image
from canteen.assessment.sheet import current_sheet_version, sheet_of
from canteen.auth.models import User
from canteen.config import AppConfig
from canteen.core.errors import Conflict, FieldErrors, InvalidInput, NotFound
from canteen.core.permissions import can_access_canteen
from canteen.core.timeutil import local_today
from canteen.core.validation import as_id, clean_text, parse_day, parse_int, parse_weight_g
from canteen.db import utcnow
from canteen.ledger.figures import slot_grams
from canteen.reference.models import Canteen, Meal
from canteen.reference.validation import check_day_allowed, resolve_canteen, resolve_meal
from canteen.assessment.spotchecks.models import (CHECK_KINDS, SpotCheck, SpotCheckFinding, SpotCheckPhoto,
                                                  SpotCheckReweigh, SpotCheckSlot)

CHECKLIST_VALUES = ("ok", "finding", "n/a")
# Bounds the work and the audit entry one request can cause.
MAX_FINDINGS = 20
RECTIFICATION_STATUSES = ("open", "overdue", "closed", "all")


@dataclass(frozen=True)
class ReweighRow:
    """A re-weigh next to the ledger: difference in kg and %, flagged beyond the tolerance."""

    stream: str
    weighed_g: int
    ledger_g: int | None
    diff_g: int | None
    diff_pct: float | None
    beyond: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {"stream": self.stream, "weighed_kg": self.weighed_g / 1000,
                "ledger_kg": None if self.ledger_g is None else self.ledger_g / 1000,
                "diff_kg": None if self.diff_g is None else self.diff_g / 1000, "diff_pct": self.diff_pct,
                "beyond_tolerance": self.beyond}


def reweigh_comparison(session: Session, settings: AppConfig, check: SpotCheck) -> list[ReweighRow]:
    """Each re-weigh of the check against the current ledger; a stream without a ledger weight is flagged."""
    tolerance = settings.assessment.spot_checks.reweigh_tolerance_pct
    rows = []
    in_ledger = slot_grams(session, check.canteen_id, check.day, check.meal_code) if check.reweighs else {}
    for reweigh in check.reweighs:
        ledger = in_ledger.get(reweigh.stream_code)
        # Waste the inspector weighed but nobody entered is itself off the ledger.
        if ledger is None:
            rows.append(ReweighRow(reweigh.stream_code, reweigh.weighed_g, None, None, None, True))
            continue
        diff = ledger - reweigh.weighed_g
        # Relative to the re-weigh: the inspector's scale is the reference the ledger is held against.
        pct = round(diff * 100 / reweigh.weighed_g, 1)
        rows.append(ReweighRow(reweigh.stream_code, reweigh.weighed_g, ledger, diff, pct,
                               abs(pct) > tolerance))
    return rows


def _parse_findings(session: Session, settings: AppConfig, raw: Any, day: date | None,
                    errors: FieldErrors, sheet: Any) -> list[dict[str, Any]]:
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_FINDINGS:
        errors["findings"] = _("a list of at most %(n)s findings", n=MAX_FINDINGS)
        return []
    findings = []
    default_days = settings.assessment.spot_checks.rectification_days
    for index, item in enumerate(raw):
        prefix = f"findings.{index}"
        if not isinstance(item, Mapping):
            errors[prefix] = _("expected an object")
            continue
        found = sheet.rule(item.get("rule")) if isinstance(item.get("rule"), str) else None
        if found is None:
            errors[f"{prefix}.rule"] = _("unknown rule")
            continue
        raw_count = item.get("count")
        count = 1 if raw_count in (None, "") else parse_int(raw_count, errors, f"{prefix}.count",
                                                            minimum=1, maximum=1000)
        if count is None:
            continue
        note = clean_text(item.get("note"), f"{prefix}.note", 1000, errors)
        rectify_by = None
        # A fix is demanded by an explicit date, or with "rectify" by the configured days after the check.
        if item.get("rectify_by") not in (None, ""):
            rectify_by = parse_day(item.get("rectify_by"), errors, f"{prefix}.rectify_by")
            if rectify_by is not None and day is not None and rectify_by < day:
                errors[f"{prefix}.rectify_by"] = _("before the check")
        elif item.get("rectify") is True and day is not None:
            rectify_by = day + timedelta(days=default_days)
        findings.append({"item_code": found[0].code, "rule_code": found[1].code, "count": count,
                         "note": note, "rectify_by": rectify_by})
    return findings


def _finding_rows(findings: list[dict[str, Any]], actor: User,
                  moment: datetime) -> list[SpotCheckFinding]:
    return [SpotCheckFinding(item_code=item["item_code"], rule_code=item["rule_code"], count=item["count"],
                             note=item["note"], rectify_by=item["rectify_by"], created_by_id=actor.id,
                             created_at=moment) for item in findings]


def _parse_slot(session: Session, data: Mapping[str, Any], kind: str, canteen: Canteen | None,
                day: date | None, meal: Meal | None, errors: FieldErrors) -> SpotCheckSlot | None:
    """The drawn slot the check answers; it must belong to the canteen and match the day and meal."""
    if data.get("slot") in (None, ""):
        # Only an unannounced or follow-up check may be recorded without a drawn slot.
        if kind == "drawn":
            errors["slot"] = _("a drawn check needs its slot")
        return None
    # An id beyond the database's integer range (or not a whole number) is simply an unknown slot.
    wanted = as_id(data["slot"])
    slot = session.get(SpotCheckSlot, wanted) if wanted is not None else None
    if slot is None or canteen is None or slot.draw.canteen_id != canteen.id:
        errors["slot"] = _("not a drawn slot of this canteen")
        return None
    if day is not None and meal is not None and (slot.day, slot.meal_code) != (day, meal.code):
        errors["slot"] = _("the slot is %(day)s %(meal)s", day=slot.day.isoformat(), meal=slot.meal_code)
    return slot


def _parse_checklist(raw: Any, sheet: Any, errors: FieldErrors) -> dict[str, str]:
    """Item code to ok / finding / n/a, for items of the sheet in force only."""
    checklist: dict[str, str] = {}
    if not isinstance(raw, Mapping):
        errors["checklist"] = _("expected an object of item code to ok, finding or n/a")
        return checklist
    for code, value in raw.items():
        if sheet.item(code) is None:
            errors[f"checklist.{code}"] = _("unknown item")
        # Compared as text: a JSON object or list here is as wrong as a misspelt value (and unhashable).
        elif not isinstance(value, str) or value not in CHECKLIST_VALUES:
            errors[f"checklist.{code}"] = _("ok, finding or n/a")
        else:
            checklist[code] = value
    return checklist


def _parse_reweighs(raw: Any, settings: AppConfig, errors: FieldErrors) -> dict[str, int]:
    """Stream code to the re-weighed grams; each stream at most once, so the comparison is unambiguous."""
    reweighs: dict[str, int] = {}
    if not isinstance(raw, list):
        errors["reweighs"] = _("expected a list")
        return reweighs
    streams = {stream.code for stream in settings.streams}
    for index, item in enumerate(raw):
        # Only text can name a stream; a JSON object or list is not even hashable for the set lookup.
        if not isinstance(item, Mapping) or not isinstance(item.get("stream"), str) \
                or item["stream"] not in streams:
            errors[f"reweighs.{index}.stream"] = _("unknown stream")
        elif item["stream"] in reweighs:
            errors[f"reweighs.{index}.stream"] = _("listed twice")
        else:
            grams = parse_weight_g(item.get("weight"), item.get("unit", "kg"), settings, errors,
                                   f"reweighs.{index}.weight")
            if grams is not None:
                reweighs[item["stream"]] = grams
    return reweighs


def _parse_closes(session: Session, raw: Any, kind: str, canteen: Canteen | None, day: date | None,
                  errors: FieldErrors) -> list[tuple[SpotCheckFinding, str]]:
    """The open rectifications a follow-up check closes, each with its note."""
    closes: list[tuple[SpotCheckFinding, str]] = []
    if raw and kind != "follow_up":
        # Closing is the follow-up's purpose; a routine check must not quietly close findings.
        errors["closes"] = _("only a follow-up check closes rectifications")
        return closes
    if not isinstance(raw, list):
        errors["closes"] = _("expected a list")
        return closes
    for index, item in enumerate(raw):
        # Each entry is {"finding": id, "note": ...} or just the id; as_id refuses anything else.
        finding_id = as_id(item.get("finding") if isinstance(item, Mapping) else item)
        finding = session.get(SpotCheckFinding, finding_id) if finding_id is not None else None
        if finding is None or canteen is None or finding.check.canteen_id != canteen.id:
            errors[f"closes.{index}"] = _("not a finding of this canteen")
        elif not finding.open:
            errors[f"closes.{index}"] = _("no open rectification")
        elif day is not None and finding.check.day > day:
            errors[f"closes.{index}"] = _("found after this check")
        else:
            note = item.get("note", "") if isinstance(item, Mapping) else ""
            closes.append((finding, clean_text(note, f"closes.{index}.note", 1000, errors)))
    return closes


def _audit_check(session: Session, check: SpotCheck, actor: User, now: datetime | None,
                 closes: list[tuple[SpotCheckFinding, str]], findings: list[dict[str, Any]],
                 checklist: dict[str, str], reweighs: dict[str, int]) -> None:
    """Record the check and each closed rectification in the audit trail."""
    # Closing is written to the trail of the check that found the fault, where its history is read.
    for finding, note in closes:
        audit.record(session, "spot_check", finding.check_id, "rectification_closed", actor, now,
                     finding=finding.id, follow_up=check.id, note=note)
    audit.record(session, "spot_check", check.id, "recorded", actor, now, canteen=check.canteen.code,
                 day=check.day, meal=check.meal_code, kind=check.kind, slot=check.slot_id,
                 checklist=checklist, reweighs=dict(reweighs), findings=[dict(item) for item in findings],
                 closes=[finding.id for finding, _note in closes])


def record_check(session: Session, settings: AppConfig, actor: User, data: Mapping[str, Any],
                 now: datetime | None = None) -> SpotCheck:
    """Store a check record with its checklist, re-weighs and findings; a follow-up may close fixes."""
    require(actor, "spotcheck.edit")
    # Step 1: validate every part and collect all problems, so the form shows them at once; nothing is stored.
    errors = FieldErrors()
    canteen = resolve_canteen(session, data.get("canteen"), actor, errors)
    day = parse_day(data.get("date"), errors)
    if day is not None and canteen is not None:
        check_day_allowed(day, canteen, settings, errors)
    meal = resolve_meal(session, data.get("meal"), canteen, settings, errors)
    kind = data.get("kind") or "drawn"
    if kind not in CHECK_KINDS:
        errors["kind"] = _("one of %(kinds)s", kinds=", ".join(CHECK_KINDS))
    slot = _parse_slot(session, data, kind, canteen, day, meal, errors)
    # The check keeps the sheet version in force today; its checklist and findings use that version's codes.
    sheet_version = current_sheet_version(session, settings)
    sheet = sheet_of(sheet_version)
    checklist = _parse_checklist(data.get("checklist") or {}, sheet, errors)
    summary = clean_text(data.get("summary"), "summary", 2000, errors)
    reweighs = _parse_reweighs(data.get("reweighs") or [], settings, errors)
    findings = _parse_findings(session, settings, data.get("findings"), day, errors, sheet)
    closes = _parse_closes(session, data.get("closes") or [], kind, canteen, day, errors)
    errors.raise_if_any(_("the check was not recorded"))
    assert canteen is not None and day is not None and meal is not None
    # Step 2: a drawn slot is answered once; the unique slot_id constraint backs this friendly check.
    if slot is not None and session.scalar(select(SpotCheck.id)
                                           .where(SpotCheck.slot_id == slot.id)) is not None:
        raise Conflict(_("this slot is already recorded"), {"slot": _("already recorded")})
    # Step 3: an item with a finding cannot also be ticked ok on the checklist.
    for parsed in findings:
        checklist[parsed["item_code"]] = "finding"
    moment = now or utcnow()
    check = SpotCheck(canteen_id=canteen.id, day=day, meal_code=meal.code, kind=kind,
                      slot_id=slot.id if slot else None, sheet_version_id=sheet_version.id,
                      checklist=json.dumps(checklist, sort_keys=True), summary=summary, inspector_id=actor.id,
                      created_at=moment)
    check.reweighs = [SpotCheckReweigh(stream_code=code, weighed_g=grams)
                      for code, grams in reweighs.items()]
    check.findings = _finding_rows(findings, actor, moment)
    session.add(check)
    session.flush()
    # Step 4: closing a rectification is recorded on the finding, never by deleting it.
    for finding, note in closes:
        finding.closed_by_check_id, finding.closed_at, finding.close_note = check.id, moment, note
    _audit_check(session, check, actor, now, closes, findings, checklist, reweighs)
    session.refresh(check)
    return check


def visible_check(session: Session, actor: User, check_id: object) -> SpotCheck:
    """The check if the actor may see it, else NotFound."""
    require(actor, "spotcheck.view")
    # The id is a str (form, URL) or an int (JSON); anything that cannot name a row is simply unknown.
    wanted = as_id(check_id)
    check = session.get(SpotCheck, wanted) if wanted is not None else None
    if check is None or not may_see_check(session, actor, check):
        raise NotFound(_("no such spot check"))
    return check


def add_finding(session: Session, settings: AppConfig, actor: User, check_id: object,
                data: Mapping[str, Any], now: datetime | None = None) -> SpotCheckFinding:
    """Append a finding to a recorded check (records are never edited, only added to)."""
    require(actor, "spotcheck.edit")
    check = visible_check(session, actor, check_id)
    errors = FieldErrors()
    sheet = sheet_of(current_sheet_version(session, settings))
    findings = _parse_findings(session, settings, [dict(data)], check.day, errors, sheet)
    # Parsed as a list of one: strip the list prefix so the errors name the form's own fields.
    if errors:
        raise InvalidInput(_("the finding was not added"),
                           {key.replace("findings.0.", ""): value for key, value in errors.items()})
    moment = now or utcnow()
    finding = _finding_rows(findings, actor, moment)[0]
    finding.check_id = check.id
    session.add(finding)
    # Keep the checklist consistent with the new finding, as record_check does.
    checklist = json.loads(check.checklist or "{}")
    checklist[finding.item_code] = "finding"
    check.checklist = json.dumps(checklist, sort_keys=True)
    session.flush()
    audit.record(session, "spot_check", check.id, "finding_added", actor, now, finding=finding.id,
                 rule=finding.rule_code, count=finding.count, note=finding.note,
                 rectify_by=finding.rectify_by)
    return finding


def add_photo(session: Session, actor: User, check_id: object, data: bytes, media_root: Path,
              caption: Any = "", now: datetime | None = None) -> SpotCheckPhoto:
    """Attach a JPEG or PNG photo to a check."""
    require(actor, "spotcheck.edit")
    check = visible_check(session, actor, check_id)
    errors = FieldErrors()
    text = clean_text(caption, "caption", 300, errors)
    errors.raise_if_any()
    # Stored only after the caption passed, so a refused request leaves no file behind.
    name = store_image(media_root, "spotchecks", check.id, data)
    photo = SpotCheckPhoto(check_id=check.id, filename=name, content_type="image/" + (
        "png" if name.endswith(".png") else "jpeg"), size=len(data), caption=text, uploaded_by_id=actor.id,
        uploaded_at=now or utcnow())
    session.add(photo)
    session.flush()
    audit.record(session, "spot_check", check.id, "photo_added", actor, now, photo=photo.id, caption=text)
    return photo


def respond_to_check(session: Session, actor: User, check_id: object, response: Any, comment: Any,
                     now: datetime | None = None) -> SpotCheck:
    """The caterer signs the record or disputes it with a comment (once)."""
    require(actor, "assessment.respond")
    check = visible_check(session, actor, check_id)
    errors = FieldErrors()
    if response not in ("signed", "disputed"):
        errors["response"] = _("signed or disputed")
    text = clean_text(comment, "comment", 1000, errors, required=response == "disputed")
    errors.raise_if_any()
    # One answer per record: a signed record cannot later turn into a dispute, nor the reverse.
    if check.contractor_response is not None:
        raise Conflict(_("already answered"), {"response": check.contractor_response})
    check.contractor_response, check.contractor_comment = response, text
    check.responded_by_id, check.responded_at = actor.id, now or utcnow()
    session.flush()
    audit.record(session, "spot_check", check.id, f"contractor_{response}", actor, now, comment=text)
    return check


def list_checks(session: Session, actor: User, canteen: Canteen, start: date, end: date) -> list[SpotCheck]:
    """The checks of a canteen between two days that the actor may see."""
    require(actor, "spotcheck.view")
    if not can_access_canteen(actor, canteen):
        return []
    checks = session.scalars(select(SpotCheck).where(SpotCheck.canteen_id == canteen.id,
                                                     SpotCheck.day >= start, SpotCheck.day <= end)
                             .order_by(SpotCheck.day, SpotCheck.id))
    # A caterer sees only checks within its contract, which a query by canteen cannot tell.
    return [check for check in checks if may_see_check(session, actor, check)]


def rectifications(session: Session, settings: AppConfig, actor: User, status: str = "open",
                   now: datetime | None = None) -> list[SpotCheckFinding]:
    """Findings that demand a fix: ``open``, ``overdue`` (open past the deadline), ``closed`` or ``all``."""
    require(actor, "spotcheck.view")
    query = select(SpotCheckFinding).where(SpotCheckFinding.rectify_by.is_not(None)).order_by(
        SpotCheckFinding.rectify_by, SpotCheckFinding.id)
    today = local_today(settings.zone, now)
    if status in ("open", "overdue"):
        query = query.where(SpotCheckFinding.closed_at.is_(None))
    if status == "overdue":
        query = query.where(SpotCheckFinding.rectify_by < today)
    elif status == "closed":
        query = query.where(SpotCheckFinding.closed_at.is_not(None))
    elif status not in RECTIFICATION_STATUSES:
        raise InvalidInput(_("unknown status"), {"status": _("open, overdue, closed or all")})
    return [finding for finding in session.scalars(query) if may_see_check(session, actor, finding.check)]


def is_overdue(finding: SpotCheckFinding, settings: AppConfig, now: datetime | None = None) -> bool:
    """True when an open rectification is past its deadline."""
    return (finding.open and finding.rectify_by is not None
            and finding.rectify_by < local_today(settings.zone, now))


def finding_as_dict(finding: SpotCheckFinding, settings: AppConfig, sheet: Any) -> dict[str, Any]:
    """The JSON shape of a finding."""
    found = sheet.rule(finding.rule_code)
    return {"id": finding.id, "check": finding.check_id, "item": finding.item_code, "rule": finding.rule_code,
            "name_zh": found[1].name_zh if found else finding.rule_code,
            "name_en": found[1].name_en if found else finding.rule_code,
            "count": finding.count, "note": finding.note,
            "rectify_by": finding.rectify_by.isoformat() if finding.rectify_by else None,
            "closed_by_check": finding.closed_by_check_id,
            "closed_at": finding.closed_at.isoformat() if finding.closed_at else None,
            "overdue": is_overdue(finding, settings)}


def check_as_dict(session: Session, settings: AppConfig, check: SpotCheck) -> dict[str, Any]:
    """The JSON shape of a check record."""
    # Names come from the check's own sheet version, as its rule codes do.
    sheet = sheet_of(check.sheet_version)
    return {
        "id": check.id, "canteen": check.canteen.code, "date": check.day.isoformat(), "meal": check.meal_code,
        "kind": check.kind, "slot": check.slot_id, "inspector": check.inspector.username,
        "created_at": check.created_at.isoformat(), "summary": check.summary,
        "checklist": json.loads(check.checklist or "{}"),
        "reweighs": [row.as_dict() for row in reweigh_comparison(session, settings, check)],
        "findings": [finding_as_dict(finding, settings, sheet) for finding in check.findings],
        "photos": len(check.photos),
        "contractor_response": check.contractor_response, "contractor_comment": check.contractor_comment,
    }
