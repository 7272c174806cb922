"""Customers as rows for a CSV file: the list's customers with their details and plotters."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa

from fieldapp.extensions import db

CUSTOMER_COLUMNS = ("customer", "contact_name", "phone", "email", "address", "notes", "active")


def customer_rows(query: sa.Select) -> Iterator[list]:
    """The header, then one row per customer the list's query finds, in its order."""
    yield list(CUSTOMER_COLUMNS)
    for customer in db.session.scalars(query):
        yield [
            customer.name,
            customer.contact_name,
            customer.phone,
            customer.email,
            customer.address,
            customer.notes,
            "yes" if customer.active else "no",
        ]
