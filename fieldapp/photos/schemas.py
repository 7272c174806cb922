"""JSON shapes of photos that other features' answers embed."""

from __future__ import annotations

from marshmallow import Schema, fields


class PhotoLinksSchema(Schema):
    """Where a photo and its thumbnail are served (photo_links()), as messages and SOP steps
    list their photos."""

    id = fields.UUID()
    url = fields.String()
    thumbnail_url = fields.String()
