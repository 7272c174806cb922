"""Reading and changing the company's settings; every change is in the activity feed.

A setting nobody changed is not stored: it reads as its default, and the company's details
default to the FIELDAPP_* environment (so a new install starts with what its operator set).
Settings are read with one query per transaction and kept in the session until it ends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import time
from zoneinfo import ZoneInfo, available_timezones

import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import Session, SessionTransaction

from fieldapp.activity.services import record_event
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.jobs.models import JOB_KINDS
from fieldapp.pdf import Attached
from fieldapp.photos.images import UploadLimits, clean_logo
from fieldapp.photos.services import store
from fieldapp.settings.models import Setting
from fieldapp.wire import EMAIL_PATTERN, NUL_MESSAGE, TOO_LONG

# Repairs and preventive maintenance follow the company's procedure; an install or an
# inspection may be logged as a quick visit.
DEFAULT_PROCEDURE_KINDS = ("repair", "preventive")
FOLLOW_UP_CHOICES = {
    "same_tech": "The tech who found it (they know the plotter)",
    "office": "The office, to assign",
}
KIND_LABELS = {
    "repair": "Repair",
    "preventive": "Preventive maintenance",
    "install": "Installation",
    "inspection": "Inspection",
}


@dataclass(frozen=True)
class VisitSettings:
    procedure_kinds: tuple[str, ...]  # job kinds whose visits must follow a procedure
    follow_up_to: str  # who a follow-up job goes to: "same_tech" or "office"


DEFAULT_MINUTES = {"repair": 120, "preventive": 90, "install": 180, "inspection": 60}
MAX_JOB_MINUTES = 12 * 60
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Longest text each company field takes: what fits a letterhead line, a label, a phone dial.
COMPANY_LIMITS = {"name": 80, "phone": 40, "email": 254, "address": 300, "label_text": 70}
LOGO_LIMITS = UploadLimits(max_bytes=2 * 1024 * 1024, max_pixels=16_000_000)
LOGO_PREFIX = "company/logo-"
DEFAULT_LABEL_TEXT = "Scan for service history or to request service"


@dataclass(frozen=True)
class WorkingHours:
    start: time
    end: time
    days: tuple[int, ...]  # 0 is Monday

    @property
    def summary(self) -> str:
        days = ", ".join(WEEKDAYS[day] for day in self.days)
        return f"{days}, {self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class Company:
    """Who the company is, as pages, labels, reports and the public page show it."""

    name: str
    phone: str
    email: str
    address: str
    time_zone: str
    label_text: str
    working_hours: WorkingHours
    logo: str | None = None  # the stored file's name; it changes with every new logo

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def logo_digest(self) -> str | None:
        """The logo's content hash, which names it (a new logo has a new address)."""
        return None if self.logo is None else self.logo.removeprefix(LOGO_PREFIX)[:-4]

    @property
    def logo_url(self) -> str | None:
        """Where pages load the logo from."""
        return None if self.logo is None else url_for("settings.logo", digest=self.logo_digest)


@dataclass(frozen=True)
class JobType:
    kind: str
    label: str
    minutes: int  # how long a job of this kind is planned for, unless the job says otherwise
    needs_procedure: bool


_COMPANY_KEYS = {
    "name": "company.name",
    "phone": "company.phone",
    "email": "company.email",
    "address": "company.address",
    "time_zone": "company.time_zone",
    "label_text": "company.label_text",
    "working_hours": "company.working_hours",
    "logo": "company.logo",
}


_CACHE = "fieldapp.settings"


def _stored() -> dict[str, object]:
    """Every stored setting, read once per transaction (a page formats many times)."""
    info = db.session.info
    if _CACHE not in info:
        info[_CACHE] = {row.key: row.value for row in db.session.scalars(sa.select(Setting))}
    return info[_CACHE]


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_settings(session: Session, transaction: SessionTransaction) -> None:
    """The next transaction reads them again: another worker may have changed them."""
    if transaction.parent is None:
        session.info.pop(_CACHE, None)


def _value(key: str, default):
    return _stored().get(key, default)


def visit_settings() -> VisitSettings:
    kinds = _value("visits.procedure_kinds", list(DEFAULT_PROCEDURE_KINDS))
    return VisitSettings(
        procedure_kinds=tuple(kind for kind in JOB_KINDS if kind in kinds),
        follow_up_to=_value("jobs.follow_up_to", "same_tech"),
    )


def job_types() -> list[JobType]:
    """Each kind of job with its planned length and whether its visits follow a procedure."""
    minutes = {**DEFAULT_MINUTES, **_value("jobs.default_minutes", {})}
    needing = visit_settings().procedure_kinds
    return [
        JobType(kind, KIND_LABELS[kind], int(minutes[kind]), kind in needing) for kind in JOB_KINDS
    ]


def default_minutes(kind: str) -> int:
    """How long a new job of this kind is planned for."""
    return next(job_type.minutes for job_type in job_types() if job_type.kind == kind)


