"""Customers: create, edit, retire, merge two that are one firm; their sites and contacts."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.customers.models import Contact, Customer, Site
from fieldapp.errors import Conflict, Invalid
from fieldapp.extensions import db
from fieldapp.form_values import optional_id

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("name", "contact_name", "phone", "email", "address", "notes")


def _clean(values: dict) -> dict:
    data = {name: (values.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, list[str]] = {}
    if not data["name"]:
        errors["name"] = ["Enter the customer's name."]
    if data["email"] and not _EMAIL.match(data["email"]):
        errors["email"] = ["Enter an email address like facilities@example.com, or leave it empty."]
    if errors:
        raise Invalid("Some fields need attention.", errors)
    return data


def create_customer(values: dict, *, actor_id: int | None) -> Customer:
    customer = Customer(**_clean(values))
    db.session.add(customer)
    db.session.flush()
    record_event(
        "customer.created",
        "customer",
        customer.id,
        f"Added customer {customer.name}",
        actor_id=actor_id,
    )
    return customer


def update_customer(customer: Customer, values: dict, *, actor_id: int) -> Customer:
    for name, value in _clean(values).items():
        setattr(customer, name, value)
    record_event(
        "customer.updated",
        "customer",
        customer.id,
        f"Updated customer {customer.name}",
        actor_id=actor_id,
    )
    return customer


def set_customer_active(customer: Customer, active: bool, *, actor_id: int) -> Customer:
    """Retire a customer (kept with its history, hidden from pickers) or bring it back."""
    if customer.active == active:
        return customer
    customer.active = active
    verb = "reactivated" if active else "retired"
    record_event(
        f"customer.{verb}",
        "customer",
        customer.id,
        f"{verb.title()} customer {customer.name}",
        actor_id=actor_id,
    )
    return customer


def set_contact_mail(customer: Customer, on: bool, *, actor_id: int) -> Customer:
    """Whether the customer's site contacts get emails about their visits (flush only)."""
    if customer.mail_contacts == on:
        return customer
    customer.mail_contacts = on
    record_event(
        "customer.updated",
        "customer",
        customer.id,
        f"Visit emails to {customer.name}'s contacts turned {'on' if on else 'off'}",
        actor_id=actor_id,
    )
    return customer


# Words a firm's name is written with or without: "Oakridge Survey & Mapping" and
# "oakridge survey and mapping, inc." are one firm.
_FILLER = {"and", "the", "inc", "llc", "ltd", "co", "corp", "company"}


