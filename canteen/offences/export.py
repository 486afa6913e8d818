"""A diner's complete record for the data subject (PIPL art. 45): JSON, or a ZIP of Excel, JSON, evidence."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from canteen.camera_events.storage import file_name
from canteen.config import AppConfig
from canteen.db import utcnow
from canteen.diners.services import diner_as_dict
from canteen.offences.escalations import escalation_as_dict
from canteen.offences.history import DinerRecord, iso, offence_as_dict, timeline_as_json
from canteen.offences.appeals import appeal_as_dict


def record_as_dict(record: DinerRecord, settings: AppConfig) -> dict[str, Any]:
    """Everything held about the diner, as plain data."""
    diner, standing = record.diner, record.standing
    return {
        "exported_at": iso(utcnow()),
        "diner": {**diner_as_dict(diner), "created_at": iso(diner.created_at)},
        "diner_revisions": [{"number": item.number, "name": item.name, "department": item.department,
                             "active": item.active, "source": item.source, "reason": item.reason,
                             "by": item.created_by.username, "at": iso(item.created_at)}
                            for item in diner.revisions],
        "standing": {"step": standing.step or "none", "count": standing.count,
                     "window_from": standing.window_from.isoformat(),
                     "window_to": standing.window_to.isoformat(),
                     "pending_approval": ({"id": standing.pending.id, "step": standing.pending.step}
                                          if standing.pending else None)},
        "events": [{"id": event.uuid, "camera": event.camera, "canteen": event.canteen.code,
                    "started_at": iso(event.started_at), "ended_at": iso(event.ended_at),
                    "status": event.status,
                    # Deleted by retention: say when, rather than list files that no longer exist.
                    "media": [] if event.media_deleted_at else event.media,
                    "media_deleted_at": iso(event.media_deleted_at)} for event in record.events],
        "offences": [{**offence_as_dict(item, settings),
                      "escalations": [{**escalation_as_dict(escalation),
                                       "appeals": [appeal_as_dict(appeal) for appeal in escalation.appeals]}
                                      for escalation in item.escalations]}
                     for item in record.offences],
        "history": timeline_as_json(record.timeline),
    }


def _cell(value: Any) -> Any:
    # A cell holds one value; nested data stays readable as JSON text.
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _sheet(book: Workbook, title: str, rows: list[dict[str, Any]]) -> None:
    sheet = book.create_sheet(title)
    # An empty part still gets its sheet, so every export has the same sheets.
    columns = list(rows[0]) if rows else ["(none)"]
    sheet.append(columns)
    for row in rows:
        sheet.append([_cell(row.get(column)) for column in columns])


def record_workbook(data: dict[str, Any]) -> bytes:
    """The record as an Excel workbook: one sheet per part."""
    book = Workbook()
    # A new workbook starts with an unnamed sheet; every sheet of the export is named after its part.
    book.remove(book.active)
    _sheet(book, "diner", [data["diner"]])
    _sheet(book, "revisions", data["diner_revisions"])
    _sheet(book, "standing", [data["standing"]])
    _sheet(book, "events", data["events"])
    _sheet(book, "offences", [{key: value for key, value in item.items() if key != "escalations"}
                              for item in data["offences"]])
    _sheet(book, "steps", [escalation for item in data["offences"] for escalation in item["escalations"]])
    _sheet(book, "history", data["history"])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def record_zip(record: DinerRecord, settings: AppConfig, media_root: Path) -> bytes:
    """A ZIP with record.json, record.xlsx and the evidence still kept of the diner's offences."""
    data = record_as_dict(record, settings)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("record.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr("record.xlsx", record_workbook(data))
        # Evidence only of events still attributed to the diner: a withdrawn one may show someone else.
        attributed = {item.offence.event for item in record.offences if item.offence.withdrawn_at is None}
        for event in sorted(attributed, key=lambda event: event.id):
            if event.media_deleted_at is not None:
                continue
            for kind in event.media:
                path = Path(media_root) / event.media_dir / file_name(kind)
                if path.is_file():
                    archive.write(path, f"evidence/{event.uuid}/{file_name(kind)}")
    return output.getvalue()
