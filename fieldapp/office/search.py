"""Find anything: one search over job numbers, customers, plotters, parts and service
requests, each hit ranked by how well it answers what was typed, the best group first."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for

from fieldapp.customers.queries import customers_matching
from fieldapp.equipment.queries import plotters_matching
from fieldapp.inventory.queries import parts_matching
from fieldapp.jobs.queries import job_numbered
from fieldapp.public.queries import requests_matching
from fieldapp.textsearch import rank, words_of

# What a box of results shows per kind (the full page shows more).
PER_KIND = 5
PER_KIND_PAGE = 25
QUERY_MAX = 100
# Groups in this order when they answer equally well.
KINDS = ("job", "plotter", "customer", "request", "part")
KIND_LABELS = {
    "job": "Jobs",
    "plotter": "Plotters",
    "customer": "Customers",
    "request": "Service requests",
    "part": "Parts",
}


@dataclass(frozen=True)
class Hit:
    kind: str
    title: str
    detail: str
    url: str
    score: int  # 4 the number or code itself, 3 the name itself, ... 0 a word inside
    inactive: bool = False


@dataclass
class Group:
    kind: str
    hits: list[Hit] = field(default_factory=list)

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def best(self) -> int:
        return max((hit.score for hit in self.hits), default=-1)


@dataclass
class Results:
    text: str
    groups: list[Group]

    @property
    def hits(self) -> list[Hit]:
        return [hit for group in self.groups for hit in group.hits]

    @property
    def exact(self) -> Hit | None:
        """The one hit that is what was typed (a job number, a label code, a serial)."""
        best = [hit for hit in self.hits if hit.score == 4]
        return best[0] if len(best) == 1 else None


def search(text: str, per_kind: int = PER_KIND) -> Results:
    """Everything matching text, each kind capped at per_kind, groups by their best hit."""
    text = (text or "").strip()[:QUERY_MAX]
    if not words_of(text):
        return Results(text, [])
    groups = {kind: Group(kind) for kind in KINDS}
    job = job_numbered(text)
    if job is not None:
        plotter = job.equipment.display_name if job.equipment else "no plotter on file"
        groups["job"].hits.append(
            Hit(
                "job",
                job.number,
                f"{job.customer.name} · {plotter} · {job.status.replace('_', ' ')}",
                url_for("jobs.detail", job_id=job.id),
                4,
            )
        )
    for plotter in plotters_matching(text, per_kind):
        code_or_serial = rank(text, plotter.qr_token, plotter.short_code, plotter.serial_number)
        groups["plotter"].hits.append(
            Hit(
                "plotter",
                plotter.display_name,
                f"SN {plotter.serial_number} · {plotter.short_code} · {plotter.customer.name}",
                url_for("equipment.plotter", token=plotter.qr_token),
                4 if code_or_serial == 3 else rank(text, plotter.display_name, plotter.model),
                plotter.status != "active",
            )
        )
    for customer in customers_matching(text, per_kind):
        groups["customer"].hits.append(
            Hit(
                "customer",
                customer.name,
                " · ".join(v for v in (customer.contact_name, customer.phone) if v) or "",
                url_for("customers.detail", customer_id=customer.id),
                rank(text, customer.name, customer.contact_name),
                not customer.active,
            )
        )
    for sent in requests_matching(text, per_kind):
        where = (
            url_for("jobs.detail", job_id=sent.job_id)
            if sent.job_id
            else url_for("public.inbox", status=sent.status) + f"#sr-{sent.id}"
        )
        groups["request"].hits.append(
            Hit(
                "request",
                sent.reference,
                f"{sent.name} · {sent.equipment.display_name} · {sent.status}",
                where,
                4 if rank(text, sent.reference) == 3 else rank(text, sent.name),
            )
        )
    for part in parts_matching(text, per_kind):
        numbers = dict.fromkeys(n for n in (part.sku, part.manufacturer_part_number) if n)
        groups["part"].hits.append(
            Hit(
                "part",
                part.name,
                " · ".join(numbers),
                url_for("inventory.part_detail", sku=part.sku),
                4 if rank(text, part.sku) == 3 else rank(text, part.name),
                not part.active,
            )
        )
    found = [group for group in groups.values() if group.hits]
    for group in found:
        group.hits.sort(key=lambda hit: (-hit.score, hit.inactive))
    found.sort(key=lambda group: (-group.best, KINDS.index(group.kind)))
    return Results(text, found)
