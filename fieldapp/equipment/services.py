"""Plotters and their labels: resolving a scan, claiming, reprinting, creating and retiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from fieldapp.activity.services import record_event
from fieldapp.customers.models import Customer, Site
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import METER_UNITS, Equipment, QrLabel
from fieldapp.equipment.tokens import new_token, normalise_code
from fieldapp.errors import Conflict, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.localtime import company_zone, local_date, local_today

MAX_UNCLAIMED_BATCH = 300
# The first year a plotter we service can have been installed (older ones are not on the
# market); the last day is today: a plotter is not installed in the future.
FIRST_INSTALL_DAY = date(1990, 1, 1)


def installed_window() -> tuple[date, date]:
    """The days a plotter's installation date may take: 1990 to today (the company's today)."""
    return FIRST_INSTALL_DAY, local_today(company_zone())


def _check_installed_on(installed_on: date | None) -> None:
    first, last = installed_window()
    if installed_on is not None and not first <= installed_on <= last:
        raise Invalid.field(
            "installed_on",
            f"Enter an installation date from {local_date(first)} to today ({local_date(last)}).",
        )


@dataclass(frozen=True)
class Scan:
    """What a scanned or typed code points at."""

    state: str  # "active", "unclaimed", "revoked" or "unknown"
    token: str | None
    equipment: Equipment | None = None
    label: QrLabel | None = None


def resolve_code(code: str) -> Scan:
    """Resolve a token or short code (any case, dashes optional) to what it points at."""
    token = normalise_code(code)
    if token is None:
        return Scan("unknown", None)
    # With its site and the site's contact: what the plotter page shows next to it.
    equipment = db.session.scalar(
        sa.select(Equipment)
        .where(Equipment.qr_token == token)
        .options(joinedload(Equipment.site).joinedload(Site.site_contact))
    )
    if equipment is not None:
        return Scan("active", token, equipment)
    label = db.session.scalar(sa.select(QrLabel).where(QrLabel.token == token))
    if label is None:
        return Scan("unknown", token)
    return Scan(label.status, token, label.equipment, label)


def _unique_token(also_taken: set[str] = frozenset()) -> str:
    """A token no label has (nor any in also_taken: tokens made earlier in the same batch)."""
    while True:
        token = new_token()
        if token in also_taken:
            continue
        taken = db.session.scalar(sa.select(QrLabel.id).where(QrLabel.token == token))
        if taken is None:
            return token


def issue_unclaimed_labels(count: int, *, actor_id: int | None) -> list[QrLabel]:
    """Make tokens for labels printed in advance; a tech claims each one on site."""
    if not 1 <= count <= MAX_UNCLAIMED_BATCH:
        raise Invalid.field("count", f"Print between 1 and {MAX_UNCLAIMED_BATCH} labels at a time.")
    tokens: set[str] = set()
    for _ in range(count):
        tokens.add(_unique_token(tokens))
    labels = [QrLabel(token=token, status="unclaimed") for token in sorted(tokens)]
    db.session.add_all(labels)
    record_event(
        "label.printed",
        "label",
        labels[0].token,
        f"Printed {count} unclaimed labels",
        actor_id=actor_id,
    )
    return labels


def _checked_owner(customer_id: int | None, make: str, model: str, serial_number: str) -> Customer:
    """The plotter's owner, once its required fields are all there (else every problem)."""
    errors: dict[str, list[str]] = {}
    if not make.strip():
        errors["make"] = ["Enter the make (HP, Canon, Epson ...)."]
    if not model.strip():
        errors["model"] = ["Enter the model, e.g. DesignJet T830."]
    if not serial_number.strip():
        errors["serial_number"] = ["Enter the serial number from the plotter's rating plate."]
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        errors["customer_id"] = ["Choose the customer who owns the plotter."]
    if errors:
        raise Invalid("Some fields need attention.", errors)
    return customer


def _check_serial_free(make: str, serial_number: str, except_id: int | None = None) -> None:
    other = db.session.scalar(
        sa.select(Equipment).where(
            sa.func.lower(Equipment.make) == make.strip().lower(),
            Equipment.serial_number == serial_number.strip().upper(),
        )
    )
    if other is not None and other.id != except_id:
        raise Conflict(
            f"A {other.make} with serial {other.serial_number} is already registered "
            f"at {other.customer.name}.",
            {"serial_number": ["Already registered."]},
        )


def _checked_site(site_id: int | None, customer: Customer) -> int | None:
    if site_id is None:
        return None
    site = db.session.get(Site, site_id)
    if site is None or site.customer_id != customer.id:
        raise Invalid.field("site_id", f"Choose one of {customer.name}'s sites, or none.")
    return site.id


def _check_meter_unit(meter_unit: str | None) -> None:
    if meter_unit is not None and meter_unit not in METER_UNITS:
        raise Invalid.field("meter_unit", "Choose what the meter counts: square feet or prints.")


