"""A small business built by hand in March 2026 (Chicago time, across the DST change on
Sunday March 8), whose report numbers are worked out in the tests' docstrings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db
from fieldapp.inventory.models import StockMovement
from fieldapp.jobs.models import Job
from fieldapp.messages.models import Message
from fieldapp.public.models import ServiceRequest
from fieldapp.visits.models import Visit
from tests import factories

CHICAGO = ZoneInfo("America/Chicago")


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A Chicago wall-clock time in 2026, as an aware datetime."""
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


@dataclass
class Business:
    frank: object
    maria: object
    sam: object
    priya: object
    acme: object
    birch: object
    a1: object
    a2: object
    b1: object
    jobs: dict
    visits: dict


def _job(customer, plotter, tech, *, kind="repair", status="done", created, closed=None, **more):
    job = Job(
        customer_id=customer.id,
        equipment_id=plotter.id if plotter else None,
        kind=kind,
        problem="Test fault",
        status=status,
        assigned_to_id=tech.id if tech else None,
        created_at=created.astimezone(UTC),
        updated_at=(closed or created).astimezone(UTC),
        closed_at=closed.astimezone(UTC) if closed else None,
        **more,
    )
    db.session.add(job)
    db.session.flush()
    return job


def _visit(plotter, tech, started, *, job=None, outcome="fixed", status="finished"):
    visit = Visit(
        id=uuid.uuid4(),
        equipment_id=plotter.id,
        job_id=job.id if job else None,
        tech_id=tech.id,
        status=status,
        started_at=started.astimezone(UTC),
        finished_at=started.astimezone(UTC) if status == "finished" else None,
        outcome=outcome if status == "finished" else None,
        source="import",
    )
    db.session.add(visit)
    db.session.flush()
    return visit


def _use(visit, part, location, quantity, when, unit_cost):
    db.session.add(
        StockMovement(
            part_id=part.id,
            location_id=location.id,
            quantity=-quantity,
            kind="use",
            visit_id=visit.id if visit else None,
            at=when.astimezone(UTC),
            unit_cost_cents=unit_cost,
        )
    )


def _event(actor, verb, when, job=None):
    db.session.add(
        ActivityEvent(
            at=when.astimezone(UTC),
            actor_id=actor.id if actor else None,
            verb=verb,
            subject_type="job",
            subject_id=str(job.id if job else 0),
            summary=f"{verb} test",
            job_id=job.id if job else None,
        )
    )


def _message(author, job, when):
    db.session.add(
        Message(
            id=uuid.uuid4(),
            job_id=job.id,
            author_id=author.id,
            body="Test message",
            created_at=when.astimezone(UTC),
        )
    )


def _request(plotter, status, handler=None, handled=None, n=[0]):  # noqa: B006 - a counter
    n[0] += 1
    db.session.add(
        ServiceRequest(
            reference=f"SR-TEST{n[0]:02d}",
            equipment_id=plotter.id,
            name="Caller",
            phone="555 0100",
            problem="It prints lines",
            status=status,
            handled_by_id=handler.id if handler else None,
            handled_at=handled.astimezone(UTC) if handled else None,
            created_at=(handled or at(3, 1)).astimezone(UTC),
        )
    )


