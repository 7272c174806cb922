"""Small factories for test data, each committing what it makes."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from fieldapp.auth.models import User
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment, QrLabel
from fieldapp.extensions import db
from fieldapp.jobs.models import Job

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


def make_user(role: str = "tech", **fields) -> User:
    n = _next()
    fields.setdefault("email", f"{role}{n}@example.com")
    fields.setdefault("name", f"{role.title()} Person{n}")
    user = User(role=role, **fields)
    user.set_password(PASSWORD)
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
