"""Evidence files on disk under the instance folder, with names the service chooses."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

# Magic numbers: what a file claims to be is not trusted, its first bytes are.
SIGNATURES = {"jpeg": (b"\xff\xd8\xff",), "webm": (b"\x1a\x45\xdf\xa3",)}
KIND_FORMAT = {"snapshot": "jpeg", "snapshot_public": "jpeg", "crop_before": "jpeg", "crop_after": "jpeg",
               "clip": "webm"}
EXTENSIONS = {"jpeg": ".jpg", "webm": ".webm"}
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


def store_atomically(root: Path, relative_dir: str, files: dict[str, bytes]) -> Path:
    """Write all files into a temporary folder, then move it into place in one rename."""
    final = root / relative_dir
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / (final.name + ".incoming")
    # A staging folder of the same name can only be left over from an interrupted upload.
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for kind, content in files.items():
        path = staging / file_name(kind)
        with open(path, "wb") as handle:
            handle.write(content)
            handle.flush()
            # Synced before the rename, so a crash cannot leave a complete-looking folder with empty files.
            os.fsync(handle.fileno())
    # A folder left by a crash before its database row was committed holds nothing anyone refers to.
    shutil.rmtree(final, ignore_errors=True)
    os.replace(staging, final)
    return final


def remove_media(root: Path, relative_dir: str) -> None:
    """Delete an event's evidence folder."""
    shutil.rmtree(root / relative_dir, ignore_errors=True)
