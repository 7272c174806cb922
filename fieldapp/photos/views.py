"""Photo files, served to signed-in staff."""

from __future__ import annotations

import uuid

from flask import Blueprint

from fieldapp.auth.access import STAFF, allow
from fieldapp.extensions import db
from fieldapp.photos.models import Photo
from fieldapp.photos.services import stored_file_response
from fieldapp.photos.storage import file_name

bp = Blueprint("photos", __name__)


@bp.get("/photos/<uuid:photo_id>")
@bp.get("/photos/<uuid:photo_id>/<any(thumb):size>")
@allow(STAFF)
def photo(photo_id: uuid.UUID, size: str = "full"):
    """A stored photo or its thumbnail; photos never change, so they cache for long."""
    record = db.get_or_404(Photo, photo_id)
    mimetype = record.content_type if size == "full" else "image/jpeg"
    return stored_file_response(file_name(record.id, size, record.kind), mimetype, public=False)
