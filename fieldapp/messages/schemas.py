"""JSON shapes of job-thread messages at the API edge."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldapp.messages.services import MAX_BODY, MAX_PHOTOS
from fieldapp.photos.schemas import PhotoLinksSchema
from fieldapp.wire import Instant, Text


class MessageInputSchema(Schema):
    """A message as the phone sends it; the author is the signed-in user."""

    id = fields.UUID(required=True, metadata={"description": "made by the client; resends match"})
    body = Text(MAX_BODY, min_length=1, required=True)
    photos = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=MAX_PHOTOS),
        metadata={"description": "ids of photos already uploaded with PUT /api/v1/photos/<id>"},
    )


class AuthorSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    role = fields.String()


class MessageSchema(Schema):
    id = fields.UUID()
    job = fields.String()
    author = fields.Nested(AuthorSchema)
    body = fields.String()
    created_at = fields.DateTime()
    photos = fields.List(fields.Nested(PhotoLinksSchema))
    seen_by = fields.List(
        fields.Nested(AuthorSchema),
        dump_default=list,
        metadata={"description": "who besides the author has read the thread past this message"},
    )


class MessageResultSchema(MessageSchema):
    duplicate = fields.Boolean()


class ThreadSchema(Schema):
    job = fields.String()
    messages = fields.List(fields.Nested(MessageSchema))


class ReadMarkSchema(Schema):
    """How far the person has read: the newest message the page showed them."""

    at = Instant(load_default=None, allow_none=True)