def _working_hours(value: dict | None) -> WorkingHours:
    value = value or {}
    return WorkingHours(
        start=time.fromisoformat(value.get("start", "08:00")),
        end=time.fromisoformat(value.get("end", "17:00")),
        days=tuple(value.get("days", (0, 1, 2, 3, 4))),
    )


def company() -> Company:
    """The company's details: what the admin saved, else the FIELDAPP_* first-run defaults."""
    config = current_app.config
    return Company(
        name=_value(_COMPANY_KEYS["name"], config["COMPANY_NAME"]),
        phone=_value(_COMPANY_KEYS["phone"], config["COMPANY_PHONE"]),
        email=_value(_COMPANY_KEYS["email"], config.get("COMPANY_EMAIL", "")),
        address=_value(_COMPANY_KEYS["address"], config.get("COMPANY_ADDRESS", "")),
        time_zone=_value(_COMPANY_KEYS["time_zone"], config["TIMEZONE"]),
        label_text=_value(_COMPANY_KEYS["label_text"], DEFAULT_LABEL_TEXT),
        working_hours=_working_hours(_value(_COMPANY_KEYS["working_hours"], None)),
        logo=_value(_COMPANY_KEYS["logo"], None),
    )


def logo_png() -> bytes | None:
    """The company's logo file (PNG), or None when there is none."""
    name = company().logo
    try:
        return None if name is None else store().read(name)
    except FileNotFoundError:  # its commit is still putting it in place
        return None


def logo_for_pdf() -> dict[str, Attached]:
    """The logo as a file a PDF of a page that shows it may read (none without a logo)."""
    data, url = logo_png(), company().logo_url
    return {url: Attached(data, "image/png")} if data and url else {}


# What an hour of a tech on site costs the company (wage, van, overheads), for what each
# contract earns; in cents, up to $1,000 an hour.
DEFAULT_HOURLY_COST_CENTS = 6500
HOURLY_COST_MAX_CENTS = 100_000


def hourly_cost_cents() -> int:
    return int(_value("contracts.hourly_cost_cents", DEFAULT_HOURLY_COST_CENTS))


def change_hourly_cost(value: int | str, *, actor_id: int | None) -> int:
    """Save the cost of an hour on site (cents; flush only)."""
    if not isinstance(value, int) or not 0 <= value <= HOURLY_COST_MAX_CENTS:
        raise Invalid.field(
            "hourly_cost",
            f"Enter the cost of an hour on site in dollars, from 0 to "
            f"{HOURLY_COST_MAX_CENTS // 100:,}, e.g. 65 or 72.50.",
        )
    before = hourly_cost_cents()
    if value != before:
        _put("contracts.hourly_cost_cents", value, actor_id)
        record_event(
            "settings.changed",
            "settings",
            "contracts",
            f"Hourly cost on site: ${before / 100:,.2f} → ${value / 100:,.2f}",
            actor_id=actor_id,
        )
    return value


def company_zone_name() -> str:
    """The company's time zone (localtime asks this for every time it formats)."""
    return _value(_COMPANY_KEYS["time_zone"], current_app.config["TIMEZONE"])


def _put(key: str, value, actor_id: int | None) -> None:
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value, updated_by_id=actor_id))
    else:
        row.value, row.updated_by_id = value, actor_id
    _stored()[key] = value  # this transaction reads what it wrote


def _text(errors: dict, name: str, value: str | None, *, required: bool = False) -> str:
    value = " ".join((value or "").split()) if name != "address" else (value or "").strip()
    limit = COMPANY_LIMITS[name]
    if "\x00" in value:
        errors[name] = [NUL_MESSAGE]
    elif len(value) > limit:
        errors[name] = [TOO_LONG.format(max=limit)]
    elif required and not value:
        errors[name] = ["Fill this in: it is printed on labels and reports."]
    return value


def _clock(errors: dict, name: str, value: str | None) -> time | None:
    try:
        return time.fromisoformat((value or "").strip())
    except ValueError:
        errors[name] = ["Enter a time like 08:00."]
        return None


