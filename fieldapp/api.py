"""The JSON API's edge: the /api/v1 blueprint, body loading, and the generated OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Response, current_app, jsonify, request
from marshmallow import Schema, fields
from werkzeug.exceptions import BadRequest

from fieldapp.auth.access import PUBLIC, allow
from fieldapp.wire import Whole

api = Blueprint("api", __name__, url_prefix="/api/v1")


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    # Before "fields", which hides marshmallow's module inside the class body.
    request_id = fields.String(
        metadata={"description": "on a 500: the id the server's log names the failure by"}
    )
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class EventsAfterSchema(Schema):
    """A feed's query: the newest event id the poller has seen."""

    after = Whole(
        0, strict=False, load_default=0, metadata={"description": "the newest event id seen"}
    )


def unless_seen(etag: str, answer: Callable[[], Response]) -> Response:
    """What a poll gets: 304 and nothing more when If-None-Match holds etag, else answer()'s
    response; either way with the ETag, to be asked again each time (private, no-cache)."""
    response = Response(status=304) if etag in request.if_none_match else answer()
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def load_json(schema: Schema) -> dict:
    """The request's JSON body loaded by the schema: 400 if it is not JSON, 422 if invalid."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes: not a document we take
        payload = None
    if payload is None:
        raise BadRequest("The request body must be a JSON document.")
    return schema.load(payload)


def documented(
    summary: str,
    *,
    body: type[Schema] | Schema | None = None,
    response: type[Schema] | Schema | None = None,
    query: type[Schema] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    tag: str = "general",
) -> Callable:
    """Attach what the OpenAPI document needs to an API view; the document is built from it.

    errors names the error statuses the view answers beyond those every view of its kind can
    (400; 401 and 403 unless public; 404 with a path parameter; 413 and 422 with a body).
    """

    def decorate(view: Callable) -> Callable:
        view.openapi = {
            "summary": summary,
            "description": (view.__doc__ or "").strip(),
            "body": body,
            "response": response,
            "query": query,
            "status": status,
            "errors": errors,
            "tag": tag,
        }
        return view

    return decorate


_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def build_openapi_spec(app) -> dict:
    """An OpenAPI 3 document from the marshmallow schemas attached to every API view."""
    spec = APISpec(
        title="FieldApp API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Session-cookie authentication; unsafe methods need the X-CSRFToken "
            "header (the token is in each page's csrf-token meta tag)."
        },
    )
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.security_scheme(
        "session", {"type": "apiKey", "in": "cookie", "name": "session"}
    )
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.endpoint.startswith("api."):
            continue
        view = app.view_functions[rule.endpoint]
        doc = getattr(view, "openapi", None)
        if doc is None:
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        operations = {}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operations[method.lower()] = _operation(rule, view, doc, method.lower())
        spec.path(path=path, operations=operations)
    return spec.to_dict()


ERROR_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Not signed in",
    403: "Not allowed for this person",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Invalid data",
    429: "Too many requests",
}


def error_statuses(rule, view, doc: dict, method: str) -> list[int]:
    """Every error status this operation can answer."""
    statuses = {400, *doc["errors"]}
    if getattr(view, "allowed_roles", None) != PUBLIC:
        statuses |= {401, 403}
    if rule.arguments:
        statuses.add(404)
    if doc["query"] is not None:
        statuses.add(422)
    if doc["body"] is not None or method in ("post", "put", "patch"):
        statuses |= {413, 422}
    return sorted(statuses)


def _path_schema(rule, name: str) -> dict:
    """A path parameter as its URL converter takes it (any other value is a 404)."""
    converter = type(rule._converters.get(name)).__name__
    if converter == "UUIDConverter":
        return {"type": "string", "format": "uuid"}
    if converter == "IntegerConverter":
        return {"type": "integer", "minimum": 0}
    return {"type": "string"}


def _operation(rule, view, doc: dict, method: str) -> dict:
    error = {"content": {"application/json": {"schema": "Error"}}}
    success: dict = {"description": "OK"}
    if doc["response"] is not None:
        success["content"] = {"application/json": {"schema": doc["response"]}}
    responses = {str(doc["status"]): success}
    if doc["status"] == 201:
        responses["200"] = {**success, "description": "Already there (a resend)"}
    for status in error_statuses(rule, view, doc, method):
        responses[str(status)] = {"description": ERROR_DESCRIPTIONS[status], **error}
    operation: dict = {"summary": doc["summary"], "tags": [doc["tag"]], "responses": responses}
    if doc["description"]:
        operation["description"] = doc["description"]
    if getattr(view, "allowed_roles", None) != PUBLIC:
        operation["security"] = [{"session": []}]
    parameters = [
        {"in": "path", "name": name, "required": True, "schema": _path_schema(rule, name)}
        for name in sorted(rule.arguments)
    ]
    if parameters:
        operation["parameters"] = parameters
    if doc["query"] is not None:
        operation.setdefault("parameters", []).append({"in": "query", "schema": doc["query"]})
    if doc["body"] is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": doc["body"]}},
        }
    return operation


@api.get("/openapi.json")
@allow(PUBLIC)
def openapi_document():
    """The OpenAPI 3 document of this API."""
    return jsonify(build_openapi_spec(current_app))