def name_key(name: str) -> str:
    """A name as duplicates compare: no case, accents, punctuation, spacing or filler words."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return " ".join(word for word in words if word not in _FILLER)


# How a merge names the rows it moves (a table not listed is named as it is).
_ROW_NAMES = {
    "equipment": ("plotter", "plotters"),
    "jobs": ("job", "jobs"),
    "sites": ("site", "sites"),
    "contacts": ("contact", "contacts"),
}


def rows_text(table: str, count: int) -> str:
    """ "2 plotters", "1 job": what a merge moves, as people say it."""
    one, many = _ROW_NAMES.get(table, (table, table))
    return f"{count} {one if count == 1 else many}"


def merge_customers(keep: Customer, duplicate: Customer, *, actor_id: int | None) -> dict:
    """Fold duplicate into keep (flush only): every row that names the duplicate (plotters,
    jobs, whatever table refers to a customer) moves to keep, keep's empty details are filled
    from it, notes are joined, and the duplicate goes. Returns how many rows moved, by table."""
    if keep.id == duplicate.id:
        raise Conflict("Choose another customer: a customer cannot be merged into itself.")
    db.session.flush()
    if _billing_contact(keep.id) is not None:  # one firm, one billing contact: keep's
        db.session.execute(
            sa.update(Contact).where(Contact.customer_id == duplicate.id).values(is_billing=False)
        )
    moved: dict[str, int] = {}
    # Found from the schema, so a table added later that refers to customers moves too.
    for table in db.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table.name == Customer.__tablename__:
                result = db.session.execute(
                    sa.update(table)
                    .where(key.parent == duplicate.id)
                    .values({key.parent.name: keep.id})
                )
                if result.rowcount:
                    moved[table.name] = moved.get(table.name, 0) + result.rowcount
    for name in ("contact_name", "phone", "email", "address"):
        if not getattr(keep, name) and getattr(duplicate, name):
            setattr(keep, name, getattr(duplicate, name))
    if duplicate.notes and duplicate.notes not in keep.notes:
        keep.notes = f"{keep.notes}\n\n{duplicate.notes}".strip()
    summary = ", ".join(rows_text(table, count) for table, count in sorted(moved.items()))
    record_event(
        "customer.merged",
        "customer",
        keep.id,
        f"Merged customer {duplicate.name} into {keep.name}"
        + (f" ({summary} moved)" if summary else ""),
        actor_id=actor_id,
    )
    db.session.delete(duplicate)
    db.session.flush()
    # Rows loaded before the UPDATEs still name the duplicate: read them again.
    db.session.expire_all()
    return moved


# -- sites and contacts ------------------------------------------------------------------

SITE_FIELDS = ("name", "address", "access_notes", "opening_hours")
CONTACT_FIELDS = ("name", "role", "phone", "email")


def save_site(
    customer: Customer, values: dict, site: Site | None = None, *, actor_id: int | None
) -> Site:
    """Add a site to the customer, or change one of theirs (flush only)."""
    data = {name: (values.get(name) or "").strip() for name in SITE_FIELDS}
    if not data["name"]:
        raise Invalid.field("name", "Name the site, e.g. Main office or Warehouse.")
    if site is None:
        site = Site(customer_id=customer.id, **data)
        db.session.add(site)
        verb = "Added"
    else:
        if site.customer_id != customer.id:
            raise Conflict("That site is another customer's.")
        for name, value in data.items():
            setattr(site, name, value)
        verb = "Updated"
    site.active = values.get("active", "1") not in ("0", False)
    db.session.flush()
    record_event(
        "customer.site_saved",
        "customer",
        customer.id,
        f"{verb} site {site.name} of {customer.name}",
        actor_id=actor_id,
    )
    return site


def _billing_contact(customer_id: int) -> Contact | None:
    return db.session.scalar(
        sa.select(Contact).where(Contact.customer_id == customer_id, Contact.is_billing)
    )


def save_contact(
    customer: Customer, values: dict, contact: Contact | None = None, *, actor_id: int | None
) -> Contact:
    """Add a person at the customer, or change one (flush only). Marking them the billing
    contact, or a site's contact, takes the mark from whoever had it."""
    data = {name: (values.get(name) or "").strip() for name in CONTACT_FIELDS}
    errors: dict[str, list[str]] = {}
    if not data["name"]:
        errors["name"] = ["Enter the person's name."]
    if data["email"] and not _EMAIL.match(data["email"]):
        errors["email"] = ["Enter an email address like ana@example.com, or leave it empty."]
    typed_site = (values.get("site_id") or "").strip()
    site_id = optional_id(typed_site)
    site = db.session.get(Site, site_id) if site_id is not None else None
    if typed_site and (site is None or site.customer_id != customer.id):
        errors["site_id"] = ["Choose one of this customer's sites."]
    is_site_contact = bool(values.get("is_site_contact"))
    if is_site_contact and site is None:
        errors["is_site_contact"] = ["Choose the site they are the contact for."]
    if errors:
        raise Invalid("Some fields need attention.", errors)
    if contact is not None and contact.customer_id != customer.id:
        raise Conflict("That contact is another customer's.")
    is_billing = bool(values.get("is_billing"))
    if is_billing:
        db.session.execute(
            sa.update(Contact)
            .where(Contact.customer_id == customer.id, Contact.is_billing)
            .values(is_billing=False)
        )
    if is_site_contact:
        db.session.execute(
            sa.update(Contact)
            .where(Contact.site_id == site.id, Contact.is_site_contact)
            .values(is_site_contact=False)
        )
    if contact is None:
        contact = Contact(customer_id=customer.id)
        db.session.add(contact)
    else:
        db.session.refresh(contact)  # the marks above may have been taken from it
    for name, value in data.items():
        setattr(contact, name, value)
    contact.site_id = site.id if site else None
    contact.is_billing, contact.is_site_contact = is_billing, is_site_contact
    db.session.flush()
    record_event(
        "customer.contact_saved",
        "customer",
        customer.id,
        f"Saved contact {contact.name} of {customer.name}",
        actor_id=actor_id,
    )
    return contact


def remove_contact(contact: Contact, *, actor_id: int | None) -> None:
    record_event(
        "customer.contact_removed",
        "customer",
        contact.customer_id,
        f"Removed contact {contact.name}",
        actor_id=actor_id,
    )
    db.session.delete(contact)
    db.session.flush()
