"""Turning uploaded bytes into a clean image: decoded with Pillow, upright, without metadata.

Nothing the client sends is stored as-is: the image is decoded, its EXIF orientation applied,
every piece of metadata (GPS included) dropped by re-encoding, its size capped, and a 320 px
thumbnail made. The pixel limit is checked per call from the header, before any pixel is
decoded; Pillow's process-wide MAX_IMAGE_PIXELS is never touched (workers are threaded).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from fieldapp.errors import Invalid

THUMB_SIZE = 320
MAX_SIDE = 2048
JPEG_QUALITY = 85
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "MPO"}


@dataclass(frozen=True)
class CleanImage:
    """What is stored for one upload: the cleaned full image and its thumbnail."""

    full: bytes
    thumbnail: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class UploadLimits:
    """How much decoding work one upload may cause."""

    max_bytes: int
    max_pixels: int


def _too_many_pixels(limits: UploadLimits, what: str) -> Invalid:
    return Invalid.field(
        what,
        f"That image has too many pixels to be a {what} "
        f"(the limit is {limits.max_pixels // 1_000_000} megapixels).",
    )


def decode(data: bytes, limits: UploadLimits, what: str = "photo") -> Image.Image:
    """The decoded image, or Invalid (on the field named by what: photo, logo) with a
    message a person can act on."""
    if not data:
        raise Invalid.field(what, f"The {what} is empty. Take or choose it again.")
    if len(data) > limits.max_bytes:
        raise Invalid.field(
            what,
            f"That file is larger than {limits.max_bytes // (1024 * 1024)} MB; "
            f"send a smaller {what}.",
        )
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        if image.format not in ALLOWED_FORMATS:
            raise Invalid.field(
                what, f"{image.format} images are not accepted; send a JPEG or PNG {what}."
            )
        width, height = image.size
        if width * height > limits.max_pixels:
            raise _too_many_pixels(limits, what)
        # A JPEG can be decoded at a fraction of its size: far less memory and time.
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own check, beyond our limit anyway (a warning is raised under -W error).
        raise _too_many_pixels(limits, what) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Invalid.field(
            what, f"That file is not a {what} we can read. Send a JPEG or PNG image."
        ) from exc
    return image


def clean(data: bytes, kind: str, limits: UploadLimits) -> CleanImage:
    """Decode, turn upright, strip, shrink and thumbnail one upload."""
    image = ImageOps.exif_transpose(decode(data, limits))
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
    return CleanImage(full.getvalue(), thumb_bytes.getvalue(), content_type, *image.size)


LOGO_BOX = (800, 300)


def clean_logo(data: bytes, limits: UploadLimits) -> bytes:
    """A company logo as a stripped PNG that fits a letterhead (transparency kept)."""
    image = decode(data, limits, "logo").convert("RGBA")
    image.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
