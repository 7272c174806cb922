"""Photos: decode every upload with Pillow, store an upright, metadata-free copy and a thumbnail.

Nothing the client sends is stored as-is: the server decodes the image, applies the EXIF
orientation, drops all metadata (GPS included) by re-encoding, caps the size, and writes a
320 px thumbnail. Anything Pillow cannot decode, or that decodes to too many pixels (a
decompression bomb), is refused with a message a person can act on.
"""

from __future__ import annotations

import io
import os
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError

from fieldapp.errors import Invalid

THUMB_SIZE = 320
MAX_SIDE = 2048
JPEG_QUALITY = 85
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


@dataclass(frozen=True)
class StoredImage:
    content_type: str
    width: int
    height: int
    size_bytes: int


def photo_path(photo_id: uuid.UUID, size: str = "full", kind: str = "photo") -> Path:
    """instance/uploads/photos/ab/abcdef….jpg; signatures keep PNG for clean strokes."""
    name = photo_id.hex
    suffix = ".thumb.jpg" if size == "thumb" else ".png" if kind == "signature" else ".jpg"
    return Path(current_app.config["UPLOAD_FOLDER"]) / "photos" / name[:2] / f"{name}{suffix}"


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    if not data:
        raise Invalid.field("photo", "The photo is empty. Take or choose it again.")
    previous = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = max_pixels
        with warnings.catch_warnings():
            # Pillow warns between the limit and twice the limit, and raises beyond it; treat
            # both as a bomb.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise Invalid.field(
                    "photo", f"{image.format} images are not accepted; send a JPEG or PNG photo."
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise Invalid.field(
            "photo",
            "That image has too many pixels to be a photo "
            f"(the limit is {max_pixels // 1_000_000} megapixels).",
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Invalid.field(
            "photo", "That file is not a photo we can read. Send a JPEG or PNG image."
        ) from exc
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    return image


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def store_image(photo_id: uuid.UUID, data: bytes, kind: str = "photo") -> StoredImage:
    """Decode, clean and write the image files for photo_id; returns what was stored."""
    image = _decode(data, current_app.config["PHOTO_MAX_PIXELS"])
    image = ImageOps.exif_transpose(image)
    if kind == "signature":
        image = image.convert("RGBA")
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        full = io.BytesIO()
        image.save(full, "PNG", optimize=True)
        content_type = "image/png"
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
    else:
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        image = image.convert("RGB")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        full = io.BytesIO()
        # A fresh encode from pixels carries no EXIF, GPS, XMP or ICC-embedded comments.
        image.save(full, "JPEG", quality=JPEG_QUALITY, optimize=True)
        content_type = "image/jpeg"
        flat = image
    thumb = flat.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    thumb_bytes = io.BytesIO()
    thumb.save(thumb_bytes, "JPEG", quality=80)
    _write_atomically(photo_path(photo_id, "full", kind), full.getvalue())
    _write_atomically(photo_path(photo_id, "thumb", kind), thumb_bytes.getvalue())
    return StoredImage(content_type, image.width, image.height, len(full.getvalue()))


def add_photo(
    data: bytes,
    *,
    photo_id: uuid.UUID | None = None,
    kind: str = "photo",
    uploaded_by_id: int | None = None,
    caption: str = "",
):
    """Store the image files and add its Photo row to the session (the caller commits)."""
    from fieldapp.extensions import db
    from fieldapp.visits.models import Photo

    photo_id = photo_id or uuid.uuid4()
    stored = store_image(photo_id, data, kind)
    photo = Photo(
        id=photo_id,
        kind=kind,
        content_type=stored.content_type,
        width=stored.width,
        height=stored.height,
        size_bytes=stored.size_bytes,
        uploaded_by_id=uploaded_by_id,
        caption=caption[:200],
    )
    db.session.add(photo)
    return photo


def put_photo(photo_id: uuid.UUID, data: bytes, *, kind: str, uploaded_by_id: int):
    """Store a photo under the id the phone chose; sending it again is a no-op.

    Returns (photo, created). Another user's photo id is refused rather than overwritten.
    """
    import sqlalchemy as sa

    from fieldapp.errors import Forbidden
    from fieldapp.extensions import db
    from fieldapp.visits.models import PHOTO_KINDS, Photo

    if kind not in PHOTO_KINDS:
        raise Invalid.field("kind", f"Kind must be one of: {', '.join(PHOTO_KINDS)}.")
    existing = db.session.get(Photo, photo_id)
    if existing is None:
        add_photo(data, photo_id=photo_id, kind=kind, uploaded_by_id=uploaded_by_id)
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()  # the same upload arrived twice at once
        else:
            return db.session.get(Photo, photo_id), True
        existing = db.session.get(Photo, photo_id)
    if existing.uploaded_by_id != uploaded_by_id:
        raise Forbidden("That photo id belongs to someone else's upload.")
    return existing, False
