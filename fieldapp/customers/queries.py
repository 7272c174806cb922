"""Finding customers: search, the pickers' list, one by id."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.customers.models import Customer
from fieldapp.customers.services import FIELDS
from fieldapp.extensions import db


def find_customer(customer_id: int) -> Customer | None:
    return db.session.get(Customer, customer_id)


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
