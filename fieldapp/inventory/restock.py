"""Van restock: a tech asks (from the phone, offline too, under the id the phone made), the
office picks (a transfer from the warehouse, possibly less than asked), the tech confirms
what arrived; parts missing on arrival are written off the van and flagged to the office."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Conflict, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.inventory.models import RestockLine, RestockRequest
from fieldapp.inventory.services import (
    NO_WAREHOUSE,
    part_by_sku,
    record_movement,
    transfer,
    van_of,
    warehouse,
)
from fieldapp.unit_of_work import savepoint

NO_VAN = "You have no van set up; ask the office to give you one."


def ask_for_restock(data: dict, tech: User) -> tuple[RestockRequest, bool]:
    """A tech's request for their van (loaded by RestockRequestSchema); the same id again is
    the same request. Returns the request and whether it was there already."""
    earlier = db.session.get(RestockRequest, data["id"])
    if earlier is not None:
        return _same_request(earlier, tech), True
    van = van_of(tech.id)
    if van is None or not van.active:
        raise Invalid.field("lines", NO_VAN)
    asked: dict[int, RestockLine] = {}
    for index, line in enumerate(data["lines"]):
        part = part_by_sku(line["sku"])
        if part is None or not part.active:
            raise Invalid.field(
                f"lines.{index}.sku", f"There is no part with the number {line['sku']}."
            )
        if part.id in asked:
            asked[part.id].asked += line["quantity"]
        else:
            asked[part.id] = RestockLine(part=part, asked=line["quantity"])
    request = RestockRequest(
        id=data["id"],
        van=van,
        tech_id=tech.id,
        note=data.get("note", ""),
        lines=list(asked.values()),
    )
    try:
        with savepoint():
            db.session.add(request)
    except sa.exc.IntegrityError:
        earlier = db.session.get(RestockRequest, data["id"])
        if earlier is None:
            raise
        return _same_request(earlier, tech), True
    count = sum(line.asked for line in request.lines)
    record_event(
        "restock.requested",
        "restock",
        request.reference,
        f"{tech.name} asked for {count} part{'s' if count != 1 else ''} for {van.name}",
        actor_id=tech.id,
    )
    return request, False


def _same_request(earlier: RestockRequest, tech: User) -> RestockRequest:
    if earlier.tech_id != tech.id:
        raise Conflict("This request id was already used by someone else.")
    return earlier


def require_request(request_id) -> RestockRequest:
    request = db.session.get(RestockRequest, request_id)
    if request is None:
        raise NotFound("There is no such restock request.")
    return request


def pick_restock(request: RestockRequest, sent: dict[int, int], *, actor: User) -> int:
    """The office sends what it can: sent maps line ids to quantities (0 for none); each
    sent part moves from the warehouse into the van. Returns how many parts were sent."""
    _lock(request)
    if not request.van.active:
        raise Invalid(f"{request.van.name} is no longer in use; cancel {request.reference}.")
    if request.state != "open":
        raise Invalid(f"{request.reference} was {request.state} already.")
    store = warehouse()
    if store is None:
        raise Invalid(NO_WAREHOUSE)
    total = 0
    for line in request.lines:
        quantity = sent.get(line.id, 0)
        if quantity < 0:
            raise Invalid.field(f"sent-{line.id}", "Send 0 or more.")
        line.sent = quantity
        total += quantity
    if total == 0:
        raise Invalid("Send at least one part, or cancel the request.")
    for line in request.lines:
        if line.sent:
            transfer(
                line.part,
                store,
                request.van,
                line.sent,
                actor_id=actor.id,
                reason=f"Restock {request.reference}",
            )
    request.state, request.picked_at, request.picked_by_id = "picked", utcnow(), actor.id
    record_event(
        "restock.picked",
        "restock",
        request.id,
        f"{actor.name} sent {total} part{'s' if total != 1 else ''} to {request.van.name}",
        actor_id=actor.id,
    )
    return total


def receive_restock(request: RestockRequest, received: dict[str, int], *, tech: User) -> bool:
    """The tech confirms what arrived (by SKU; a line not named arrived as sent). A part that
    did not arrive is written off the van as lost and flagged. Returns True when this
    receipt was recorded before (a replay changes nothing)."""
    if request.tech_id != tech.id:
        raise Invalid.field("request", "This restock is for another tech's van.")
    _lock(request)
    if request.state == "received":
        return True
    if request.state != "picked":
        raise Invalid.field("request", "The office has not sent this restock yet.")
    missing = 0
    for line in request.lines:
        got = received.get(line.part.sku, line.sent or 0)
        if not 0 <= got <= (line.sent or 0):
            raise Invalid.field(
                f"received-{line.part.sku}",
                f"Enter 0 to {line.sent or 0}: more than was sent goes in a van count.",
            )
        line.received = got
        if got < (line.sent or 0):
            missing += line.sent - got
            record_movement(
                line.part,
                request.van,
                got - line.sent,
                "adjust",
                actor_id=tech.id,
                reason=f"lost: {request.reference} arrived short",
            )
    request.state, request.received_at = "received", utcnow()
    if missing:
        record_event(
            "restock.short",
            "restock",
            request.reference,
            f"{request.reference} reached {request.van.name} {missing} part"
            f"{'s' if missing != 1 else ''} short: check the picking",
            actor_id=tech.id,
        )
    else:
        record_event(
            "restock.received",
            "restock",
            request.reference,
            f"{tech.name} received {request.reference} in full",
            actor_id=tech.id,
        )
    return False


def cancel_restock(request: RestockRequest, *, actor: User) -> None:
    _lock(request)
    if request.state != "open":
        raise Invalid(f"{request.reference} was {request.state} already.")
    if not actor.is_office and request.tech_id != actor.id:
        raise Invalid("Only the office or the tech who asked can cancel it.")
    request.state = "cancelled"
    record_event(
        "restock.cancelled",
        "restock",
        request.reference,
        f"{actor.name} cancelled {request.reference}",
        actor_id=actor.id,
    )


def _lock(request: RestockRequest) -> None:
    """Read the request again under a row lock (PostgreSQL; SQLite has one writer anyway):
    two clicks on Send, or the form and the phone at once, act on it one after the other,
    and the second finds it picked."""
    db.session.refresh(request, with_for_update=True)


def cancel_open_requests(van_id: int, *, actor_id: int | None) -> None:
    """A van handed back gets nothing more: its open requests are cancelled."""
    for request in db.session.scalars(
        sa.select(RestockRequest).where(
            RestockRequest.van_id == van_id, RestockRequest.state == "open"
        )
    ):
        request.state = "cancelled"
        record_event(
            "restock.cancelled",
            "restock",
            request.reference,
            f"{request.reference} cancelled: {request.van.name} was handed back",
            actor_id=actor_id,
        )
