"""Finding customers: search, the pickers' list, one by id."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.customers.models import Customer
from fieldapp.customers.services import FIELDS, name_key
from fieldapp.extensions import db
from fieldapp.textsearch import all_words_in, words_of


def find_customer(customer_id: int) -> Customer | None:
    return db.session.get(Customer, customer_id)


def search_customers(q: str = "", *, include_retired: bool = False) -> sa.Select:
    """Customers whose name, contact, phone, email or address hold every word of q (in any
    order: "Okonkwo Reyes" finds "Okonkwo + Reyes")."""
    query = sa.select(Customer).order_by(Customer.name)
    if not include_retired:
        query = query.where(Customer.active)
    if words_of(q):
        query = query.where(all_words_in(q, *(getattr(Customer, name) for name in FIELDS[:5])))
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


def customers_matching(text: str, limit: int) -> list[Customer]:
    """The search box's customers: every word in the name, contact, phone or email, retired
    ones too (an old customer calls again), active first."""
    if not words_of(text):
        return []
    columns = (Customer.name, Customer.contact_name, Customer.phone, Customer.email)
    return list(
        db.session.scalars(
            sa.select(Customer)
            .where(all_words_in(text, *columns))
            .order_by(Customer.active.desc(), Customer.name)
            .limit(limit)
        )
    )
