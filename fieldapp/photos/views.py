"""Photo files, served to signed-in staff."""

from __future__ import annotations

import uuid

from flask import Blueprint, abort, send_file

from fieldapp.auth.access import STAFF, allow
from fieldapp.extensions import db
from fieldapp.photos.models import Photo
from fieldapp.photos.services import photo_file

bp = Blueprint("photos", __name__)


@bp.get("/photos/<uuid:photo_id>")
@bp.get("/photos/<uuid:photo_id>/<any(thumb):size>")
@allow(STAFF)
def photo(photo_id: uuid.UUID, size: str = "full"):
    """A stored photo or its thumbnail; photos never change, so they cache for long."""
    record = db.get_or_404(Photo, photo_id)
    path = photo_file(record, size)
    if not path.exists():
        abort(404)
    mimetype = record.content_type if size == "full" else "image/jpeg"
    response = send_file(path, mimetype=mimetype, conditional=True, max_age=31536000)
    response.cache_control.private = True
    response.cache_control.immutable = True
    return response
