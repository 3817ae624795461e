"""Photos and files as people send them, checked by what they hold, not their name.

:func:`check` takes an :class:`Upload` (a name and its bytes, from the CLI, a
file picker or the phone's camera) and returns what is kept: a picture is
decoded with Pillow, turned upright by its EXIF orientation and encoded
again without any metadata (a phone's photo carries where it was taken), and
a thumbnail is made; a PDF is known by its signature and kept as it is.
Anything else — a script renamed ``.jpg``, say — is refused with one line.

The size limits (:func:`limits`) are in megabytes, from the environment:
``OWNIT_FILE_MAX_MB`` for one file (default 10) and
``OWNIT_REQUEST_FILES_MAX_MB`` for all of one request's files (default 50).
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from .errors import ConfigError, ValidationError

FILE_MAX_ENV, REQUEST_MAX_ENV = "OWNIT_FILE_MAX_MB", "OWNIT_REQUEST_FILES_MAX_MB"
FILE_MAX_MB, REQUEST_MAX_MB = 10, 50
NAME_MAX = 120
THUMBNAIL = (320, 320)  # pixels, at most, either way
IMAGES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}  # Pillow's formats
KINDS = "a JPEG, PNG, GIF or WebP picture, or a PDF"
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


@dataclass(frozen=True)
class Upload:
    """A file as sent: the name it had and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Checked:
    """What is kept of an :class:`Upload`: its name (with its type's
    extension), its type as read from its content, the bytes to store, and a
    picture's thumbnail (a JPEG)."""

    name: str
    content_type: str
    data: bytes
    thumbnail: bytes | None = None


@dataclass(frozen=True)
class Limits:
    file: int  # bytes one file may have
    request: int  # bytes all of one request's files may have together


def limits() -> Limits:
    """The size limits from the environment, or one line saying which setting is wrong."""
    def megabytes(name: str, default: int) -> int:
        given = os.environ.get(name, "").strip()
        try:
            value = float(given) if given else default
        except ValueError:
            value = -1
        if value <= 0:
            raise ConfigError(f"{name}={given!r} is not a size; give megabytes, like {default}")
        return int(value * 1024 * 1024)

    return Limits(file=megabytes(FILE_MAX_ENV, FILE_MAX_MB), request=megabytes(REQUEST_MAX_ENV, REQUEST_MAX_MB))


def shown(size: int) -> str:
    """A size as people read it: 820 KB, 4.2 MB."""
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


def check(upload: Upload, *, max_bytes: int) -> Checked:
    """What to keep of ``upload``, or one line saying why it is refused (nothing is kept)."""
    name = _clean_name(upload.name)
    if not upload.data:
        raise ValidationError(f"{name} is empty; choose the file again")
    if len(upload.data) > max_bytes:
        raise ValidationError(f"{name} is {shown(len(upload.data))}; a file may be at most {shown(max_bytes)} "
                              f"({FILE_MAX_ENV}); send a smaller one")
    if upload.data.startswith(b"%PDF-"):
        return Checked(_named(name, "application/pdf"), "application/pdf", upload.data)
    return _picture(name, upload.data)


def _picture(name: str, data: bytes) -> Checked:
    """A picture encoded again without its metadata (upright first), and its thumbnail."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                kind = opened.format
                if kind not in IMAGES:
                    raise ValueError(kind)
                opened.load()
                upright = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, ValueError, OSError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, EOFError):
        raise ValidationError(f"{name} is not {KINDS} (read by its content, not its name); "
                              "send a photo or a PDF") from None
    if upright.mode in ("P", "PA"):  # a palette's transparency is kept as an alpha channel
        upright = upright.convert("RGBA")
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())  # pixels only: no EXIF, GPS, XMP
    if kind == "JPEG":
        content_type, stored = "image/jpeg", _encoded(clean if clean.mode in ("RGB", "L") else clean.convert("RGB"),
                                                      "JPEG", quality=90)
    else:  # PNG, and GIF and WebP as PNG (an animation keeps its first frame)
        content_type, stored = "image/png", _encoded(clean, "PNG", optimize=True)
    small = clean.convert("RGBA") if clean.mode in ("LA", "RGBA") else clean.convert("RGB")
    small.thumbnail(THUMBNAIL)
    if small.mode == "RGBA":
        backed = Image.new("RGB", small.size, "white")
        backed.paste(small, mask=small.getchannel("A"))
        small = backed
    return Checked(_named(name, content_type), content_type, stored, _encoded(small, "JPEG", quality=80))


def _encoded(image: object, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=kind, **options)  # type: ignore[attr-defined]
    return out.getvalue()


def _clean_name(given: str) -> str:
    """The file's own name (no folders), printable, not too long; ``file`` when there is none."""
    base = PureWindowsPath(PurePosixPath(given or "").name).name
    base = "".join(ch for ch in base if ch.isprintable()).strip() or "file"
    return base if len(base) <= NAME_MAX else base[:NAME_MAX]


def _named(name: str, content_type: str) -> str:
    """``name`` with the extension of what it holds (a PNG sent as ``x.jpg`` is kept as ``x.png``)."""
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    return stem + EXTENSIONS[content_type]
