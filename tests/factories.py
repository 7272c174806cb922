"""Small factories for test data, each committing what it makes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from werkzeug.security import generate_password_hash

from fieldapp.auth.models import User
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment, QrLabel
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.unit_of_work import unit_of_work

PASSWORD = "correct-horse-battery"
# The app hashes passwords with scrypt, about 0.1 s each: for every user a test makes and again
# at every sign-in, a good part of the suite's time. Test users share one cheap hash of the
# test password instead (check_password_hash reads the method from the hash). Passwords set
# through the app (the admin page, `flask user`, a change of password) still use scrypt.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


def make_user(role: str = "tech", **fields) -> User:
    n = _next()
    fields.setdefault("email", f"{role}{n}@example.com")
    fields.setdefault("name", f"{role.title()} Person{n}")
    user = User(role=role, password_hash=PASSWORD_HASH, **fields)
    db.session.add(user)
    db.session.commit()
    return user


def make_customer(**fields) -> Customer:
    n = _next()
    fields.setdefault("name", f"Customer {n} Architects")
    fields.setdefault("phone", "+1 555 0100")
    fields.setdefault("address", f"{n} Main Street, Springfield")
    customer = Customer(**fields)
    db.session.add(customer)
    db.session.commit()
    return customer


def make_equipment(customer: Customer | None = None, **fields) -> Equipment:
    from fieldapp.equipment.tokens import new_token

    n = _next()
    customer = customer or make_customer()
    fields.setdefault("make", "HP")
    fields.setdefault("model", "DesignJet T830")
    fields.setdefault("serial_number", f"CN{n:08d}")
    token = fields.pop("qr_token", None) or new_token()
    equipment = Equipment(customer_id=customer.id, qr_token=token, **fields)
    db.session.add(equipment)
    db.session.flush()
    db.session.add(QrLabel(token=token, status="active", equipment_id=equipment.id))
    db.session.commit()
    return equipment


def make_job(customer: Customer | None = None, **fields) -> Job:
    equipment = fields.get("equipment")
    if customer is None:
        customer = equipment.customer if equipment else make_customer()
    fields.setdefault("problem", "Carriage will not move, panel shows 86:01")
    fields.setdefault("scheduled_for", datetime.now(UTC))
    job = Job(customer_id=customer.id, **fields)
    db.session.add(job)
    db.session.commit()
    return job


def make_part(**fields):
    from fieldapp.inventory.models import Part

    n = _next()
    fields.setdefault("sku", f"CR357-67{n:03d}")
    fields.setdefault("name", f"Carriage belt {n}")
    fields.setdefault("category", "belt")
    fields.setdefault("unit_cost_cents", 4500)
    part = Part(**fields)
    db.session.add(part)
    db.session.commit()
    return part


def set_limits(part, location, minimum: int, maximum: int | None = None):
    """What a location should keep of a part (maximum defaults to twice the minimum)."""
    from fieldapp.inventory.services import set_limits as keep

    keep(part, location, minimum, 2 * minimum if maximum is None else maximum)
    db.session.commit()


def make_location(kind: str = "warehouse", tech=None, **fields):
    from fieldapp.inventory.models import StockLocation

    n = _next()
    fields.setdefault("name", f"{tech.first_name}'s van {n}" if tech else f"Warehouse {n}")
    location = StockLocation(kind=kind, tech_id=tech.id if tech else None, **fields)
    db.session.add(location)
    db.session.commit()
    return location


def van_of(tech):
    """The tech's van, made on first use (a tech has one van)."""
    import sqlalchemy as sa

    from fieldapp.inventory.models import StockLocation

    van = db.session.scalar(sa.select(StockLocation).where(StockLocation.tech_id == tech.id))
    return van or make_location("van", tech=tech)


