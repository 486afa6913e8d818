"""On-disk outbox: each event is a directory that appears whole (atomic rename) and leaves once confirmed."""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "event.json"


def fsync_dir(path: Path) -> None:
    """Flush a directory entry so a rename inside it survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush one file's contents to disk."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


@dataclass
class OutboxItem:
    """One complete event waiting for delivery."""

    path: Path
    manifest: dict[str, Any]

    @property
    def event_id(self) -> str:
        """The event's UUID."""
        return str(self.manifest["event"]["id"])

    def file_path(self, name: str) -> Path | None:
        """Path of an evidence file by its protocol name, if the event has it."""
        fname = self.manifest.get("files", {}).get(name)
        return self.path / fname if fname else None


class Outbox:
    """The directory tree: .staging/ (being written), pending/ (complete), rejected/, .trash/."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.staging = self.root / ".staging"
        self.pending = self.root / "pending"
        self.rejected = self.root / "rejected"
        self.trash = self.root / ".trash"
        for d in (self.staging, self.pending, self.rejected, self.trash):
            d.mkdir(parents=True, exist_ok=True)

    def stage(self, event_id: str) -> Path:
        """A fresh private directory to write one event's files into."""
        # The random suffix keeps two processes (or a restarted one) from sharing a staging dir.
        path = self.staging / f"{event_id}.{uuid.uuid4().hex[:8]}"
        path.mkdir(parents=True)
        return path

    def commit(self, folder: Path, event: dict[str, Any], files: dict[str, str]) -> Path:
        """Flush the staged files, write the manifest and move the event into pending/ in one rename."""
        for fname in files.values():
            fsync_file(folder / fname)
        manifest = {"event": event, "files": files, "saved_at": time.time()}
        tmp = folder / (MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, folder / MANIFEST)
        fsync_dir(folder)
        target = self.pending / str(event["id"])
        os.rename(folder, target)
        fsync_dir(self.pending)
        fsync_dir(self.staging)
        return target

    def save(self, event: dict[str, Any], blobs: dict[str, tuple[str, bytes]]) -> Path:
        """Stage and commit an event whose files are given in memory (name -> (file name, bytes))."""
        folder = self.stage(str(event["id"]))
        for fname, data in blobs.values():
            (folder / fname).write_bytes(data)
        return self.commit(folder, event, {name: fname for name, (fname, _) in blobs.items()})

    def items(self) -> list[OutboxItem]:
        """Complete events waiting for delivery, oldest first."""
        found: list[OutboxItem] = []
        for path in self.pending.iterdir():
            try:
                manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                # Only complete directories are ever renamed in, so this is outside interference:
                # leave it for a human rather than guess.
                continue
            found.append(OutboxItem(path, manifest))
        found.sort(key=lambda it: (it.manifest.get("saved_at", 0.0), it.path.name))
        return found

    def remove(self, item: OutboxItem) -> None:
        """Drop a delivered event (renamed away first so a crash never leaves half an event pending)."""
        dest = self.trash / f"{item.path.name}.{uuid.uuid4().hex[:8]}"
        os.rename(item.path, dest)
        fsync_dir(self.pending)
        shutil.rmtree(dest, ignore_errors=True)

    def reject(self, item: OutboxItem, status: int, body: str) -> Path:
        """Move a permanently refused event aside with the service's answer."""
        (item.path / "response.txt").write_text(f"HTTP {status}\n{body}", encoding="utf-8")
        dest = self.rejected / item.path.name
        if dest.exists():
            dest = self.rejected / f"{item.path.name}.{uuid.uuid4().hex[:8]}"
        os.rename(item.path, dest)
        fsync_dir(self.pending)
        fsync_dir(self.rejected)
        return dest

    def cleanup(self, max_age_s: float = 3600.0) -> None:
        """Delete leftovers of killed writers and interrupted removals."""
        now = time.time()
        for path in self.trash.iterdir():
            shutil.rmtree(path, ignore_errors=True)
        for path in self.staging.iterdir():
            # A staging dir can belong to a live writer; only old ones are abandoned.
            try:
                if now - path.stat().st_mtime > max_age_s:
                    shutil.rmtree(path, ignore_errors=True)
            except FileNotFoundError:
                pass
