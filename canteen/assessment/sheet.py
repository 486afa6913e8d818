"""Sheet versions: the sheet in force is stored once per content hash; past assessments keep theirs."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from canteen.assessment.models import SheetVersion
from canteen.config import AppConfig
from canteen.core.errors import Conflict
from canteen.db import stored_unless_duplicate
from canteen.settings.assessment import SheetSettings


def sheet_content(sheet: SheetSettings) -> str:
    """The canonical JSON of a sheet: the same sheet always gives the same text."""
    # Sorted keys and fixed separators: the hash must not change with key order or whitespace.
    return json.dumps(sheet.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def sheet_hash(sheet: SheetSettings) -> str:
    """The SHA-256 of the canonical JSON."""
    return hashlib.sha256(sheet_content(sheet).encode()).hexdigest()


def current_sheet_version(session: Session, settings: AppConfig) -> SheetVersion:
    """The stored version of the sheet in the config, created (numbered) on first use."""
    sheet = settings.assessment.sheet()
    digest = sheet_hash(sheet)
    version = session.scalar(select(SheetVersion).where(SheetVersion.content_hash == digest))
    if version is not None:
        return version
    number = (session.scalar(select(func.max(SheetVersion.number))) or 0) + 1
    version = SheetVersion(number=number, content_hash=digest, content=sheet_content(sheet))
    # Two requests storing the same new sheet at once: the unique hash (and number) refuses the second,
    # which then uses the first one's row, in the same transaction.
    if stored_unless_duplicate(session, lambda: session.add(version)):
        return version
    stored = session.scalar(select(SheetVersion).where(SheetVersion.content_hash == digest))
    if stored is None:
        raise Conflict(_("another sheet version was stored at the same moment; try again"),
                       {"sheet": _("changed meanwhile")})
    return stored


# Parsing validates the whole sheet; a stored version never changes, so its content is a safe cache key.
@lru_cache(maxsize=64)
def _parse(content: str) -> SheetSettings:
    return SheetSettings.model_validate(json.loads(content))


def sheet_of(version: SheetVersion) -> SheetSettings:
    """The sheet a stored version holds (parsed once per content)."""
    return _parse(version.content)


def sheet_as_dict(version: SheetVersion) -> dict[str, Any]:
    """The JSON shape of GET /api/v1/assessment-template."""
    sheet = sheet_of(version)
    return {
        "version": version.number,
        "hash": version.content_hash,
        "groups": [group.model_dump() for group in sheet.groups],
        "items": [{"code": item.code, "name_zh": item.name_zh, "name_en": item.name_en, "group": item.group,
                   "max_points": item.max_points,
                   "rules": [rule.model_dump() for rule in item.rules]} for item in sheet.items],
        "vetoes": [veto.model_dump() for veto in sheet.vetoes],
        "bonuses": [bonus.model_dump() for bonus in sheet.bonuses],
        "bonus_cap": sheet.bonus_cap,
        "bands": [band.model_dump() for band in sheet.bands],
        "warning": sheet.warning.model_dump(),
    }
