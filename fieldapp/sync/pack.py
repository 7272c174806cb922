"""The offline pack: what a tech's phone keeps for a day without signal.

Every active plotter with its last visits, the full history of the plotters on the tech's
open jobs, the current SOPs, the parts catalogue, the van and the pages to cache. A fixed
number of queries, whatever the number of plotters.

Every pack carries a cursor; asked with it, the pack answers as a delta: only the records
the change log (fieldapp/sync/changes.py) names since then, each whole as in the full pack,
the ids of the plotters, SOPs and parts that left the pack, and the tech's open jobs in
order (job_order: a job not in it left the tech's list). Also a fixed number of queries.
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
from fieldapp.sops.models import SopVersion
from fieldapp.sops.services import current_versions
from fieldapp.sync.changes import ALL, changes_since
from fieldapp.sync.cursor import Cursor, cursor_now, still_readable
from fieldapp.training.queries import signed_versions
from fieldapp.visits.models import Visit, VisitErrorCode
from fieldapp.visits.rules import visit_rules
from fieldapp.visits.services import procedure_kinds

LAST_VISITS = 3
SUMMARY_CHARS = 160
# A delta naming more records than this is no cheaper than the full pack: that is sent.
MAX_DELTA_KEYS = 5000


def build_pack(user: User) -> dict:
    """The whole pack ("delta": false), with the cursor to ask for changes since."""
    cursor = cursor_now()
    jobs = open_jobs_for_tech(user.id) if user.role == "tech" else []
    job_plotters = {job.equipment_id for job in jobs if job.equipment_id}
    versions = current_versions()
    return {
        "generated_at": utcnow().isoformat(),
        "delta": False,
        "cursor": str(cursor),
        **_per_user(user, versions, jobs),
        "equipment": _plotters(Equipment.status == "active", job_plotters, every=True),
        "jobs": [_job(job) for job in jobs],
        "sops": [_sop(version) for version in versions],
        "parts": _parts(Part.active),
        "van": _van(user),
        "rules": visit_rules(procedure_kinds()),
    }


def build_delta(user: User, since: Cursor) -> dict | None:
    """What changed in the user's pack since the cursor, or None when only a full pack can
    say it (the log was pruned past the cursor, is another database's, or names too much)."""
    cursor = cursor_now()
    if not still_readable(since):
        return None
    changed = changes_since(since.last_id, since.xmax, since.in_flight)
    if ALL in changed or sum(map(len, changed.values())) > MAX_DELTA_KEYS:
        return None
    named = {kind: sorted(changed.get(kind, ())) for kind in ("equipment", "customer", "site")}
    plotters, jobs_changed, sops, parts, locations = (
        set(named["equipment"]),
        changed.get("job", set()),
        changed.get("sop", set()),
        changed.get("part", set()),
        changed.get("location", set()),
    )
    jobs = open_jobs_for_tech(user.id) if user.role == "tech" else []
    job_plotters = {job.equipment_id for job in jobs if job.equipment_id}
    versions = current_versions()
    reached = sa.or_(
        Equipment.id.in_(named["equipment"]),
        Equipment.customer_id.in_(named["customer"]),
        Equipment.site_id.in_(named["site"]),
    )
    equipment = _plotters(sa.and_(Equipment.status == "active", reached), job_plotters)
    kept_plotters = {item["id"] for item in equipment}
    customers = set(named["customer"])
    current_sops = {version.sop_id for version in versions}
    parts_now = _parts(sa.and_(Part.active, Part.id.in_(sorted(parts))))
    van = van_of(user.id)
    delta = {
        "generated_at": utcnow().isoformat(),
        "delta": True,
        "cursor": str(cursor),
        **_per_user(user, versions, jobs),
        "equipment": equipment,
        "jobs": [
            _job(job)
            for job in jobs
            if job.id in jobs_changed
            or job.equipment_id in plotters
            or job.customer_id in customers
        ],
        # The tech's open jobs in order, whole: one the phone holds and not listed is no
        # longer theirs (a list of the jobs that left would name other techs' jobs too).
        "job_order": [job.number for job in jobs],
        "sops": [_sop(version) for version in versions if version.sop_id in sops],
        "parts": parts_now,
        "removed": {
            "equipment": sorted(plotters - kept_plotters),
            "sops": sorted(sops - current_sops),
            "parts": sorted(parts - {part["id"] for part in parts_now}),
        },
    }
    if parts or (locations and (van is None or van.id in locations)):
        delta["van"] = _van(user)
    if sops:  # which kinds must follow a procedure depends on what is published
        delta["rules"] = visit_rules(procedure_kinds())
    return delta


def _per_user(user: User, versions: list[SopVersion], jobs: list[Job]) -> dict:
    """What every answer carries whole: small, and about this person alone."""
    return {
        "user": {"id": user.id, "name": user.name, "role": user.role},
        # The newest version of each SOP the user signed off ({"slug": number}): the phone
        # shows "New procedure to read" for a current version above it, offline too.
        "signed": signed_versions(user.id),
        "has_van": van_of(user.id) is not None,
        "urls": _urls(user, versions, jobs),
    }


def _plotters(where, job_plotters: set[int], *, every: bool = False) -> list[dict]:
    """The plotter records the filter selects, each with its visits, meter and open jobs
    (and the full history on the tech's job plotters). every: the filter selects every
    active plotter, and the other queries need not repeat it."""
    chosen = None if every else sa.select(Equipment.id).where(where)
    equipment = _equipment(where)
    recent = _last_visits(LAST_VISITS, chosen)
    full = _full_history(job_plotters, chosen)
    meters = _last_meters(chosen)
    open_jobs = _open_job_numbers(chosen)
    for item in equipment:
        equipment_id = item["id"]
        item["last_visits"] = recent.get(equipment_id, [])
        item["last_meter"] = meters.get(equipment_id)
        item["open_jobs"] = open_jobs.get(equipment_id, [])
        if equipment_id in full:
            item["history"] = full[equipment_id]
    return equipment


def _among(column, chosen) -> tuple:
    return () if chosen is None else (column.in_(chosen),)


def _sop(version: SopVersion) -> dict:
    return {
        "id": version.sop_id,
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


def _equipment(where) -> list[dict]:
    rows = db.session.execute(
        sa.select(Equipment, Customer)
        .join(Customer, Customer.id == Equipment.customer_id)
        .where(where)
        .options(selectinload(Equipment.site).selectinload(Site.site_contact))
        .order_by(Customer.name, Equipment.id)
    )
    return [
        {
            "id": equipment.id,
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


def _last_visits(count: int, chosen) -> dict[int, list[dict]]:
    """The newest visits of the chosen plotters, with a window function (SQLite and
    PostgreSQL)."""
    ranked = (
        sa.select(
            Visit.id.label("id"),
            sa.func.row_number()
            .over(partition_by=Visit.equipment_id, order_by=(Visit.started_at.desc(), Visit.id))
            .label("rank"),
        )
        .where(Visit.status == "finished", *_among(Visit.equipment_id, chosen))
        .subquery()
    )
    newest = sa.select(ranked.c.id).where(ranked.c.rank <= count)
    visits = _visit_rows(Visit.id.in_(newest))
    for entries in visits.values():
        for entry in entries:
            entry["summary"] = _short(entry["summary"])
    return visits


def _full_history(equipment_ids: set[int], chosen) -> dict[int, list[dict]]:
    if not equipment_ids:
        return {}
    return _visit_rows(
        sa.and_(
            Visit.equipment_id.in_(sorted(equipment_ids)),
            Visit.status == "finished",
            *_among(Visit.equipment_id, chosen),
        )
    )


def _short(text: str) -> str:
    line = text.strip().split("\n")[0]
    return line if len(line) <= SUMMARY_CHARS else line[: SUMMARY_CHARS - 1].rstrip() + "…"


def _last_meters(chosen) -> dict[int, dict]:
    ranked = (
        sa.select(
            MeterReading.equipment_id,
            MeterReading.value,
            MeterReading.taken_at,
            sa.func.row_number()
            .over(
                partition_by=MeterReading.equipment_id,
                order_by=(MeterReading.taken_at.desc(), MeterReading.id.desc()),
            )
            .label("rank"),
        )
        .where(*_among(MeterReading.equipment_id, chosen))
        .subquery()
    )
    return {
        equipment_id: {"value": value, "at": taken_at.isoformat()}
        for equipment_id, value, taken_at in db.session.execute(
            sa.select(ranked.c.equipment_id, ranked.c.value, ranked.c.taken_at).where(
                ranked.c.rank == 1
            )
        )
    }


def _open_job_numbers(chosen) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for job_id, equipment_id in db.session.execute(
        sa.select(Job.id, Job.equipment_id)
        .where(
            Job.status.in_(OPEN_STATUSES),
            Job.equipment_id.is_not(None),
            *_among(Job.equipment_id, chosen),
        )
        .order_by(Job.id)
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


def _parts(where) -> list[dict]:
    chosen = sa.select(Part.id).where(where)
    compatible: dict[int, list[str]] = defaultdict(list)
    for part_id, model in db.session.execute(
        sa.select(PartCompatibility.part_id, PartCompatibility.model).where(
            PartCompatibility.part_id.in_(chosen)
        )
    ):
        compatible[part_id].append(model)
    return [
        {
            "id": part.id,
            "sku": part.sku,
            "name": part.name,
            "category": part.category,
            "compatible": sorted(compatible.get(part.id, [])),
        }
        for part in db.session.scalars(sa.select(Part).where(where).order_by(Part.name))
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
