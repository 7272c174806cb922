"""JSON shapes of users at the API edge."""

from marshmallow import Schema, fields


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)
