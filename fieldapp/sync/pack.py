"""The offline pack: what a tech's phone keeps for a day without signal.

Every active plotter with its last visits, the full history of the plotters on the tech's
open jobs, the current SOPs, the parts catalogue, the van and the pages to cache. A fixed
number of queries, whatever the number of plotters.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import selectinload

from fieldapp.auth.models import User
from fieldapp.customers.models import Customer, Site
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment, MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, PartCompatibility, StockLevel
from fieldapp.inventory.services import van_of
from fieldapp.jobs.models import OPEN_STATUSES, Job
from fieldapp.jobs.queries import open_jobs_for_tech
from fieldapp.sops.services import current_versions
from fieldapp.training.queries import signed_versions
from fieldapp.visits.models import Visit, VisitErrorCode
from fieldapp.visits.rules import visit_rules
from fieldapp.visits.services import procedure_kinds

LAST_VISITS = 3
SUMMARY_CHARS = 160


def build_pack(user: User) -> dict:
    jobs = open_jobs_for_tech(user.id) if user.role == "tech" else []
    job_plotters = {job.equipment_id for job in jobs if job.equipment_id}
    equipment = _equipment()
    recent = _last_visits(LAST_VISITS)
    full = _full_history(job_plotters)
    meters = _last_meters()
    open_jobs = _open_job_numbers()
    for item in equipment:
        equipment_id = item.pop("_id")
        item["last_visits"] = recent.get(equipment_id, [])
        item["last_meter"] = meters.get(equipment_id)
        item["open_jobs"] = open_jobs.get(equipment_id, [])
        if equipment_id in full:
            item["history"] = full[equipment_id]
    versions = current_versions()
    return {
        "generated_at": utcnow().isoformat(),
        "user": {"id": user.id, "name": user.name, "role": user.role},
        "equipment": equipment,
        "jobs": [_job(job) for job in jobs],
        "sops": [
            {
                "slug": version.sop.slug,
                "title": version.sop.title,
                "category": version.sop.category,
                "version": version.number,
                "steps": [
                    {
                        "id": step.id,
                        "position": step.position,
                        "title": step.title,
                        "detail": step.detail,
                        "kind": step.kind,
                        "required": step.required,
                        "unit": step.unit,
                        "meter": step.meter,
                        "min": step.min_value,
                        "max": step.max_value,
                        "expected": step.expected,
                    }
                    for step in version.steps
                ],
            }
            for version in versions
        ],
        # The newest version of each SOP the user signed off ({"slug": number}): the phone
        # shows "New procedure to read" for a current version above it, offline too.
        "signed": signed_versions(user.id),
        "parts": _parts(),
        "van": _van(user),
        "has_van": van_of(user.id) is not None,
        "rules": visit_rules(procedure_kinds()),
        "urls": _urls(user, versions, jobs),
    }


def _equipment() -> list[dict]:
    rows = db.session.execute(
        sa.select(Equipment, Customer)
        .join(Customer, Customer.id == Equipment.customer_id)
        .where(Equipment.status == "active")
        .options(selectinload(Equipment.site).selectinload(Site.site_contact))
        .order_by(Customer.name, Equipment.id)
    )
    return [
        {
            "_id": equipment.id,
            "token": equipment.qr_token,
            "short_code": equipment.short_code,
            "make": equipment.make,
            "model": equipment.model,
            "serial_number": equipment.serial_number,
            "location_note": equipment.location_note,
            # Where the tech goes and whom they call: the plotter's site, else the customer.
            "customer": {
                "id": customer.id,
                "name": customer.name,
                "phone": equipment.contact.phone,
                "address": equipment.address,
            },
        }
        for equipment, customer in rows
    ]


def _visit_rows(where) -> dict[int, list[dict]]:
    tech_name = sa.select(User.name).where(User.id == Visit.tech_id).scalar_subquery()
    rows = db.session.execute(
        sa.select(
            Visit.id,
            Visit.equipment_id,
            Visit.started_at,
            Visit.outcome,
            Visit.summary,
            tech_name,
            Visit.job_id,
        )
        .where(where)
        .order_by(Visit.equipment_id, Visit.started_at.desc())
    ).all()
    codes: dict = defaultdict(list)
    if rows:
        for visit_id, code in db.session.execute(
            sa.select(VisitErrorCode.visit_id, VisitErrorCode.code).where(
                VisitErrorCode.visit_id.in_([row[0] for row in rows])
            )
        ):
            codes[visit_id].append(code)
    by_plotter: dict[int, list[dict]] = defaultdict(list)
    for visit_id, equipment_id, started_at, outcome, summary, tech, job_id in rows:
        by_plotter[equipment_id].append(
            {
                "id": str(visit_id),
                "at": started_at.isoformat(),
                "outcome": outcome,
                "summary": summary,
                "tech": tech,
                "job": f"J-{job_id + 1000}" if job_id else None,
                "error_codes": codes.get(visit_id, []),
            }
        )
    return by_plotter


def _last_visits(count: int) -> dict[int, list[dict]]:
    """The newest visits of every plotter, with a window function (SQLite and PostgreSQL)."""
    ranked = (
        sa.select(
            Visit.id.label("id"),
            sa.func.row_number()
            .over(partition_by=Visit.equipment_id, order_by=(Visit.started_at.desc(), Visit.id))
            .label("rank"),
        )
        .where(Visit.status == "finished")
        .subquery()
    )
    newest = sa.select(ranked.c.id).where(ranked.c.rank <= count)
    visits = _visit_rows(Visit.id.in_(newest))
    for entries in visits.values():
        for entry in entries:
            entry["summary"] = _short(entry["summary"])
    return visits


def _full_history(equipment_ids: set[int]) -> dict[int, list[dict]]:
    if not equipment_ids:
        return {}
    return _visit_rows(sa.and_(Visit.equipment_id.in_(equipment_ids), Visit.status == "finished"))


def _short(text: str) -> str:
    line = text.strip().split("\n")[0]
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1].rstrip() + "…"


def _last_meters() -> dict[int, dict]:
    ranked = sa.select(
        MeterReading.equipment_id,
        MeterReading.value,
        MeterReading.taken_at,
        sa.func.row_number()
        .over(
            partition_by=MeterReading.equipment_id,
            order_by=(MeterReading.taken_at.desc(), MeterReading.id.desc()),
        )
        .label("rank"),
    ).subquery()
    return {
        equipment_id: {"value": value, "at": taken_at.isoformat()}
        for equipment_id, value, taken_at in db.session.execute(
            sa.select(ranked.c.equipment_id, ranked.c.value, ranked.c.taken_at).where(
                ranked.c.rank == 1
            )
        )
    }


def _open_job_numbers() -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for job_id, equipment_id in db.session.execute(
        sa.select(Job.id, Job.equipment_id).where(
            Job.status.in_(OPEN_STATUSES), Job.equipment_id.is_not(None)
        )
    ):
        found[equipment_id].append(f"J-{job_id + 1000}")
    return found


def _job(job: Job) -> dict:
    return {
        "number": job.number,
        "status": job.status,
        "priority": job.priority,
        "kind": job.kind,
        "problem": job.problem,
        "error_code": job.error_code,
        "scheduled_for": job.scheduled_for.isoformat() if job.scheduled_for else None,
        "arrival_window_minutes": job.arrival_window_minutes,
        "customer": job.customer.name,
        "equipment": job.equipment.qr_token if job.equipment else None,
    }


def _parts() -> list[dict]:
    compatible: dict[int, list[str]] = defaultdict(list)
    for part_id, model in db.session.execute(
        sa.select(PartCompatibility.part_id, PartCompatibility.model)
    ):
        compatible[part_id].append(model)
    return [
        {
            "sku": part.sku,
            "name": part.name,
            "category": part.category,
            "compatible": sorted(compatible.get(part.id, [])),
        }
        for part in db.session.scalars(sa.select(Part).where(Part.active).order_by(Part.name))
    ]


def _van(user: User) -> list[dict]:
    van = van_of(user.id)
    if van is None:
        return []
    return [
        {"sku": sku, "quantity": quantity}
        for sku, quantity in db.session.execute(
            sa.select(Part.sku, StockLevel.quantity)
            .join(StockLevel, StockLevel.part_id == Part.id)
            .where(StockLevel.location_id == van.id)
            .order_by(Part.sku)
        )
    ]


def _urls(user: User, versions, jobs: list[Job]) -> list[str]:
    urls = [
        url_for("home.index"),
        url_for("sops.index"),
        url_for("equipment.scan"),
        url_for("home.more"),
    ]
    urls += [url_for("sops.detail", slug=version.sop.slug) for version in versions]
    # Each current version's own page too: "New procedure to read" links there to sign it off.
    urls += [
        url_for("sops.detail", slug=version.sop.slug, number=version.number) for version in versions
    ]
    urls += [
        url_for("equipment.plotter", token=job.equipment.qr_token)
        for job in jobs
        if job.equipment is not None
    ]
    urls += [url_for("messages.thread", job_id=job.id) for job in jobs]
    if user.role == "tech":
        urls.append(url_for("inventory.my_van"))
        # The visit form of each procedure a visit can follow, and the one without a procedure.
        urls += [
            url_for("visits.blank_form", slug=version.sop.slug)
            for version in versions
            if version.sop.category in ("repair", "preventive")
        ]
        urls.append(url_for("visits.blank_form", slug="none"))
    return list(dict.fromkeys(urls))
