"""Service requests from the public QR page: validated, rate-limited, announced to the office."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.tokens import ALPHABET
from fieldapp.errors import Conflict, Invalid, Throttled
from fieldapp.extensions import db
from fieldapp.jobs.models import JOB_NUMBER_OFFSET, Job
from fieldapp.jobs.services import open_job
from fieldapp.photos.services import add_photo, public_limits
from fieldapp.public.models import ServiceRequest
from fieldapp.throttle.services import count_attempt, throttle_key
from fieldapp.wire import length_of

RATE_WINDOW = timedelta(hours=1)
MAX_PER_PLOTTER = 5
MAX_PER_ADDRESS = 10
MAX_NAME = length_of(ServiceRequest.name)
MAX_EMAIL = length_of(ServiceRequest.email)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()./ -]{6,40}$")


def count_request_attempt(equipment: Equipment, address: str, *, company_phone: str) -> None:
    """Count one try of the public form, stored or not (each costs decoding work), per plotter
    and per address; Throttled once either has had its share this hour. The caller commits
    the count on its own, before the request is even read."""
    now = utcnow()
    waits = [
        count_attempt(
            throttle_key("request-plotter", str(equipment.id)),
            limit=MAX_PER_PLOTTER,
            window=RATE_WINDOW,
            now=now,
        ),
        count_attempt(
            throttle_key("request-address", address),
            limit=MAX_PER_ADDRESS,
            window=RATE_WINDOW,
            now=now,
        ),
    ]
    if any(waits):
        raise Throttled(
            "We already have several requests for this plotter in the last hour. "
            f"If it is urgent, please call us at {company_phone}."
        )


def _new_reference() -> str:
    while True:
        reference = "SR-" + "".join(secrets.choice(ALPHABET) for _ in range(6))
        taken = db.session.scalar(
            sa.select(ServiceRequest.id).where(ServiceRequest.reference == reference)
        )
        if taken is None:
            return reference


def submit_service_request(
    equipment: Equipment,
    *,
    name: str,
    phone: str,
    email: str,
    problem: str,
    photo: bytes | None,
    address: str,
) -> ServiceRequest:
    """Record a request for service on this plotter and tell the office (flush only)."""
    name, phone, email, problem = name.strip(), phone.strip(), email.strip(), problem.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Tell us your name."]
    elif len(name) > MAX_NAME:
        errors["name"] = [f"Keep the name under {MAX_NAME} characters."]
    if not phone and not email:
        errors["phone"] = ["Give a phone number or an email so we can reach you."]
    if phone and not _PHONE.match(phone):
        errors["phone"] = ["Enter a phone number with digits, e.g. 555 014 2290."]
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        errors["email"] = ["Enter an email address like name@example.com."]
    if len(problem) < 5:
        errors["problem"] = ["Describe the problem in a few words (what happens, any error code)."]
    if len(problem) > 4000:
        errors["problem"] = ["Keep the description under 4,000 characters."]
    if errors:
        raise Invalid("Some fields need attention.", errors)
    # Decode the photo before writing anything: a bad file refuses the whole request.
    stored_photo = (
        add_photo(photo, caption="Sent with the service request", limits=public_limits())
        if photo
        else None
    )
    request = ServiceRequest(
        reference=_new_reference(),
        equipment_id=equipment.id,
        name=name,
        phone=phone,
        email=email,
        problem=problem,
        address=address[:64],
    )
    db.session.add(request)
    db.session.flush()
    if stored_photo is not None:
        stored_photo.service_request_id = request.id
    record_event(
        "request.received",
        "service_request",
        request.id,
        f"Service request {request.reference} from {name} for the {equipment.display_name} "
        f"at {equipment.customer.name}: {problem[:160]}",
        actor_id=None,
        equipment_id=equipment.id,
    )
    return request


def _check_new(request: ServiceRequest) -> None:
    if request.status == "converted":
        job = f"J-{request.job_id + JOB_NUMBER_OFFSET}" if request.job_id else "a job"
        raise Conflict(f"{request.reference} was already made into {job}.")
    if request.status == "dismissed":
        raise Conflict(f"{request.reference} was already dismissed: {request.dismissed_reason}")


def convert_request(
    request: ServiceRequest,
    *,
    actor_id: int,
    priority: str = "normal",
    tech_id: int | None = None,
    scheduled_for: datetime | None = None,
) -> Job:
    """Make a service request into a job in one step: the plotter, its customer, the caller
    and the description carry over; the request's photo stays linked and shows on the job."""
    _check_new(request)
    equipment = request.equipment
    job = open_job(
        actor_id=actor_id,
        tech_id=tech_id,
        scheduled_for=scheduled_for,
        customer_id=equipment.customer_id,
        equipment_id=equipment.id,
        problem=request.problem,
        priority=priority,
        source="qr_request",
        caller_name=request.name,
        caller_phone=request.phone,  # an email-only caller is reached from the request card
    )
    request.status, request.job_id = "converted", job.id
    request.handled_by_id, request.handled_at = actor_id, utcnow()
    record_event(
        "request.converted",
        "service_request",
        request.id,
        f"Service request {request.reference} from {request.name} became {job.number}",
        actor_id=actor_id,
        job_id=job.id,
        equipment_id=equipment.id,
    )
    return job


def dismiss_request(request: ServiceRequest, reason: str, *, actor_id: int) -> ServiceRequest:
    """Close a request without a job; the reason is required so the decision can be read later."""
    _check_new(request)
    reason = " ".join(reason.split())
    if not reason:
        raise Invalid.field(
            "reason", "Say why, e.g. “duplicate of J-1042” or “fixed by phone with the caller”."
        )
    if len(reason) > 300:
        raise Invalid.field("reason", "Keep the reason under 300 characters.")
    request.status, request.dismissed_reason = "dismissed", reason
    request.handled_by_id, request.handled_at = actor_id, utcnow()
    record_event(
        "request.dismissed",
        "service_request",
        request.id,
        f"Service request {request.reference} from {request.name} dismissed: {reason}",
        actor_id=actor_id,
        equipment_id=request.equipment_id,
    )
    return request