def change_company(
    *,
    name: str,
    phone: str,
    email: str,
    address: str,
    time_zone: str,
    label_text: str,
    day_starts: str,
    day_ends: str,
    working_days: list[str],
    actor_id: int,
) -> Company:
    """Save the company's details and working hours (flush only)."""
    errors: dict[str, list[str]] = {}
    values = {
        "name": _text(errors, "name", name, required=True),
        "phone": _text(errors, "phone", phone),
        "email": _text(errors, "email", email),
        "address": _text(errors, "address", address),
        "label_text": _text(errors, "label_text", label_text, required=True),
    }
    if values["email"] and "email" not in errors and not EMAIL_PATTERN.match(values["email"]):
        errors["email"] = ["Enter an address like office@example.com, or leave it empty."]
    time_zone = (time_zone or "").strip()
    if time_zone not in available_timezones():
        errors["time_zone"] = ["Choose a time zone from the list, e.g. America/Chicago."]
    start, end = _clock(errors, "day_starts", day_starts), _clock(errors, "day_ends", day_ends)
    if start and end and end <= start:
        errors["day_ends"] = ["The working day must end after it starts."]
    days = sorted({int(day) for day in working_days if day in {str(n) for n in range(7)}})
    if not days:
        errors["working_days"] = ["Tick at least one working day."]
    if errors:
        raise Invalid("Some company details need attention.", errors)
    before = company()
    for field, value in values.items():
        _put(_COMPANY_KEYS[field], value, actor_id)
    _put(_COMPANY_KEYS["time_zone"], time_zone, actor_id)
    hours = {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}", "days": days}
    _put(_COMPANY_KEYS["working_hours"], hours, actor_id)
    after = company()
    changed = [
        label
        for label, field in (
            ("name", "name"),
            ("phone", "phone"),
            ("email", "email"),
            ("address", "address"),
            ("time zone", "time_zone"),
            ("label text", "label_text"),
            ("working hours", "working_hours"),
        )
        if getattr(before, field) != getattr(after, field)
    ]
    if changed:
        record_event(
            "settings.changed",
            "settings",
            "company",
            f"Company details changed: {', '.join(changed)}",
            actor_id=actor_id,
        )
    return after


def change_logo(data: bytes, *, actor_id: int | None) -> Company:
    """Store a new logo, cleaned, as PNG; the old file goes when this commits (flush only)."""
    before = company()
    image = clean_logo(data, LOGO_LIMITS)
    name = f"{LOGO_PREFIX}{hashlib.sha256(image).hexdigest()[:16]}.png"
    if name == before.logo:
        return before
    store().stage(db.session, name, image)
    return _replace_logo(before, name, "Company logo changed", actor_id)


def remove_logo(*, actor_id: int | None) -> Company:
    """Labels, reports and the public page go back to the name alone (flush only)."""
    before = company()
    if before.logo is None:
        return before
    return _replace_logo(before, None, "Company logo removed", actor_id)


def _replace_logo(before: Company, name: str | None, summary: str, actor_id) -> Company:
    if before.logo is not None:
        store().remove_after_commit(db.session, before.logo)
    _put(_COMPANY_KEYS["logo"], name, actor_id)
    record_event("settings.changed", "settings", "company", summary, actor_id=actor_id)
    return replace(before, logo=name)


def change_visit_settings(
    *,
    procedure_kinds: list[str],
    follow_up_to: str,
    actor_id: int,
    minutes: dict[str, str] | None = None,
) -> VisitSettings:
    """Save which job kinds need a procedure, how long each kind is planned for, and where
    follow-up jobs go (flush only)."""
    unknown = [kind for kind in procedure_kinds if kind not in JOB_KINDS]
    errors: dict[str, list[str]] = {}
    if unknown:
        errors["procedure_kinds"] = [f"Unknown job kind: {', '.join(unknown)}."]
    if follow_up_to not in FOLLOW_UP_CHOICES:
        errors["follow_up_to"] = ["Choose who gets follow-up jobs."]
    planned: dict[str, int] = {}
    for kind, text in (minutes or {}).items():
        if kind not in JOB_KINDS:
            errors[f"minutes_{kind}"] = [f"Unknown job kind: {kind}."]
            continue
        text = (text or "").strip()
        if not text.isdigit() or not 15 <= int(text) <= MAX_JOB_MINUTES or int(text) % 15:
            errors[f"minutes_{kind}"] = [
                f"Enter minutes from 15 to {MAX_JOB_MINUTES} in steps of 15, e.g. 90."
            ]
            continue
        planned[kind] = int(text)
    if errors:
        raise Invalid("Some settings need attention.", errors)
    before, types_before = visit_settings(), job_types()
    kinds = [kind for kind in JOB_KINDS if kind in procedure_kinds]
    _put("visits.procedure_kinds", kinds, actor_id)
    _put("jobs.follow_up_to", follow_up_to, actor_id)
    if planned:
        _put("jobs.default_minutes", {**_value("jobs.default_minutes", {}), **planned}, actor_id)
    after = VisitSettings(tuple(kinds), follow_up_to)
    if after != before:
        needing = ", ".join(KIND_LABELS[kind].lower() for kind in kinds) or "no job kind"
        record_event(
            "settings.changed",
            "settings",
            "visits",
            f"Visit settings: a procedure is required for {needing}; follow-up jobs go to "
            f"{'the same tech' if follow_up_to == 'same_tech' else 'the office'}",
            actor_id=actor_id,
        )
    lengths = [
        f"{now.label.lower()} {now.minutes} min"
        for was, now in zip(types_before, job_types(), strict=True)
        if was.minutes != now.minutes
    ]
    if lengths:
        record_event(
            "settings.changed",
            "settings",
            "jobs",
            f"Planned job lengths: {', '.join(lengths)}",
            actor_id=actor_id,
        )
    return after
