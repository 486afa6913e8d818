"""Where a camera process got to in a recorded file, so a restart resumes there instead of replaying it."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class FilePosition:
    """A safe point in one file: every event before it is saved, none is open at it."""

    source: str
    size: int
    mtime_ns: int
    frames: int
    epoch: str
    ended: bool = False
    # End (source seconds) of the newest event saved: one finished again after a resume is not sent twice.
    saved_until_s: float = -1.0


def identity(source: str) -> tuple[int, int]:
    """Size and modification time: a file replaced by another one starts from its beginning."""
    st = os.stat(source)
    return st.st_size, st.st_mtime_ns


class PositionStore:
    """One small JSON file per camera under the outbox directory, replaced atomically."""

    def __init__(self, root: str | Path, camera: str) -> None:
        self.path = Path(root) / "positions" / f"{camera}.json"

    def load(self, source: str) -> FilePosition | None:
        """The stored position if it is for this very file, else None."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            pos = FilePosition(**data)
            size, mtime = identity(source)
        except (OSError, ValueError, TypeError):
            return None
        if pos.source != str(Path(source).resolve()) or (pos.size, pos.mtime_ns) != (size, mtime):
            return None
        return pos

    def save(self, pos: FilePosition) -> None:
        """Write the position (temporary file, fsync, rename: never half a file)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(asdict(pos), fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)

    @staticmethod
    def new(source: str, frames: int, epoch: str, ended: bool = False,
            saved_until_s: float = -1.0) -> FilePosition:
        """A position for the file as it is now."""
        size, mtime = identity(source)
        return FilePosition(str(Path(source).resolve()), size, mtime, frames, epoch, ended, saved_until_s)
