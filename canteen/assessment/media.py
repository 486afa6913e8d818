"""Evidence photos: only real JPEG or PNG images are stored, under instance/media/<area>/<id>/."""
from __future__ import annotations

import secrets
from pathlib import Path

from flask_babel import gettext as _

from canteen.core.errors import InvalidInput

# The file's first bytes decide, never its name or declared type: evidence must really be an image.
SIGNATURES = {b"\xff\xd8\xff": ("jpg", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("png", "image/png")}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}
MAX_PHOTO_BYTES = 8 << 20


def media_root(instance_path: str) -> Path:
    """The folder under which evidence photos live."""
    return Path(instance_path) / "media"


def image_kind(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) when ``data`` starts like a JPEG or PNG file."""
    return next((kind for magic, kind in SIGNATURES.items() if data.startswith(magic)), None)


def check_image(data: bytes, field: str = "photo") -> tuple[str, str]:
    """The image's (extension, content type), or InvalidInput naming ``field``."""
    if not data:
        raise InvalidInput(_("the photo is empty"), {field: _("the file is empty")})
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(_("the photo is too large"),
                           {field: _("at most %(mb)s MB", mb=MAX_PHOTO_BYTES >> 20)})
    kind = image_kind(data)
    if kind is None:
        raise InvalidInput(_("not a photo"), {field: _("expected a JPEG or PNG image")})
    return kind


def store_image(root: Path, area: str, owner_id: int, data: bytes) -> str:
    """Write a checked image; return its name relative to ``root`` (area/owner/random.ext)."""
    extension, _type = check_image(data)
    folder = root / area / str(owner_id)
    folder.mkdir(parents=True, exist_ok=True)
    # A random name: uploads never overwrite each other and a photo's address cannot be guessed.
    name = f"{secrets.token_hex(12)}.{extension}"
    # Written aside, then renamed: a crash never leaves a half-written file under the final name.
    tmp = folder / (name + ".part")
    tmp.write_bytes(data)
    tmp.replace(folder / name)
    return f"{area}/{owner_id}/{name}"


def resolve(root: Path, relative: str) -> Path | None:
    """The file of a stored name, or None when it escapes ``root`` or is gone."""
    # Names come from the database, but a "../" in one must still not reach outside the media folder.
    path = (root / relative).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        return None
    return path


def remove(root: Path, relative: str | None) -> None:
    """Delete a file stored by this request when its transaction failed."""
    if relative:
        path = resolve(root, relative)
        if path is not None:
            path.unlink(missing_ok=True)


def content_type_of(relative: str) -> str:
    """The content type from the stored name's extension."""
    return CONTENT_TYPES.get(relative.rsplit(".", 1)[-1], "application/octet-stream")
