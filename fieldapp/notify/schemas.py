"""The push subscription a browser sends (PushSubscription.toJSON()), at the API edge."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from fieldapp.notify.push import ENDPOINT_MAX
from fieldapp.wire import Text

# The browser's keys, base64url: a P-256 public point (65 bytes) and a 16-byte secret.
_KEY = validate.Regexp(r"^[A-Za-z0-9_-]+={0,2}$", error="Not a base64url key.")


class PushKeysSchema(Schema):
    p256dh = Text(
        100,
        min_length=1,
        required=True,
        validate=[validate.Length(min=80, error="Not a P-256 public key."), _KEY],
    )
    auth = Text(
        40,
        min_length=1,
        required=True,
        validate=[validate.Length(min=16, error="Not a 16-byte secret."), _KEY],
    )


class PushSubscriptionSchema(Schema):
    endpoint = Text(ENDPOINT_MAX, min_length=1, required=True)
    expirationTime = fields.Raw(load_default=None, allow_none=True)  # noqa: N815 (the browser's)
    keys = fields.Nested(PushKeysSchema, required=True)


class PushEndpointSchema(Schema):
    endpoint = Text(ENDPOINT_MAX, min_length=1, required=True)
