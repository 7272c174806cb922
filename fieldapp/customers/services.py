"""Customers: create, edit, retire, search."""

from __future__ import annotations

import re

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.errors import Invalid
from fieldapp.extensions import db

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("name", "contact_name", "phone", "email", "address", "notes")


def _clean(values: dict) -> dict:
    data = {name: (values.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, list[str]] = {}
    if not data["name"]:
        errors["name"] = ["Enter the customer's name."]
    if data["email"] and not _EMAIL.match(data["email"]):
        errors["email"] = ["Enter an email address like facilities@example.com, or leave it empty."]
    if errors:
        raise Invalid("Some fields need attention.", errors)
    return data


def create_customer(values: dict, *, actor_id: int | None) -> Customer:
    customer = Customer(**_clean(values))
    db.session.add(customer)
    db.session.flush()
    record_event(
        "customer.created",
        "customer",
        customer.id,
        f"Added customer {customer.name}",
        actor_id=actor_id,
    )
    db.session.commit()
    return customer


def update_customer(customer: Customer, values: dict, *, actor_id: int) -> Customer:
    for name, value in _clean(values).items():
        setattr(customer, name, value)
    record_event(
        "customer.updated",
        "customer",
        customer.id,
        f"Updated customer {customer.name}",
        actor_id=actor_id,
    )
    db.session.commit()
    return customer


def set_customer_active(customer: Customer, active: bool, *, actor_id: int) -> Customer:
    """Retire a customer (kept with its history, hidden from pickers) or bring it back."""
    if customer.active == active:
        return customer
    customer.active = active
    verb = "reactivated" if active else "retired"
    record_event(
        f"customer.{verb}",
        "customer",
        customer.id,
        f"{verb.title()} customer {customer.name}",
        actor_id=actor_id,
    )
    db.session.commit()
    return customer


def search_customers(q: str = "", *, include_retired: bool = False) -> sa.Select:
    """Customers matching a name, contact, phone, email or address fragment."""
    query = sa.select(Customer).order_by(Customer.name)
    if not include_retired:
        query = query.where(Customer.active)
    if q.strip():
        pattern = f"%{q.strip().lower()}%"
        query = query.where(
            sa.or_(*(sa.func.lower(getattr(Customer, name)).like(pattern) for name in FIELDS[:5]))
        )
    return query


def customer_choices() -> list[Customer]:
    return list(
        db.session.scalars(sa.select(Customer).where(Customer.active).order_by(Customer.name))
    )


def active_plotter_counts(customer_ids: list[int]) -> dict[int, int]:
    """How many active plotters each customer has, in one query."""
    rows = db.session.execute(
        sa.select(Equipment.customer_id, sa.func.count())
        .where(Equipment.customer_id.in_(customer_ids), Equipment.status == "active")
        .group_by(Equipment.customer_id)
    )
    counts = dict.fromkeys(customer_ids, 0)
    counts.update({customer_id: count for customer_id, count in rows})
    return counts
