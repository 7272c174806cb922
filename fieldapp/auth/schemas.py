"""JSON shapes of users at the API edge."""

from marshmallow import Schema, fields

from fieldapp.auth.services import MIN_PASSWORD_LENGTH
from fieldapp.wire import Text

MAX_PASSWORD_LENGTH = 200


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    email = fields.Email(dump_only=True)
    name = fields.String(dump_only=True)
    role = fields.String(dump_only=True)


class PasswordChangeSchema(Schema):
    current_password = Text(MAX_PASSWORD_LENGTH, required=True, load_only=True)
    new_password = Text(
        MAX_PASSWORD_LENGTH, min_length=MIN_PASSWORD_LENGTH, required=True, load_only=True
    )
