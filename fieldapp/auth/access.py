"""Who may open what: one decorator declares each view's roles, and nothing is open by default.

Every view and API endpoint is wrapped in ``@allow(...)``. A before-request hook refuses any
endpoint that forgot to declare its roles, so a new route is closed until someone decides; it
also tells an API call without a session 401 before its CSRF token is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from fieldapp.errors import is_api_request
from fieldapp.extensions import csrf

PUBLIC = frozenset({"public"})
STAFF = frozenset({"tech", "office", "admin"})
TECH = frozenset({"tech"})
OFFICE = frozenset({"office", "admin"})
ADMIN = frozenset({"admin"})

# Flask's own static route serves CSS and JS to everyone.
UNDECLARED_OK = frozenset({"static"})


def allow(roles: Iterable[str]) -> Callable:
    """Let only these roles (or PUBLIC: anyone) reach the view."""
    allowed = frozenset(roles)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if allowed != PUBLIC:
                if not current_user.is_authenticated:
                    if is_api_request():
                        abort(401)
                    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
                if current_user.role not in allowed:
                    abort(403)
            return view(*args, **kwargs)

        guarded.allowed_roles = allowed
        return guarded

    return decorate


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def guard_request() -> None:
    """Before each request: undeclared views stay closed, an API call without a session is
    told 401, and an unsafe method must carry the CSRF token."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in UNDECLARED_OK:
        return
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "allowed_roles", None)
    if roles is None:
        current_app.logger.error("endpoint %s declares no roles; refused", endpoint)
        abort(403)
    if roles != PUBLIC and is_api_request() and not current_user.is_authenticated:
        abort(401)
    if request.method in UNSAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
