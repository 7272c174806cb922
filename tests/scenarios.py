"""Ready-made situations shared by several test packages: a tech on site with a stocked van."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests import factories


@dataclass
class Site:
    tech: object
    plotter: object
    job: object
    version: object
    belt: object
    head: object
    van: object
    warehouse: object


def make_site(*, friction=(None, None)) -> Site:
    """A tech on a scheduled job at a plotter; `friction`, the expected range (low, high) of
    the repair procedure's measure, in N."""
    tech = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    customer = factories.make_customer(name="Halvorsen Kline Architects")
    plotter = factories.make_equipment(customer, model="DesignJet T830")
    job = factories.make_job(
        customer,
        equipment=plotter,
        assigned_to_id=tech.id,
        status="scheduled",
        problem="86:01 carriage stuck",
    )
    version = factories.make_sop(friction=friction)
    belt = factories.make_part(sku="CR357-67010", name="Carriage belt 24in", unit_cost_cents=6900)
    head = factories.make_part(
        sku="F9J81A", name="HP 729 printhead", category="printhead", unit_cost_cents=24900
    )
    van = factories.van_of(tech)
    warehouse = factories.make_location("warehouse", name="Warehouse")
    factories.stock(belt, van, 3)
    factories.stock(head, van, 1)
    factories.stock(head, warehouse, 5)
    return Site(tech, plotter, job, version, belt, head, van, warehouse)


def complete_visit(site: Site, **changes) -> dict:
    """A valid visit payload in the wire format."""
    started = datetime.now(UTC) - timedelta(hours=2)
    steps = site.version.steps
    payload = {
        "id": str(uuid.uuid4()),
        "equipment": site.plotter.qr_token,
        "job": site.job.number,
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=70)).isoformat(),
        "outcome": "fixed",
        "summary": "Replaced carriage belt; 86:01 cleared, test plot clean",
        "error_codes": ["86:01"],
        "meter_reading": 182340,
        "steps": [
            {"step": steps[0].id, "status": "done", "at": started.isoformat()},
            {"step": steps[1].id, "status": "pass"},
            {"step": steps[2].id, "status": "done", "value": 3.2},
            {"step": steps[3].id, "status": "n/a"},
        ],
        "parts": [
            {"sku": "CR357-67010", "quantity": 1, "from": "van"},
            {"sku": "F9J81A", "quantity": 1, "from": "warehouse"},
        ],
        "photos": [],
        "signoff": {"name": "Dana Ruiz", "signature": None},
    }
    payload.update(changes)
    return payload
