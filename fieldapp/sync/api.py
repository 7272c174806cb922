"""The offline pack and the outbox sync over the API."""

from __future__ import annotations

import hashlib
import json

from flask import Response, jsonify
from flask_login import current_user
from marshmallow import ValidationError

from fieldapp.api import api, documented, load_json, unless_seen
from fieldapp.auth.access import STAFF, allow
from fieldapp.errors import error_response
from fieldapp.sync.pack import build_pack
from fieldapp.sync.schemas import SyncRequestSchema, SyncResponseSchema
from fieldapp.sync.services import Op, apply_sync_ops


@api.get("/pack")
@allow(STAFF)
@documented("The offline pack", tag="sync")
def pack():
    """Everything the phone keeps for offline work, with an ETag: a request with a matching
    If-None-Match answers 304 and sends nothing."""
    pack = build_pack(current_user)
    generated_at = pack.pop("generated_at")
    # The ETag covers the content, not the time it was built, so an unchanged pack is a 304.
    body = json.dumps(pack, sort_keys=True, separators=(",", ":"), default=str)
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]

    def answer() -> Response:
        pack["generated_at"] = generated_at
        return Response(
            json.dumps(pack, separators=(",", ":"), default=str), mimetype="application/json"
        )

    return unless_seen(etag, answer)


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
