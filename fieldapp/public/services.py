"""Service requests from the public QR page: validated, rate-limited, announced to the office."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.tokens import ALPHABET
from fieldapp.errors import Invalid, Throttled
from fieldapp.extensions import db
from fieldapp.public.models import ServiceRequest
from fieldapp.visits.photos import add_photo

RATE_WINDOW = timedelta(hours=1)
MAX_PER_PLOTTER = 5
MAX_PER_ADDRESS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()./ -]{6,40}$")


def _recent(column, value) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ServiceRequest)
        .where(column == value, ServiceRequest.created_at >= utcnow() - RATE_WINDOW)
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
    company_phone: str,
) -> ServiceRequest:
    """Record a request for service on this plotter and tell the office."""
    if (
        _recent(ServiceRequest.equipment_id, equipment.id) >= MAX_PER_PLOTTER
        or _recent(ServiceRequest.address, address) >= MAX_PER_ADDRESS
    ):
        raise Throttled(
            "We already have several requests for this plotter in the last hour. "
            f"If it is urgent, please call us at {company_phone}."
        )
    name, phone, email, problem = name.strip(), phone.strip(), email.strip(), problem.strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Tell us your name."]
    if not phone and not email:
        errors["phone"] = ["Give a phone number or an email so we can reach you."]
    if phone and not _PHONE.match(phone):
        errors["phone"] = ["Enter a phone number with digits, e.g. 555 014 2290."]
    if email and not _EMAIL.match(email):
        errors["email"] = ["Enter an email address like name@example.com."]
    if len(problem) < 5:
        errors["problem"] = ["Describe the problem in a few words (what happens, any error code)."]
    if len(problem) > 4000:
        errors["problem"] = ["Keep the description under 4,000 characters."]
    if errors:
        raise Invalid("Some fields need attention.", errors)
    # Decode the photo before writing anything: a bad file refuses the whole request.
    stored_photo = add_photo(photo, caption="Sent with the service request") if photo else None
    request = ServiceRequest(
        reference=_new_reference(),
        equipment_id=equipment.id,
        name=name[:120],
        phone=phone,
        email=email[:254],
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
    db.session.commit()
    return request
