"""Applying the phone's outbox: each op in its own unit of work, through the same services the
pages use, recorded by its id so a replay is recognised and changes nothing.

No op can fail the batch: whatever one op carries, it is answered applied, duplicate or
rejected with the reason, and the ops after it are applied as usual.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import ValidationError

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.equipment.services import claim_label, resolve_code
from fieldapp.errors import Invalid, NotFound, ServiceError
from fieldapp.extensions import db
from fieldapp.inventory.restock import ask_for_restock, receive_restock, require_request
from fieldapp.inventory.schemas import (
    RestockReceiptSchema,
    RestockRequestSchema,
    StockOperationSchema,
)
from fieldapp.inventory.services import apply_stock_operation
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import (
    announce_on_the_way,
    change_job_status,
    check_may_act_on,
    find_job,
)
from fieldapp.messages.services import mark_thread_read, post_message
from fieldapp.photos.services import discard_upload
from fieldapp.sops.services import version_of
from fieldapp.sync import schemas
from fieldapp.sync.models import SyncOp
from fieldapp.training.services import sign_off_version
from fieldapp.unit_of_work import in_unit_of_work, unit_of_work
from fieldapp.visits.models import Visit
from fieldapp.visits.schemas import VisitInputSchema
from fieldapp.visits.services import (
    Recorded,
    abandon_visit,
    amend_visit,
    record_visit,
    start_visit,
)
from fieldapp.wire import flat_messages

log = logging.getLogger("fieldapp.sync")


@dataclass(frozen=True)
class Op:
    id: uuid.UUID
    type: str
    payload: dict

    @property
    def fingerprint(self) -> str:
        """What the op asks for, so one id sent for two different ops is told apart."""
        canonical = json.dumps([self.type, self.payload], sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _job(number: str) -> Job:
    job = find_job(number)
    if job is None:
        raise NotFound(f"There is no job {number}.", {"job": [f"There is no job {number}."]})
    return job


def _visit_start(payload: dict, user: User) -> str:
    data = schemas.VisitStartSchema().load(payload)
    found = resolve_code(data["equipment"])
    if found.equipment is None or found.state not in ("active", "revoked"):
        raise Invalid.field("equipment", "No plotter has that label.")
    job = _job(data["job"]) if data["job"] else None
    # The version the phone had (an offline phone may not have seen a newer one yet).
    version = version_of(data["sop"], data["version"]) if data["sop"] else None
    if data["sop"] and version is None:
        which = f" version {data['version']}" if data["version"] else ""
        raise Invalid.field("sop", f"There is no SOP “{data['sop']}”{which}.")
    if db.session.get(Visit, data["id"]) is not None:
        start_visit(visit_id=data["id"], equipment=found.equipment, tech=user)
        return "duplicate"
    start_visit(
        visit_id=data["id"],
        equipment=found.equipment,
        tech=user,
        job=job,
        sop_version=version,
        started_at=data["started_at"],
        source="sync",
    )
    return "applied"


def _visit_record(payload: dict, user: User) -> tuple[str, dict]:
    data = VisitInputSchema().load(payload)
    recorded = record_visit(data, tech=user, source="sync")
    return ("duplicate" if recorded.duplicate else "applied"), _visit_outcome(recorded)


def _visit_amend(payload: dict, user: User) -> tuple[str, dict]:
    recorded = amend_visit(VisitInputSchema().load(payload), tech=user)
    return "applied", _visit_outcome(recorded)


def _visit_outcome(recorded: Recorded) -> dict:
    """What the phone tells the tech once the visit is in: where the job went, and the
    follow-up jobs the visit opened."""
    job = recorded.visit.job
    return {
        "job": job.number if job else None,
        "job_status": job.status if job else None,
        "job_note": recorded.job_note,
        "follow_up_jobs": [job.number for job in recorded.follow_up_jobs],
    }


def _visit_abandon(payload: dict, user: User) -> str:
    """The tech discarded a visit on the phone: its start on the server goes too."""
    visit = db.session.get(Visit, schemas.VisitRefSchema().load(payload)["id"])
    if visit is None or visit.status != "in_progress":
        return "duplicate"  # never started here, or already finished: nothing to undo
    abandon_visit(visit, tech=user)
    return "applied"


def _photo_discard(payload: dict, user: User) -> str:
    data = schemas.PhotoDiscardSchema().load(payload)
    for photo_id in data["photos"]:
        discard_upload(photo_id, user.id)
    return "applied"


def _job_status(payload: dict, user: User) -> str:
    data = schemas.JobStatusSchema().load(payload)
    job = _job(data["job"])
    check_may_act_on(user, job)
    if job.status == data["status"]:
        return "duplicate"
    change_job_status(job, data["status"], actor_id=user.id, at=data["at"], reason=data["reason"])
    return "applied"


def _job_on_the_way(payload: dict, user: User) -> str:
    data = schemas.OnTheWaySchema().load(payload)
    return "applied" if announce_on_the_way(_job(data["job"]), user, data["at"]) else "duplicate"


def _message_post(payload: dict, user: User) -> str:
    data = schemas.MessagePostSchema().load(payload)
    _, created = post_message(
        _job(data["job"]), user, data["body"], message_id=data["id"], photo_ids=data["photos"]
    )
    return "applied" if created else "duplicate"


def _thread_read(payload: dict, user: User) -> str:
    data = schemas.ThreadReadSchema().load(payload)
    mark_thread_read(_job(data["job"]), user, data["at"])
    return "applied"


def _label_claim(payload: dict, user: User) -> str:
    data = schemas.LabelClaimSchema().load(payload)
    found = resolve_code(data["token"])
    if found.state == "active" and data["equipment_id"] == found.equipment.id:
        return "duplicate"  # already linked as asked
    claim_label(
        data["token"],
        actor_id=user.id,
        equipment_id=data["equipment_id"],
        new_equipment=data["new_equipment"],
    )
    return "applied"


def _sop_signoff(payload: dict, user: User) -> str:
    data = schemas.SopSignoffSchema().load(payload)
    _, created = sign_off_version(user, data["sop"], data["version"], at=data["at"])
    return "applied" if created else "duplicate"


def _stock_movement(payload: dict, user: User) -> tuple[str, dict]:
    """A receive, transfer, count, adjust or return, as POST /api/v1/stock/movements takes
    it (a tech may count their own van). Its own id makes it once-only: the same operation
    resent under another op id is a duplicate, a different one under the same id refused."""
    applied = apply_stock_operation(StockOperationSchema().load(payload), user)
    return ("duplicate" if applied.duplicate else "applied"), {"levels": applied.levels}


def _restock_request(payload: dict, user: User) -> tuple[str, dict]:
    """A tech asks for parts for their van (the request's own id makes it once-only)."""
    request, again = ask_for_restock(RestockRequestSchema().load(payload), user)
    return ("duplicate" if again else "applied"), {"reference": request.reference}


def _restock_receive(payload: dict, user: User) -> str:
    """The tech confirms what reached the van; a second confirmation changes nothing."""
    data = RestockReceiptSchema().load(payload)
    request = require_request(data["request"])
    received = {line["sku"]: line["quantity"] for line in data["lines"]}
    return "duplicate" if receive_restock(request, received, tech=user) else "applied"


HANDLERS: dict[str, Callable[[dict, User], str | tuple[str, dict]]] = {
    "visit.start": _visit_start,
    "visit.record": _visit_record,
    "visit.amend": _visit_amend,
    "visit.abandon": _visit_abandon,
    "photo.discard": _photo_discard,
    "job.status": _job_status,
    "job.on_the_way": _job_on_the_way,
    "message.post": _message_post,
    "thread.read": _thread_read,
    "label.claim": _label_claim,
    "sop.signoff": _sop_signoff,
    "stock.movement": _stock_movement,
    "restock.request": _restock_request,
    "restock.receive": _restock_receive,
}


def apply_sync_ops(ops: list[Op], user: User) -> list[dict]:
    """Apply the ops in order; one op's failure never stops the others."""
    return [apply_op(op, user) for op in ops]


def apply_op(op: Op, user: User) -> dict:
    """Apply one op in its own unit of work: applied, duplicate, or rejected with the reason."""
    try:
        return in_unit_of_work(lambda: _apply(op, user))
    except (ServiceError, ValidationError) as exc:
        reason, fields = _explain(exc)
    except Exception:
        # Not a rule the op broke but a fault of ours: refuse this op alone, keep the batch.
        log.exception("sync op %s (%s) from user %s failed", op.id, op.type, user.id)
        reason, fields = "The server could not apply this change; the office has been told.", {}
    with unit_of_work():
        known = db.session.get(SyncOp, op.id)
        told = known is not None and known.result == "rejected"  # a resend of a refused op
        _remember(op, user, "rejected", reason)
        if op.type.startswith("visit.") and not told:
            record_event(
                "sync.refused",
                "sync_op",
                op.id,
                f"{user.name}'s phone sent a visit the server refused: {reason}",
                actor_id=user.id,
            )
    return _result(op, "rejected", reason, fields)


def _apply(op: Op, user: User) -> dict:
    known = db.session.get(SyncOp, op.id)
    if known is not None:
        if known.user_id != user.id:
            return _result(op, "rejected", "That operation id was already used by someone else.")
        if known.fingerprint and known.fingerprint != op.fingerprint:
            return _result(
                op, "rejected", "That operation id was already used for a different change."
            )
        if known.result == "applied":
            return _result(op, "duplicate")
    handler = HANDLERS.get(op.type)
    if handler is None:
        raise Invalid.field("type", f"Unknown operation “{op.type}”.")
    answer = handler(op.payload, user)
    status, data = answer if isinstance(answer, tuple) else (answer, None)
    _remember(op, user, "applied")
    return _result(op, status, data=data)


def _explain(exc: Exception) -> tuple[str, dict]:
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"payload": exc.messages}
        flat = flat_messages(messages)
        first = next(iter(flat.items()), ("payload", ["invalid"]))
        return f"{first[0]}: {' '.join(first[1])}"[:400], flat
    fields = exc.fields or {}
    reason = exc.message
    if fields and reason.endswith(("not complete.", "need attention.")):
        reason = " ".join(" ".join(msgs) for msgs in fields.values())
    return reason[:400], fields


def _remember(op: Op, user: User, result: str, reason: str = "") -> None:
    known = db.session.get(SyncOp, op.id)
    if known is None:
        db.session.add(
            SyncOp(
                id=op.id,
                user_id=user.id,
                type=op.type[:32],
                fingerprint=op.fingerprint,
                result=result,
                reason=reason[:400],
            )
        )
    elif known.user_id == user.id and known.fingerprint in (None, op.fingerprint):
        known.result, known.reason = result, reason[:400]


def _result(
    op: Op, status: str, reason: str = "", fields: dict | None = None, data: dict | None = None
) -> dict:
    result = {"id": str(op.id), "status": status}
    if reason:
        result["reason"] = reason
    if fields:
        result["fields"] = fields
    if data:
        result["data"] = data
    return result
