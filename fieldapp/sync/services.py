"""Applying the phone's outbox: each op in its own transaction, through the same services the
pages use, recorded by its id so a replay is recognised and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from marshmallow import ValidationError

from fieldapp.auth.models import User
from fieldapp.equipment.services import claim_label, resolve_code
from fieldapp.errors import Forbidden, Invalid, NotFound, ServiceError
from fieldapp.extensions import db
from fieldapp.jobs.services import change_job_status, find_job
from fieldapp.messages.services import post_message
from fieldapp.sops.services import version_of
from fieldapp.sync import schemas
from fieldapp.sync.models import SyncOp
from fieldapp.visits.schemas import VisitInputSchema
from fieldapp.visits.services import record_visit, start_visit


@dataclass(frozen=True)
class Op:
    id: uuid.UUID
    type: str
    payload: dict


def _visit_start(payload: dict, user: User) -> str:
    data = schemas.VisitStartSchema().load(payload)
    found = resolve_code(data["equipment"])
    if found.equipment is None or found.state not in ("active", "revoked"):
        raise Invalid.field("equipment", "No plotter has that label.")
    job = find_job(data["job"]) if data["job"] else None
    if data["job"] and job is None:
        raise Invalid.field("job", f"There is no job {data['job']}.")
    version = version_of(data["sop"]) if data["sop"] else None
    if data["sop"] and version is None:
        raise Invalid.field("sop", f"There is no SOP “{data['sop']}”.")
    from fieldapp.visits.models import Visit

    if db.session.get(Visit, data["id"]) is not None:
        start_visit(visit_id=data["id"], equipment=found.equipment, tech=user, commit=False)
        return "duplicate"
    start_visit(
        visit_id=data["id"],
        equipment=found.equipment,
        tech=user,
        job=job,
        sop_version=version,
        started_at=data["started_at"],
        source="sync",
        commit=False,
    )
    return "applied"


def _visit_record(payload: dict, user: User) -> str:
    data = VisitInputSchema().load(payload)
    recorded = record_visit(data, tech=user, source="sync", commit=False)
    return "duplicate" if recorded.duplicate else "applied"


def _job_status(payload: dict, user: User) -> str:
    data = schemas.JobStatusSchema().load(payload)
    job = find_job(data["job"])
    if job is None:
        raise NotFound(f"There is no job {data['job']}.")
    if not user.is_office and job.assigned_to_id != user.id:
        raise Forbidden(f"{job.number} is not assigned to you.")
    if job.status == data["status"]:
        return "duplicate"
    change_job_status(job, data["status"], actor_id=user.id, at=data["at"], reason=data["reason"])
    return "applied"


def _message_post(payload: dict, user: User) -> str:
    data = schemas.MessagePostSchema().load(payload)
    job = find_job(data["job"])
    if job is None:
        raise NotFound(f"There is no job {data['job']}.")
    _, created = post_message(
        job,
        user,
        data["body"],
        message_id=data["id"],
        photo_ids=data["photos"],
        commit=False,
    )
    return "applied" if created else "duplicate"


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
        commit=False,
    )
    return "applied"


HANDLERS: dict[str, Callable[[dict, User], str]] = {
    "visit.start": _visit_start,
    "visit.record": _visit_record,
    "job.status": _job_status,
    "message.post": _message_post,
    "label.claim": _label_claim,
}


def apply_sync_ops(ops: list[Op], user: User) -> list[dict]:
    """Apply the ops in order; one op's failure never stops the others."""
    return [apply_op(op, user) for op in ops]


def apply_op(op: Op, user: User) -> dict:
    """Apply one op in its own transaction: applied, duplicate, or rejected with the reason."""
    known = db.session.get(SyncOp, op.id)
    if known is not None:
        if known.user_id != user.id:
            return _result(op, "rejected", "That operation id was already used by someone else.")
        if known.result == "applied":
            return _result(op, "duplicate")
    handler = HANDLERS.get(op.type)
    try:
        if handler is None:
            raise Invalid.field("type", f"Unknown operation “{op.type}”.")
        status = handler(op.payload, user)
        _remember(op, user, known, "applied")
        db.session.commit()
        return _result(op, status)
    except (ServiceError, ValidationError) as exc:
        db.session.rollback()
        reason, fields = _explain(exc)
        _remember(op, user, db.session.get(SyncOp, op.id), "rejected", reason)
        db.session.commit()
        return _result(op, "rejected", reason, fields)
    except sa.exc.IntegrityError:
        # The same op (or visit) was applied by a parallel request a moment ago.
        db.session.rollback()
        again = db.session.get(SyncOp, op.id)
        if again is not None and again.result == "applied":
            return _result(op, "duplicate")
        raise


def _explain(exc: Exception) -> tuple[str, dict]:
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"payload": exc.messages}
        flat = _flatten(messages)
        first = next(iter(flat.items()), ("payload", ["invalid"]))
        return f"{first[0]}: {' '.join(first[1])}", flat
    fields = exc.fields or {}
    reason = exc.message
    if fields and reason.endswith(("not complete.", "need attention.")):
        reason = " ".join(" ".join(msgs) for msgs in fields.values())
    return reason[:400], fields


def _flatten(messages: dict, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    return flat


def _remember(op: Op, user: User, known: SyncOp | None, result: str, reason: str = "") -> None:
    if known is None:
        db.session.add(
            SyncOp(id=op.id, user_id=user.id, type=op.type[:32], result=result, reason=reason[:400])
        )
    else:
        known.result, known.reason = result, reason[:400]


def _result(op: Op, status: str, reason: str = "", fields: dict | None = None) -> dict:
    result = {"id": str(op.id), "status": status}
    if reason:
        result["reason"] = reason
    if fields:
        result["fields"] = fields
    return result