def create_equipment(
    *,
    customer_id: int | None,
    site_id: int | None = None,
    make: str,
    model: str,
    serial_number: str,
    location_note: str = "",
    installed_on: date | None = None,
    notes: str = "",
    actor_id: int | None,
    token: str | None = None,
    meter_unit: str | None = None,
) -> Equipment:
    """Register a plotter with a new label (or the given label token)."""
    _check_installed_on(installed_on)
    _check_meter_unit(meter_unit)
    customer = _checked_owner(customer_id, make, model, serial_number)
    site_id = _checked_site(site_id, customer)
    _check_serial_free(make, serial_number)
    token = token or _unique_token()
    equipment = Equipment(
        customer_id=customer.id,
        site_id=site_id,
        make=make.strip(),
        model=model.strip(),
        serial_number=serial_number.strip().upper(),
        location_note=location_note.strip(),
        installed_on=installed_on,
        notes=notes.strip(),
        qr_token=token,
        meter_unit=meter_unit,
    )
    db.session.add(equipment)
    db.session.flush()
    label = db.session.scalar(sa.select(QrLabel).where(QrLabel.token == token))
    if label is None:
        db.session.add(QrLabel(token=token, status="active", equipment_id=equipment.id))
    record_event(
        "equipment.created",
        "equipment",
        equipment.id,
        f"Registered {equipment.display_name} SN {equipment.serial_number} at {customer.name}",
        actor_id=actor_id,
        equipment_id=equipment.id,
    )
    return equipment


def update_equipment(
    equipment: Equipment,
    *,
    customer_id: int | None,
    site_id: int | None = None,
    make: str,
    model: str,
    serial_number: str,
    location_note: str,
    installed_on: date | None,
    notes: str,
    actor_id: int,
    meter_unit: str | None = None,
) -> Equipment:
    _check_installed_on(installed_on)
    _check_meter_unit(meter_unit)
    customer = _checked_owner(customer_id, make, model, serial_number)
    equipment.site_id = _checked_site(site_id, customer)
    _check_serial_free(make, serial_number, except_id=equipment.id)
    equipment.customer_id = customer.id
    equipment.make = make.strip()
    equipment.model = model.strip()
    equipment.serial_number = serial_number.strip().upper()
    equipment.location_note = location_note.strip()
    equipment.installed_on = installed_on
    equipment.notes = notes.strip()
    equipment.meter_unit = meter_unit
    record_event(
        "equipment.updated",
        "equipment",
        equipment.id,
        f"Updated {equipment.display_name} SN {equipment.serial_number}",
        actor_id=actor_id,
        equipment_id=equipment.id,
    )
    return equipment


def set_equipment_status(equipment: Equipment, status: str, *, actor_id: int) -> Equipment:
    """Retire a plotter (it keeps its history) or bring it back."""
    if status not in ("active", "retired"):
        raise Invalid.field("status", "Status must be active or retired.")
    if equipment.status == status:
        return equipment
    equipment.status = status
    verb = "retired" if status == "retired" else "reactivated"
    record_event(
        f"equipment.{verb}",
        "equipment",
        equipment.id,
        f"{verb.title()} {equipment.display_name} SN {equipment.serial_number}",
        actor_id=actor_id,
        equipment_id=equipment.id,
    )
    return equipment


def replace_label(equipment: Equipment, *, revoke_old: bool, actor_id: int) -> QrLabel:
    """Give a plotter a new label token (a lost or damaged label).

    With revoke_old every earlier label of the plotter stops working and a scan of one says
    it was replaced; without it the earlier labels keep opening the plotter.
    """
    new = QrLabel(token=_unique_token(), status="active", equipment_id=equipment.id)
    revoked = 0
    if revoke_old:
        now = utcnow()
        for old in db.session.scalars(
            sa.select(QrLabel).where(
                QrLabel.equipment_id == equipment.id, QrLabel.status == "active"
            )
        ):
            old.status, old.revoked_at = "revoked", now
            revoked += 1
    db.session.add(new)
    equipment.qr_token = new.token
    record_event(
        "label.replaced",
        "equipment",
        equipment.id,
        f"New label for {equipment.display_name} SN {equipment.serial_number}"
        + (f" ({revoked} old label{'s' if revoked != 1 else ''} revoked)" if revoke_old else ""),
        actor_id=actor_id,
        equipment_id=equipment.id,
    )
    return new


def claim_label(
    token: str,
    *,
    actor_id: int,
    equipment_id: int | None = None,
    new_equipment: dict | None = None,
) -> Equipment:
    """Link a pre-printed label to a plotter: an existing one, or one created on the spot.

    The claimed label becomes the plotter's current label; its previous label is kept working,
    so a plotter that still wears an old sticker does not become unreachable.
    """
    label = db.session.scalar(sa.select(QrLabel).where(QrLabel.token == normalise_code(token)))
    if label is None:
        raise NotFound("That label is not one of ours.")
    if label.status != "unclaimed":
        raise Conflict("This label is already linked to a plotter.")
    if (equipment_id is None) == (new_equipment is None):
        raise Invalid.field("equipment_id", "Choose a plotter, or enter a new one.")
    if equipment_id is not None:
        equipment = db.session.get(Equipment, equipment_id)
        if equipment is None:
            raise Invalid.field("equipment_id", "That plotter does not exist.")
        equipment.qr_token = label.token
    else:
        equipment = create_equipment(**new_equipment, actor_id=actor_id, token=label.token)
    label.status, label.equipment_id = "active", equipment.id
    label.claimed_at, label.claimed_by_id = utcnow(), actor_id
    record_event(
        "label.claimed",
        "equipment",
        equipment.id,
        f"Label {label.token} linked to {equipment.display_name} SN {equipment.serial_number} "
        f"at {equipment.customer.name}",
        actor_id=actor_id,
        equipment_id=equipment.id,
    )
    return equipment
