"""Photo uploads over the API: the phone uploads each photo under its own id, before the visit
or message that uses it."""

from __future__ import annotations

import uuid

from flask import jsonify, request, url_for
from flask_login import current_user
from marshmallow import Schema, fields

from fieldapp.api import api, documented
from fieldapp.auth.access import STAFF, allow
from fieldapp.photos.models import Photo
from fieldapp.photos.services import put_photo
from fieldapp.unit_of_work import in_unit_of_work


class PhotoSchema(Schema):
    id = fields.UUID()
    kind = fields.String()
    content_type = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    url = fields.String()
    thumbnail_url = fields.String()


def photo_links(photo: Photo) -> dict:
    """Where a photo and its thumbnail are served."""
    return {
        "id": photo.id,
        "url": url_for("photos.photo", photo_id=photo.id),
        "thumbnail_url": url_for("photos.photo", photo_id=photo.id, size="thumb"),
    }


@api.put("/photos/<uuid:photo_id>")
@allow(STAFF)
@documented(
    "Upload a photo under a client-made id",
    response=PhotoSchema,
    status=201,
    errors=(403, 409, 413, 422),
    tag="photos",
)
def upload_photo(photo_id: uuid.UUID):
    """The body is the image itself (JPEG or PNG); `?kind=signature` for a sign-off. Sending
    the same id again answers 200 and stores nothing new."""
    data = request.get_data(cache=False)
    photo, created = in_unit_of_work(
        lambda: put_photo(
            photo_id,
            data,
            kind=request.args.get("kind", "photo"),
            uploaded_by_id=current_user.id,
        )
    )
    body = PhotoSchema().dump(
        {
            **photo_links(photo),
            "kind": photo.kind,
            "content_type": photo.content_type,
            "width": photo.width,
            "height": photo.height,
        }
    )
    return jsonify(body), (201 if created else 200)
