"""The offline pack and the outbox sync over the API."""

from __future__ import annotations

import hashlib
import json

from flask import Response, jsonify, request
from flask_login import current_user
from marshmallow import ValidationError

from fieldapp.api import api, documented, load_json, unless_seen
from fieldapp.auth.access import STAFF, allow
from fieldapp.errors import error_response
from fieldapp.sync.cursor import parse_cursor
from fieldapp.sync.pack import build_delta, build_pack
from fieldapp.sync.schemas import PackQuerySchema, SyncRequestSchema, SyncResponseSchema
from fieldapp.sync.services import Op, apply_sync_ops


@api.get("/pack")
@allow(STAFF)
@documented("The offline pack", query=PackQuerySchema, tag="sync")
def pack():
    """Everything the phone keeps for offline work ("delta": false), with a cursor and an
    ETag: a request with a matching If-None-Match answers 304 and sends nothing. With
    since=<cursor>, only what changed since that pack ("delta": true): the changed records
    whole, "removed" ids, and a new cursor; a full pack when the cursor is too old or not
    this database's. A since that is no cursor of ours is a 400."""
    since = request.args.get("since")
    if since is not None:
        cursor = parse_cursor(since)
        delta = build_delta(current_user, cursor) if cursor is not None else None
        if delta is not None:
            response = _json(delta)
            response.headers["Cache-Control"] = "private, no-cache"
            return response
    pack = build_pack(current_user)
    # The ETag covers the content, not when it was built nor the cursor, so an unchanged
    # pack is a 304 (a phone keeping its older cursor is only sent a little more next time).
    moving = {name: pack.pop(name) for name in ("generated_at", "cursor")}
    body = json.dumps(pack, sort_keys=True, separators=(",", ":"), default=str)
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]

    def answer() -> Response:
        return _json({**pack, **moving})

    return unless_seen(etag, answer)


def _json(body: dict) -> Response:
    return Response(
        json.dumps(body, separators=(",", ":"), default=str), mimetype="application/json"
    )


@api.post("/sync")
@allow(STAFF)
@documented("Apply outbox ops", body=SyncRequestSchema, response=SyncResponseSchema, tag="sync")
def sync():
    """Apply a batch of ops in order, each in its own transaction. Answers 200 with one
    result per op: applied, duplicate, or rejected with the reason. A malformed envelope is
    a 400; a bad op is a rejected result, never a failed batch."""
    try:
        envelope = load_json(SyncRequestSchema())
    except ValidationError as exc:
        return error_response(400, "The sync envelope is malformed.", exc.messages)
    ops = [Op(op["id"], op["type"], op["payload"]) for op in envelope["ops"]]
    return jsonify({"results": apply_sync_ops(ops, current_user)})
