"""Contracts, plans and meter readings for the contract tests, through the services."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from fieldapp.contracts.schemas import ContractSchema, PlanSchema
from fieldapp.contracts.services import create_contract, create_plans
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.localtime import company_zone
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits.services import VisitInput, record_visit


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=company_zone()).astimezone(UTC)


def contract_for(customer, plotters, *, starts_on: date, ends_on: date, **fields):
    data = ContractSchema().load(
        {
            "number": fields.pop("number", f"SC-T-{customer.id}-{starts_on:%Y%m%d}"),
            "customer_id": customer.id,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "price_cents_per_year": fields.pop("price_cents_per_year", 240_000),
            "state": fields.pop("state", "active"),
            "plotter_ids": [plotter.id for plotter in plotters],
            **fields,
        }
    )
    with unit_of_work():
        return create_contract(data, actor_id=None, today=starts_on)


def plan_for(plotters, *, contract=None, starts_on: date, **fields):
    data = PlanSchema().load(
        {
            "plotter_ids": [plotter.id for plotter in plotters],
            "starts_on": starts_on.isoformat(),
            **fields,
        }
    )
    with unit_of_work():
        return create_plans(data, contract=contract, actor_id=None, today=starts_on)


def readings(plotter, first_day: date, values) -> None:
    """One reading a day from first_day."""
    with unit_of_work():
        for offset, value in enumerate(values):
            db.session.add(
                MeterReading(
                    equipment_id=plotter.id,
                    value=value,
                    taken_at=noon(first_day + timedelta(days=offset)),
                )
            )


def finish_pm(plotter, job, tech, summary: str, meter_reading: int | None = None) -> None:
    """The tech logs the PM job done (a 50-minute visit ending now), as the phone sends it."""
    with unit_of_work():
        record_visit(
            VisitInput(
                id=uuid.uuid4(),
                equipment=plotter.qr_token,
                job=job.number,
                outcome="pm_done",
                started_at=utcnow() - timedelta(minutes=50),
                finished_at=utcnow(),
                summary=summary,
                meter_reading=meter_reading,
            ),
            tech=tech,
        )
