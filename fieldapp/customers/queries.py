"""Finding customers: search, the pickers' list, one by id; their sites and contacts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, selectinload

from fieldapp.customers.models import Contact, Customer, Site
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


def all_customers() -> list[Customer]:
    """Every customer, oldest first (what an import matches its rows against)."""
    return list(db.session.scalars(sa.select(Customer).order_by(Customer.id)))


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


def site_choices() -> list[Site]:
    """Every active site with its customer, for the plotter form's site picker."""
    return list(
        db.session.scalars(
            sa.select(Site)
            .join(Customer, Customer.id == Site.customer_id)
            .where(Site.active, Customer.active)
            .options(contains_eager(Site.customer))
            .order_by(Customer.name, Site.name)
        )
    )


def sites_of(customer_id: int) -> list[Site]:
    """A customer's sites (those closed too, after the open ones), with their site contact."""
    return list(
        db.session.scalars(
            sa.select(Site)
            .where(Site.customer_id == customer_id)
            .options(selectinload(Site.site_contact))
            .order_by(Site.active.desc(), Site.name)
        )
    )


def contacts_of(customer_id: int) -> list[Contact]:
    """A customer's people: the billing contact first, then by name."""
    return list(
        db.session.scalars(
            sa.select(Contact)
            .where(Contact.customer_id == customer_id)
            .options(selectinload(Contact.site))
            .order_by(Contact.is_billing.desc(), Contact.name)
        )
    )


def find_site(site_id: int) -> Site | None:
    return db.session.get(Site, site_id)


def find_contact(contact_id: int) -> Contact | None:
    return db.session.get(Contact, contact_id)
