"""Errors: what services raise, and the app-level handlers (JSON for /api/, pages otherwise)."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, g, has_request_context, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from fieldapp.unit_of_work import roll_back

log = logging.getLogger("fieldapp.errors")

# A page that needs nothing (no template, no database): what an error shows when even the
# error page fails, so a failure never turns into a second, bare one.
BARE_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Something went wrong</title>'
    "<h1>Something went wrong</h1><p>{message}</p><p>Request id: <code>{request_id}</code></p>"
    '<p><a href="/">Go to the start page</a></p></html>'
)


def request_id() -> str:
    """This request's id: on every error page and API error, in the log and in the
    X-Request-Id header, so what a user reports can be found in the log."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        g.request_id = secrets.token_hex(6)
    return g.request_id


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class ServiceError(Exception):
    """A request the domain refuses, with a message a user can act on."""

    status = 422
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class Invalid(ServiceError):
    """The data breaks a rule; fields name which inputs and why."""

    status = 422
    code = "validation_error"

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls(message, {name: [message]})


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Throttled(ServiceError):
    status = 429
    code = "too_many_requests"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
}

FRIENDLY = {
    400: "The request could not be understood.",
    401: "Sign in to continue.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    413: "That upload is too large.",
    429: "Too many attempts. Wait a little and try again.",
    500: "Something went wrong on our side. Your data is safe; try again in a moment.",
}


def error_body(status: int, message: str, fields: dict | None = None, code: str | None = None):
    body = {"error": {"code": code or HTTP_CODES.get(status, "error"), "message": message}}
    if status >= 500:
        body["error"]["request_id"] = request_id()
    if fields:
        body["error"]["fields"] = fields
    return body


def error_response(status: int, message: str, fields: dict | None = None, code: str | None = None):
    """JSON for the API, a page in the layout otherwise. The request's transaction is rolled
    back first: a failure at flush leaves the session unusable until then, and the page
    (its navigation badges) reads the database. If the page itself fails (the database is
    gone), a bare page says the same, with the request id."""
    try:
        roll_back()
    except Exception:  # a dead connection: the page below must still be shown
        log.exception("rollback failed [request %s]", request_id())
    if is_api_request():
        return make_response(jsonify(error_body(status, message, fields, code)), status)
    template = f"errors/{status}.html" if status in (403, 404, 413, 500) else "errors/generic.html"
    try:
        page = render_template(
            template, status=status, message=message, fields=fields, request_id=request_id()
        )
    except Exception:
        log.exception("the error page failed too [request %s]", request_id())
        page = BARE_PAGE.format(message=FRIENDLY[500], request_id=request_id())
    return make_response(page, status)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return error_response(exc.status, exc.message, exc.fields, exc.code)

    @app.errorhandler(ValidationError)
    def schema_error(exc: ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return error_response(422, "Some fields are not valid.", messages)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        message = (
            "This form's security token is missing or expired. Reload the page and try again; "
            "nothing was saved."
        )
        return error_response(400, message, code="csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        message = FRIENDLY.get(status, exc.description or exc.name)
        if (
            exc.description
            and status in (400, 404, 413, 422)
            and exc.description != type(exc).description
        ):
            message = exc.description
        response = error_response(status, message)
        if status == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return http_error(exc)
        app.logger.exception(
            "unhandled error on %s %s [request %s]", request.method, request.path, request_id()
        )
        return error_response(500, FRIENDLY[500])

    @app.after_request
    def name_the_request(response):
        if "request_id" in g:
            response.headers["X-Request-Id"] = g.request_id
        return response