def build() -> Business:
    frank = factories.make_user("admin", name="Frank Moretti")
    maria = factories.make_user("office", name="Maria Chen")
    sam = factories.make_user("tech", name="Sam Okafor")
    priya = factories.make_user("tech", name="Priya Natarajan")
    acme = factories.make_customer(name="Acme Architects")
    birch = factories.make_customer(name="Birch Builders")
    a1 = factories.make_equipment(acme, make="HP", model="DesignJet T830")
    a2 = factories.make_equipment(acme, make="HP", model="DesignJet T830")
    b1 = factories.make_equipment(birch, make="Canon", model="imagePROGRAF TM-300")
    factories.make_equipment(acme, make="HP", model="DesignJet T830", status="retired")
    belt = factories.make_part(name="Carriage belt", unit_cost_cents=6900)
    head = factories.make_part(name="Printhead", unit_cost_cents=24900)
    van = factories.van_of(sam)

    jobs = {
        # Closed before the range; its visit is only looked back at for repeats.
        "j6": _job(acme, a1, sam, created=at(2, 19), closed=at(2, 27)),
        # Closed late on Sunday March 8 local time: Monday in UTC, still week 1 here.
        "j1": _job(acme, a1, sam, created=at(3, 2, 8), closed=at(3, 8, 23, 30)),
        "j2": _job(acme, a2, priya, created=at(3, 4, 9), closed=at(3, 10, 9)),
        "j3": _job(birch, b1, sam, kind="preventive", created=at(3, 11, 8), closed=at(3, 11, 10)),
        "j4": _job(birch, b1, sam, created=at(3, 16, 8), closed=at(3, 16, 20)),
        # Fixed by phone: no visit.
        "j5": _job(acme, a1, priya, created=at(3, 17, 10), closed=at(3, 17, 12)),
        "j7": _job(acme, a2, sam, status="scheduled", created=at(3, 18)),
        "j8": _job(birch, b1, None, status="cancelled", created=at(3, 12), closed=at(3, 12, 12)),
    }
    visits = {
        "v0": _visit(a1, sam, at(2, 20), job=jobs["j6"]),
        "v1": _visit(a1, sam, at(3, 8, 22), job=jobs["j1"]),
        "v2": _visit(a2, priya, at(3, 5), job=jobs["j2"], outcome="needs_parts"),
        "v3": _visit(a2, priya, at(3, 10), job=jobs["j2"]),
        "v4": _visit(b1, sam, at(3, 11, 9), job=jobs["j3"], outcome="pm_done"),
        "v5": _visit(b1, sam, at(3, 16, 10), job=jobs["j4"]),
        "v8": _visit(b1, priya, at(3, 20), outcome="no_fault_found"),
        "v9": _visit(a2, sam, at(3, 21)),
        "v7": _visit(b1, sam, at(3, 31, 22)),
        "open": _visit(a1, priya, at(3, 19), status="in_progress"),
    }
    _use(visits["v0"], belt, van, 1, at(2, 20), 6900)
    _use(visits["v1"], head, van, 2, at(3, 8, 22), 24900)
    _use(visits["v2"], belt, van, 1, at(3, 5), 6900)
    _use(visits["v4"], belt, van, 1, at(3, 11, 9), 5000)  # the belt cost less then
    _use(visits["v5"], belt, van, 1, at(3, 16, 10), 6900)
    _use(visits["v7"], belt, van, 1, at(3, 31, 23, 30), 6900)  # April 1 in UTC
    _use(None, belt, van, 1, at(3, 12), 6900)  # not on a visit: no customer to charge
    db.session.add(
        StockMovement(part_id=belt.id, location_id=van.id, quantity=5, kind="receive", at=at(3, 3))
    )

    _event(frank, "job.created", at(3, 2, 8), jobs["j1"])
    _event(maria, "job.assigned", at(3, 2, 8, 5), jobs["j1"])
    _event(frank, "job.status", at(3, 3), jobs["j1"])  # not a dispatch
    _event(maria, "job.created", at(3, 9, 9))
    _event(maria, "job.assigned", at(3, 9, 9, 10))
    _event(frank, "job.assigned", at(3, 10, 7))
    _event(maria, "job.created", at(3, 16, 8))
    _event(sam, "job.created", at(3, 17))  # a follow-up a tech opened
    _event(None, "job.created", at(3, 18))  # no actor: not anyone's work
    _event(frank, "job.created", at(3, 1, 23))  # the Sunday before the range
    _event(maria, "job.created", at(3, 23, 0, 30))  # just after the range

    _message(frank, jobs["j1"], at(3, 3, 10))
    _message(sam, jobs["j1"], at(3, 3, 11))  # techs' messages are not answers
    _message(maria, jobs["j2"], at(3, 10, 10))
    _message(maria, jobs["j2"], at(3, 11, 10))
    _message(frank, jobs["j4"], at(3, 20, 10))
    _message(maria, jobs["j4"], at(3, 21, 10))

    _request(a1, "converted", frank, at(3, 4))
    _request(a2, "dismissed", frank, at(3, 12))
    _request(b1, "converted", maria, at(3, 17))
    _request(b1, "new")
    db.session.commit()
    return Business(frank, maria, sam, priya, acme, birch, a1, a2, b1, jobs, visits)
