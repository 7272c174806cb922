"""Storing photos: decode and clean the upload, add its row, stage its files (flush only)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Collection

import sqlalchemy as sa
from flask import Flask, Response, abort, current_app, request

from fieldapp.errors import Forbidden, Invalid
from fieldapp.extensions import db
from fieldapp.photos.images import CleanImage, UploadLimits, clean
from fieldapp.photos.models import PHOTO_KINDS, Photo
from fieldapp.photos.storage import SIZES, FileStore, file_name, store_from_config

_STORE = "fieldapp.photos.store"
# A stored file never changes under its name (a photo's id, the logo's content hash).
A_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    """The app's one store (and so one S3 client), as STORAGE_URL names it."""
    app.extensions[_STORE] = store_from_config(app.config)


def store() -> FileStore:
    return current_app.extensions[_STORE]


def staff_limits() -> UploadLimits:
    """What a signed-in person's upload may cost to decode."""
    config = current_app.config
    return UploadLimits(config["MAX_CONTENT_LENGTH"], config["PHOTO_MAX_PIXELS"])


def public_limits() -> UploadLimits:
    """Anyone can post the public request form: its photo may cost far less."""
    config = current_app.config
    return UploadLimits(config["PUBLIC_PHOTO_MAX_BYTES"], config["PUBLIC_PHOTO_MAX_PIXELS"])


def add_photo(
    data: bytes,
    *,
    photo_id: uuid.UUID | None = None,
    kind: str = "photo",
    uploaded_by_id: int | None = None,
    caption: str = "",
    limits: UploadLimits | None = None,
) -> Photo:
    """Clean the image and add its row; its files go in place when the transaction commits."""
    if kind not in PHOTO_KINDS:
        raise Invalid.field("kind", f"Kind must be one of: {', '.join(PHOTO_KINDS)}.")
    image = clean(data, kind, limits or staff_limits())
    photo = Photo(
        id=photo_id or uuid.uuid4(),
        kind=kind,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size_bytes=len(image.full),
        uploaded_by_id=uploaded_by_id,
        caption=caption[:200],
    )
    db.session.add(photo)
    db.session.flush()
    _stage_files(photo, image)
    return photo


def _stage_files(photo: Photo, image: CleanImage, sizes: Collection[str] = SIZES) -> None:
    """Stage the photo's full image and thumbnail (or those of sizes)."""
    files = store()
    for size, data in (("full", image.full), ("thumb", image.thumbnail)):
        if size in sizes:
            files.stage(db.session(), file_name(photo.id, size, photo.kind), data)


def existing_upload(photo_id: uuid.UUID, uploaded_by_id: int) -> Photo | None:
    """The photo already stored under this id, or None; another person's id is refused."""
    photo = db.session.get(Photo, photo_id)
    if photo is not None and photo.uploaded_by_id != uploaded_by_id:
        raise Forbidden("That photo id belongs to someone else's upload.")
    return photo


def put_photo(
    photo_id: uuid.UUID, data: bytes, *, kind: str, uploaded_by_id: int
) -> tuple[Photo, bool]:
    """Store a photo under the id the phone chose; returns (photo, created).

    Sending it again changes nothing, except to store again a file of it that is missing
    (its commit could not put it in place); another person's photo id is refused, never
    overwritten. Two uploads of one id at once: the loser's insert fails, and run again it
    finds the row.
    """
    existing = existing_upload(photo_id, uploaded_by_id)
    if existing is not None:
        files = store()
        missing = [s for s in SIZES if not files.exists(file_name(existing.id, s, existing.kind))]
        if missing:
            _stage_files(existing, clean(data, existing.kind, staff_limits()), missing)
        return existing, False
    return add_photo(data, photo_id=photo_id, kind=kind, uploaded_by_id=uploaded_by_id), True


def remove_photo(photo: Photo) -> None:
    """Delete a photo and, once that commits, its files (one added by mistake)."""
    files = store()
    for size in SIZES:
        files.remove_after_commit(db.session(), file_name(photo.id, size, photo.kind))
    db.session.delete(photo)


def discard_upload(photo_id: uuid.UUID, user_id: int) -> bool:
    """The phone no longer needs a photo it uploaded (taken off a visit before saving it, or
    the visit discarded): removed unless it is already part of something. True if removed."""
    photo = existing_upload(photo_id, user_id)
    if photo is None or photo.is_attached:
        return False
    remove_photo(photo)
    return True


def photos_by_id(photo_ids) -> dict[uuid.UUID, Photo]:
    ids = set(photo_ids)
    if not ids:
        return {}
    found = db.session.scalars(sa.select(Photo).where(Photo.id.in_(ids)))
    return {photo.id: photo for photo in found}


def photo_bytes(photo: Photo, size: str) -> bytes:
    """A photo's full image or thumbnail; FileNotFoundError when it is not stored."""
    return store().read(file_name(photo.id, size, photo.kind))


def stored_file_response(name: str, mimetype: str, *, public: bool) -> Response:
    """A stored file as an answer to the request: cached for a year by the browser (public:
    by shared caches too), with an ETag, and 304 when the browser has it already; 404 when
    the file is not stored (a commit still putting it in place). A file never changes under
    its name, so the name makes the ETag, and a 304 reads nothing from the store."""
    etag = hashlib.sha256(name.encode()).hexdigest()[:32]
    response = Response(mimetype=mimetype)
    response.set_etag(etag)
    response.cache_control.max_age = A_YEAR
    response.cache_control.immutable = True
    if public:
        response.cache_control.public = True
    else:
        response.cache_control.private = True
    if request.if_none_match.contains(etag):
        return response.make_conditional(request)  # 304
    try:
        response.set_data(store().read(name))
    except FileNotFoundError:
        abort(404)
    return response
