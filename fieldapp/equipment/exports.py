"""Plotters as rows for a CSV file, in the columns a spreadsheet or an old system uses for
them (and the plotter import will read): where each stands and whom to ask for there."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from fieldapp.customers.models import Site
from fieldapp.equipment.imports import NAMES
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db


def plotter_rows(query: sa.Select) -> Iterator[list]:
    """The header, then one row per plotter the list's query finds, in its order."""
    yield list(NAMES)
    found = db.session.scalars(
        query.options(selectinload(Equipment.site).selectinload(Site.site_contact))
    )
    for plotter in found:
        whom = plotter.contact
        yield [
            plotter.customer.name,
            plotter.site.name if plotter.site else "",
            plotter.address,
            whom.name,
            whom.phone,
            whom.email,
            plotter.make,
            plotter.model,
            plotter.serial_number,
            plotter.installed_on.isoformat() if plotter.installed_on else "",
        ]
