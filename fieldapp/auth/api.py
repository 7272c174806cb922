"""The signed-in user over the API."""

from flask import jsonify
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from fieldapp.api import api, documented, load_json
from fieldapp.auth import services
from fieldapp.auth.access import STAFF, allow
from fieldapp.auth.schemas import PasswordChangeSchema, UserSchema
from fieldapp.auth.views import remembered, sign_in
from fieldapp.unit_of_work import unit_of_work


@api.get("/me")
@allow(STAFF)
@documented("The signed-in user", response=UserSchema, tag="auth")
def me():
    """The user this session belongs to."""
    return jsonify(UserSchema().dump(current_user))


@api.post("/me/password")
@allow(STAFF)
@documented("Change my password", body=PasswordChangeSchema, status=204, tag="auth")
def change_password():
    """Change the signed-in user's password; the current password is required. Every other
    session of the user ends; this one goes on with a new session cookie."""
    data = load_json(PasswordChangeSchema())
    with unit_of_work():
        services.change_own_password(current_user, data["current_password"], data["new_password"])
        sign_in(current_user._get_current_object(), remember=remembered())
    return "", 204


@api.get("/csrf-token")
@allow(STAFF)
@documented("A fresh CSRF token", tag="auth")
def csrf_token():
    """A token for the X-CSRFToken header. A page kept offline may carry one from a session
    that has since ended (a phone restart); the phone asks for a fresh one."""
    return jsonify({"token": generate_csrf()})
