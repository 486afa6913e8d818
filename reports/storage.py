"""Where reports live and how a report folder is replaced atomically.

A report is written into a hidden temporary folder beside its final place and swapped in with two renames,
so readers see either the last good report or the new one, never a half-written mix; a failed run removes
its temporary folder and leaves the last good report untouched.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Iterator

# Targets and months become folder names: nothing else may reach the file system.
TARGET_PATTERN = re.compile(r"^(all|[a-z][a-z0-9_-]{0,31})$")
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def store_root(instance_path: str | os.PathLike[str]) -> Path:
    """The folder holding every stored report: ``instance/reports``."""
    return Path(instance_path) / "reports"


def report_dir(root: Path, month: date, target: str) -> Path:
    """``root/YYYY-MM/<canteen code or all>``."""
    if not TARGET_PATTERN.match(target):
        raise ValueError(f"not a report target: {target!r}")
    return root / month.strftime("%Y-%m") / target


def _restore_interrupted(final: Path) -> None:
    # A crash between the two renames leaves the old folder aside; put it back.
    if final.exists():
        return
    leftovers = sorted(final.parent.glob(f".{final.name}.old-*"), key=lambda path: path.stat().st_mtime)
    if leftovers:
        os.rename(leftovers[-1], final)


def write_file(folder: Path, relative: str, content: bytes) -> Path:
    """Write one file inside ``folder`` and flush it to disk (a report is swapped in only once complete)."""
    path = folder / relative
    # A name with '..' or an absolute path must not write outside the report.
    if folder.resolve() not in path.resolve().parents:
        raise ValueError(f"file outside the report folder: {relative!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return path


def folder_files(folder: Path) -> list[str]:
    """The files below ``folder``, as sorted relative POSIX paths."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


@contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield an empty staging folder; on success it replaces ``final``, on any error it is removed."""
    final.parent.mkdir(parents=True, exist_ok=True)
    _restore_interrupted(final)
    staging = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    aside = final.parent / f".{final.name}.old-{uuid.uuid4().hex[:12]}"
    try:
        yield staging
        # mkdtemp makes the folder private (0700); a finished report is readable like its neighbours.
        os.chmod(staging, 0o755)
        if final.exists():
            os.rename(final, aside)
        os.rename(staging, final)
    except BaseException:
        # BaseException: a Ctrl-C halfway must not leave a staging folder behind either.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def stored_file(root: Path, month: str, target: str, relative: str) -> Path | None:
    """The path of a stored report file, or None when the names are not valid or the file is absent."""
    if not MONTH_PATTERN.match(month) or not TARGET_PATTERN.match(target):
        return None
    # Only the names a report writes are served, never another file that may lie in the folder.
    if not re.fullmatch(r"(report\.(html|pdf)|figures\.json|charts/[a-z_]+\.(png|svg))", relative):
        return None
    path = root / month / target / relative
    return path if path.is_file() else None