def make_visit(
    equipment,
    tech,
    *,
    started_at: datetime | None = None,
    outcome: str = "fixed",
    summary: str = "Replaced carriage belt; 86:01 cleared",
    codes: tuple[str, ...] = (),
    parts: tuple = (),
    meter: int | None = None,
    job=None,
    commit: bool = True,
):
    """A finished visit with error codes, parts used (from `location` pairs) and a meter reading.

    parts: tuples of (part, quantity, location).
    """
    import uuid
    from datetime import timedelta

    from fieldapp.equipment.models import MeterReading
    from fieldapp.inventory.models import StockMovement
    from fieldapp.visits.models import Visit, VisitErrorCode

    started_at = started_at or datetime.now(UTC)
    visit = Visit(
        id=uuid.uuid4(),
        equipment_id=equipment.id,
        tech_id=tech.id,
        job_id=job.id if job else None,
        status="finished",
        started_at=started_at,
        finished_at=started_at + timedelta(hours=1),
        outcome=outcome,
        summary=summary,
        source="import",
    )
    db.session.add(visit)
    db.session.flush()
    db.session.add_all(VisitErrorCode(visit_id=visit.id, code=code) for code in codes)
    for part, quantity, location in parts:
        db.session.add(
            StockMovement(
                part_id=part.id,
                location_id=location.id,
                quantity=-quantity,
                kind="use",
                visit_id=visit.id,
                actor_id=tech.id,
                at=started_at,
                unit_cost_cents=part.unit_cost_cents,
            )
        )
    if meter is not None:
        db.session.add(
            MeterReading(
                equipment_id=equipment.id, value=meter, taken_at=started_at, visit_id=visit.id
            )
        )
    if commit:
        db.session.commit()
    return visit


def make_sop(slug: str = "repair", category: str = "repair", friction=(None, None)):
    """A published SOP version with one step of each kind (the photo step optional); the
    measure (carriage rod friction, N) expects the range `friction` (low, high) when given."""
    from fieldapp.sops.services import StepText, publish_sop_version

    low, high = friction
    with unit_of_work():
        return publish_sop_version(
            slug,
            title="On-site diagnostic and repair visit",
            category=category,
            summary="",
            steps=[
                StepText("Read the history", "Open the plotter page.", "check"),
                StepText("Test print before", "Print the customer's job.", "pass_fail"),
                StepText(
                    "Carriage rod friction",
                    "Scan-axis diagnostic.",
                    "measure",
                    unit="N",
                    min_value=low,
                    max_value=high,
                ),
                StepText("Photo of the test plot", "", "photo", required=False),
            ],
            change_note="First version",
            author_id=None,
        )


def make_meter_sop():
    """A published PM procedure whose second step is the plotter's meter reading."""
    from fieldapp.sops.services import StepText, publish_sop_version

    with unit_of_work():
        return publish_sop_version(
            "pm",
            title="Preventive maintenance",
            category="preventive",
            summary="",
            steps=[
                StepText("Clean the encoder strip", "", "check"),
                StepText(
                    "Record the meter reading", "Usage report.", "measure", unit="ft²", meter=True
                ),
            ],
            change_note="",
            author_id=None,
        )


def stock(part, location, quantity: int):
    """Put quantity of part into location through the ledger."""
    from fieldapp.inventory.services import record_movement

    record_movement(part, location, quantity, "receive", actor_id=None, reason="Test stock")
    db.session.commit()


def jpeg_bytes(width: int = 640, height: int = 480, color=(30, 90, 160)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "JPEG")
    return buffer.getvalue()


def committed(service, *args, **kwargs):
    """Run a service (they flush only) and commit what it did, as a request would."""
    with unit_of_work():
        return service(*args, **kwargs)


def publish_repair_v2(v1):
    """The office publishes version 2 of the repair procedure: a step added before the
    friction, the friction's range widened to 3 to 7 N."""
    from fieldapp.sops.services import StepText, publish_sop_version

    return committed(
        publish_sop_version,
        v1.sop.slug,
        title=v1.sop.title,
        category="repair",
        summary="",
        steps=[
            StepText("Read the history", "Open the plotter page.", "check"),
            StepText("Test print before", "Print the customer's job.", "pass_fail"),
            StepText("Clean the encoder strip", "Isopropyl alcohol.", "check"),
            StepText(
                "Carriage rod friction",
                "Scan-axis diagnostic.",
                "measure",
                unit="N",
                min_value=3,
                max_value=7,
            ),
            StepText("Photo of the test plot", "", "photo", required=False),
        ],
        change_note="Encoder strip cleaning added; friction range widened",
        author_id=None,
    )
