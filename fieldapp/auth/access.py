"""Who may open what: one decorator declares each view's roles, and nothing is open by default.

Every view and API endpoint is wrapped in ``@allow(...)``. A before-request hook refuses any
endpoint that forgot to declare its roles, so a new route is closed until someone decides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

PUBLIC = frozenset({"public"})
STAFF = frozenset({"tech", "office", "admin"})
TECH = frozenset({"tech"})
OFFICE = frozenset({"office", "admin"})
ADMIN = frozenset({"admin"})

# Flask's own static route serves CSS and JS to everyone.
UNDECLARED_OK = frozenset({"static"})


def is_api_request() -> bool:
    return request.path.startswith("/api/")


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


def refuse_undeclared_endpoints() -> None:
    """Before each request: a view without @allow is a bug, and it stays closed."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in UNDECLARED_OK:
        return
    view = current_app.view_functions.get(endpoint)
    if getattr(view, "allowed_roles", None) is None:
        current_app.logger.error("endpoint %s declares no roles; refused", endpoint)
        abort(403)
