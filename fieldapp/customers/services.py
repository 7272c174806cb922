"""Customers: create, edit, retire, search."""

from __future__ import annotations

import re

from fieldapp.activity.services import record_event
from fieldapp.customers.models import Customer
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
    return customer
