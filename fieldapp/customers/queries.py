"""Finding customers: search, the pickers' list, one by id."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.customers.models import Customer
from fieldapp.customers.services import FIELDS, name_key
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


def customers_named_like(name: str, *, other_than: int | None = None) -> list[Customer]:
    """Customers whose name is the same once case, spacing, punctuation and filler words are
    set aside (retired ones too: a retired duplicate is still a duplicate)."""
    key = name_key(name)
    if not key:
        return []
    rows = db.session.execute(sa.select(Customer.id, Customer.name)).all()
    ids = [row.id for row in rows if row.id != other_than and name_key(row.name) == key]
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Customer).where(Customer.id.in_(ids))))


def rows_naming(customer_id: int) -> dict[str, int]:
    """How many rows of each table refer to the customer (what a merge would move)."""
    found: dict[str, int] = {}
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == Customer.__tablename__:
                count = db.session.scalar(
                    sa.select(sa.func.count()).select_from(table).where(key.parent == customer_id)
                )
                if count:
                    found[table.name] = found.get(table.name, 0) + count
    return found
