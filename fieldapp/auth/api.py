"""The signed-in user over the API."""

from flask import jsonify
from flask_login import current_user

from fieldapp.api import api, documented
from fieldapp.auth.access import STAFF, allow
from fieldapp.auth.schemas import UserSchema


@api.get("/me")
@allow(STAFF)
@documented("The signed-in user", response=UserSchema, tag="auth")
def me():
    """The user this session belongs to."""
    return jsonify(UserSchema().dump(current_user))
