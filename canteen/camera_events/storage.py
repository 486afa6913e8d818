"""Evidence files on disk under the instance folder, with names the service chooses."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Magic numbers: what a file claims to be is not trusted, its first bytes are.
SIGNATURES = {"jpeg": (b"\xff\xd8\xff",), "webm": (b"\x1a\x45\xdf\xa3",)}
KIND_FORMAT = {"snapshot": "jpeg", "snapshot_public": "jpeg", "crop_before": "jpeg", "crop_after": "jpeg",
               "clip": "webm"}
EXTENSIONS = {"jpeg": ".jpg", "webm": ".webm"}
# Staging folders sit beside the YYYY folders, on the same file system, so publishing is one rename.
STAGING_PREFIX = ".staging-"
KIND_LIMIT_BYTES = {"snapshot": 4 << 20, "snapshot_public": 4 << 20, "crop_before": 2 << 20,
                    "crop_after": 2 << 20, "clip": 24 << 20}


def media_root(instance_path: str) -> Path:
    """Where camera evidence lives."""
    return Path(instance_path) / "media" / "camera"


def looks_like(kind: str, head: bytes) -> bool:
    """True when the file's first bytes match the format expected for ``kind``."""
    return any(head.startswith(signature) for signature in SIGNATURES[KIND_FORMAT[kind]])


def file_name(kind: str) -> str:
    """The stored file name of an evidence kind."""
    return kind + EXTENSIONS[KIND_FORMAT[kind]]


def _write_synced(path: Path, content: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        # Synced before the rename, so a crash cannot leave a complete-looking folder with empty files.
        os.fsync(handle.fileno())


def _sync_folder(path: Path) -> None:
    # A rename is durable only once the folder holding the new name is synced.
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def stage(root: Path, event_uuid: str, files: dict[str, bytes]) -> Path:
    """Write an upload's files into a staging folder of its own (``root/.staging-<uuid>.<random>``)."""
    root.mkdir(parents=True, exist_ok=True)
    # A unique folder per upload: two uploads of one event at once never write into the same place, and
    # the UUID in the name lets the reconciliation find the event a crash left it for.
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{event_uuid}.", dir=root))
    try:
        for kind, content in files.items():
            _write_synced(staging / file_name(kind), content)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return staging


def publish(root: Path, staging: Path, relative_dir: str) -> Path:
    """Move a staging folder to the event's place in one rename; call it only once the row is committed."""
    final = root / relative_dir
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(staging, final)
    except OSError:
        if not final.is_dir():
            raise
        # A folder already there has no row (the row is unique and this upload created it): it was left by a
        # crash before its row was committed. It is moved aside whole, so the new one still arrives in one
        # rename and no reader ever sees a mix of the two.
        aside = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}replaced.", dir=root))
        os.rename(final, aside / "old")
        os.rename(staging, final)
        shutil.rmtree(aside, ignore_errors=True)
    _sync_folder(final.parent)
    return final


def discard(staging: Path) -> None:
    """Delete a staging folder that will not be published."""
    shutil.rmtree(staging, ignore_errors=True)


def store_atomically(root: Path, relative_dir: str, files: dict[str, bytes]) -> Path:
    """Stage and publish at once, for callers whose row cannot race a duplicate (demo data, tests)."""
    return publish(root, stage(root, Path(relative_dir).name, files), relative_dir)


def staging_folders(root: Path) -> list[Path]:
    """The staging folders under ``root`` (uploads in flight, or left by a crash)."""
    return sorted(root.glob(f"{STAGING_PREFIX}*")) if root.is_dir() else []


def staged_uuid(staging: Path) -> str | None:
    """The event UUID a staging folder was made for; None for a folder moved aside by ``publish``."""
    name = staging.name[len(STAGING_PREFIX):]
    event_uuid = name.split(".", 1)[0]
    return None if event_uuid == "replaced" else event_uuid


def event_folders(root: Path) -> list[tuple[str, Path]]:
    """Every published event folder as (its path relative to ``root``, the folder): ``YYYY/MM/<uuid>``."""
    found = []
    for year in sorted(root.glob("[0-9][0-9][0-9][0-9]")):
        for month in sorted(year.glob("[0-9][0-9]")):
            for folder in sorted(month.iterdir()):
                if folder.is_dir():
                    found.append((f"{year.name}/{month.name}/{folder.name}", folder))
    return found


def remove_media(root: Path, relative_dir: str) -> None:
    """Delete an event's evidence folder."""
    shutil.rmtree(root / relative_dir, ignore_errors=True)
