"""Importing customers, their sites and contacts, and their plotters from one CSV file: the
columns the plotters export writes (and a spreadsheet or an old system can give).

Every row goes through the services the forms use, each in a savepoint of its own: a row
that breaks a rule is rolled back alone and reported with the rule's message under the
file's column, and the other rows are imported. Customers are matched by their name as
duplicates compare (case, spacing, punctuation and filler words set aside), sites by name
within the customer, contacts by name, and plotters by serial number (per make): importing
the same file again updates what changed and never adds anything twice. An empty cell keeps
what is stored. The check (the dry run) is the same import, rolled back at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from fieldapp.activity.services import record_event
from fieldapp.csvimport import Column, ImportPreview, RowResult, SourceRow, add_error, read_table
from fieldapp.customers import services as customers
from fieldapp.customers.models import Contact, Customer, Site
from fieldapp.customers.queries import all_customers, contacts_of, sites_of
from fieldapp.equipment.models import Equipment
from fieldapp.equipment.queries import plotters_by_serial
from fieldapp.equipment.services import create_equipment, update_equipment
from fieldapp.errors import Conflict, Invalid
from fieldapp.extensions import db
from fieldapp.localtime import parse_day
from fieldapp.unit_of_work import rehearsal, savepoint

T = TypeVar("T")
KIND = "plotters"
COLUMNS = (
    Column(
        "customer",
        "Who owns the plotter; matched to a stored customer however it is spelled or spaced.",
        "Oakridge Survey & Mapping",
        required=True,
    ),
    Column("site", "Which of the customer's sites it stands at; added when new.", "Main office"),
    Column(
        "address",
        "The site's address (without a site: the customer's).",
        "1200 Ridge Rd, Denver CO",
    ),
    Column("contact_name", "Whom the tech asks for there.", "Ana Ruiz"),
    Column("contact_phone", "Their phone number.", "303-555-0142"),
    Column("contact_email", "Their email address.", "ana@oakridge.example"),
    Column("make", "HP, Canon, Epson …", "HP", required=True),
    Column("model", "As on the front panel.", "DesignJet T830", required=True),
    Column(
        "serial",
        "From the rating plate; a plotter with it (and the make) is updated.",
        "CN12345678",
        required=True,
    ),
    Column("installed_on", "The installation day as YYYY-MM-DD.", "2021-03-14"),
)
NAMES = tuple(column.name for column in COLUMNS)

# Which of the file's columns each service field comes from (for its messages).
CUSTOMER_CELLS = {
    "name": "customer",
    "contact_name": "contact_name",
    "phone": "contact_phone",
    "email": "contact_email",
    "address": "address",
}
SITE_CELLS = {"name": "site", "address": "address"}
CONTACT_CELLS = {
    "name": "contact_name",
    "phone": "contact_phone",
    "email": "contact_email",
    "role": "contact_name",
}
PLOTTER_CELLS = {
    "customer_id": "customer",
    "site_id": "site",
    "make": "make",
    "model": "model",
    "serial_number": "serial",
    "installed_on": "installed_on",
}


class RowError(Exception):
    """A row that cannot be imported, with its messages by column."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def _key(text: str) -> str:
    """A site's or a person's name as matched: any case and spacing."""
    return " ".join(text.split()).casefold()


def _shown(value: object) -> str:
    return str(value) if value not in (None, "") else "—"


class _Names(Generic[T]):
    """Stored customers or sites by name, for rows to find: the name exactly as stored
    first, then by each looser key in turn (any case and spacing; for customers also as
    duplicates compare) where that key names only one. A name two of them answer to at
    the same step is refused: the row is not guessed onto either."""

    def __init__(self, loosen: tuple[Callable[[str], str], ...], named: Callable[[T], str]):
        self._loosen, self._named = loosen, named
        self._exact: dict[str, list[T]] = {}
        self._loose: list[dict[str, list[T]]] = [{} for _ in loosen]

    def add(self, thing: T) -> None:
        name = self._named(thing)
        self._exact.setdefault(name.strip(), []).append(thing)
        for loosen, found in zip(self._loosen, self._loose, strict=True):
            if key := loosen(name):
                found.setdefault(key, []).append(thing)

    def find(self, name: str, column: str) -> T | None:
        steps = [self._exact.get(name.strip(), [])]
        steps += [
            found.get(key, []) if (key := loosen(name)) else []
            for loosen, found in zip(self._loosen, self._loose, strict=True)
        ]
        for candidates in steps:
            if len(candidates) == 1:
                return candidates[0]
            if len(candidates) > 1:
                names = " and ".join(f"“{self._named(thing)}”" for thing in candidates[:2])
                raise RowError(
                    {column: [f"{name} could be {names}: write the name exactly as stored."]}
                )
        return None


@dataclass
class _Book:
    """What the file is matched against, loaded once and kept up to date as rows import."""

    customers: _Names[Customer]
    plotters: dict[tuple[str, str], Equipment]
    sites: dict[int, _Names[Site]] = field(default_factory=dict)
    people: dict[int, dict[str, list[Contact]]] = field(default_factory=dict)

    def sites_of(self, customer: Customer) -> _Names[Site]:
        if customer.id not in self.sites:
            names = self.sites[customer.id] = _Names((_key,), lambda site: site.name)
            for site in sites_of(customer.id):
                names.add(site)
        return self.sites[customer.id]

    def people_of(self, customer: Customer) -> dict[str, list[Contact]]:
        if customer.id not in self.people:
            self.people[customer.id] = {}
            for person in contacts_of(customer.id):
                self.people[customer.id].setdefault(_key(person.name), []).append(person)
        return self.people[customer.id]

    def person_for(self, customer: Customer, site: Site, name: str) -> Contact | None:
        """The customer's person of this name for this site: the one at the site, else one
        at no site yet. A person is at one site at most: the same name as another site's
        contact is another record, so that each site keeps its own."""
        named = self.people_of(customer).get(_key(name), [])
        return next((p for p in named if p.site_id == site.id), None) or next(
            (p for p in named if p.site_id is None), None
        )


def import_plotters(
    data: bytes, *, actor_id: int | None, filename: str = "", dry_run: bool = False
) -> ImportPreview:
    """Import every row that keeps the rules and report every row (flush only: the caller's
    unit of work commits). A dry run does the same and rolls all of it back."""
    if dry_run:
        with rehearsal():
            preview = import_plotters(data, actor_id=actor_id, filename=filename)
        preview.applied = False
        return preview
    source = read_table(data, COLUMNS)
    known = _Names((_key, customers.name_key), lambda customer: customer.name)
    for customer in all_customers():
        known.add(customer)
    book = _Book(
        known,
        plotters_by_serial([row.cells.get("serial", "").upper() for row in source.rows]),
    )
    seen: dict[tuple[str, str], int] = {}
    results = [_import_row(book, row, seen, actor_id) for row in source.rows]
    preview = ImportPreview(KIND, results, source.ignored, applied=True)
    if preview.changing:
        counts = preview.counts
        record_event(
            "plotters.imported",
            "import",
            KIND,
            f"Imported plotters{f' from {filename}' if filename else ''}: {counts['new']} new, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged, "
            f"{counts['error']} skipped",
            actor_id=actor_id,
        )
        db.session.flush()
    return preview


def _import_row(
    book: _Book, row: SourceRow, seen: dict[tuple[str, str], int], actor_id: int | None
) -> RowResult:
    cells = {name: row.cells.get(name, "") for name in NAMES}
    result = RowResult(
        row.number,
        cells["serial"].upper(),
        " ".join(part for part in (cells["make"], cells["model"]) if part)
        + (f" at {cells['customer']}" if cells["customer"] else ""),
    )
    errors: dict[str, list[str]] = {}
    installed_on = None
    try:
        installed_on = parse_day(
            cells["installed_on"], "installed_on", earliest=date.min, latest=date.max
        )
    except Invalid as exc:
        for message in exc.fields.get("installed_on", [exc.message]):
            add_error(errors, "installed_on", message)
    plotter_key = (cells["make"].lower(), cells["serial"].upper())
    if cells["serial"] and plotter_key in seen:
        add_error(
            errors,
            "serial",
            f"{plotter_key[1]} is already on row {seen[plotter_key]}: give each plotter one row.",
        )
    elif cells["serial"]:
        seen[plotter_key] = row.number
    if row.overflow:
        add_error(errors, "row", "This row has more cells than the first row names columns.")
    if errors:
        result.status, result.errors = "error", errors
        return result
    learned: list[Callable[[], None]] = []  # what the book learns once the row is in
    try:
        with savepoint():
            created = _apply(book, cells, installed_on, result.changes, learned, actor_id)
            db.session.flush()
    except RowError as exc:
        result.status, result.errors, result.changes = "error", exc.errors, []
        if seen.get(plotter_key) == row.number:
            del seen[plotter_key]  # a skipped row holds no serial: a later one may bring it
        return result
    for learn in learned:
        learn()
    result.status = "new" if created else ("updated" if result.changes else "unchanged")
    return result


def _through(cells: dict[str, str], work: Callable):
    """work's answer, or RowError with the service's messages under the file's columns."""
    try:
        work_done = work()
        db.session.flush()  # a value too long for its column is refused here
        return work_done
    except (Invalid, Conflict) as exc:
        errors: dict[str, list[str]] = {}
        for name, messages in exc.fields.items():
            for message in messages:
                add_error(errors, cells.get(name, "row"), message)
        if not errors:
            add_error(errors, "row", exc.message)
        raise RowError(errors) from exc


def _apply(
    book: _Book,
    cells: dict[str, str],
    installed_on: date | None,
    changes: list[str],
    learned: list,
    actor_id: int | None,
) -> bool:
    """Write the row through the services; returns whether the plotter is new."""
    customer = _customer(book, cells, changes, learned, actor_id)
    site = _site(book, customer, cells, changes, learned, actor_id) if cells["site"] else None
    if site is not None and cells["contact_name"]:
        _site_contact(book, customer, site, cells, changes, learned, actor_id)
    key = (cells["make"].lower(), cells["serial"].upper())
    plotter = book.plotters.get(key)
    if plotter is None:
        plotter = _through(
            PLOTTER_CELLS,
            lambda: create_equipment(
                customer_id=customer.id,
                site_id=site.id if site else None,
                make=cells["make"],
                model=cells["model"],
                serial_number=cells["serial"],
                installed_on=installed_on,
                actor_id=actor_id,
            ),
        )
        learned.append(lambda: book.plotters.__setitem__(key, plotter))
        return True
    _update_plotter(plotter, customer, site, cells, installed_on, changes, actor_id)
    return False


def _customer(book, cells, changes, learned, actor_id) -> Customer:
    """The row's customer: found by name, else added; without a site, the address and
    contact cells are the customer's own and update it."""
    found = book.customers.find(cells["customer"], "customer")
    own = {} if cells["site"] else _own_details(cells)
    if found is None:
        values = {"name": cells["customer"], **own}
        customer = _through(
            CUSTOMER_CELLS, lambda: customers.create_customer(values, actor_id=actor_id)
        )
        changes.append(f"new customer {customer.name}")
        learned.append(lambda: book.customers.add(customer))
        return customer
    edits = {name: value for name, value in own.items() if value != getattr(found, name)}
    if edits:
        changes.extend(
            f"customer's {name.replace('_', ' ')}: {_shown(getattr(found, name))} → {value}"
            for name, value in edits.items()
        )
        values = {name: getattr(found, name) for name in customers.FIELDS} | edits
        _through(
            CUSTOMER_CELLS,
            lambda: customers.update_customer(found, values, actor_id=actor_id),
        )
    return found


def _own_details(cells: dict[str, str]) -> dict[str, str]:
    """The customer's own address and contact, as far as the row gives them."""
    given = {
        "address": cells["address"],
        "contact_name": cells["contact_name"],
        "phone": cells["contact_phone"],
        "email": cells["contact_email"],
    }
    return {name: value for name, value in given.items() if value}


def _site(book, customer, cells, changes, learned, actor_id) -> Site:
    sites = book.sites_of(customer)
    site = sites.find(cells["site"], "site")
    if site is None:
        values = {"name": cells["site"], "address": cells["address"]}
        site = _through(
            SITE_CELLS, lambda: customers.save_site(customer, values, actor_id=actor_id)
        )
        changes.append(f"new site {site.name}")
        learned.append(lambda: sites.add(site))
        return site
    address = cells["address"]
    # The export writes the customer's address for a site without its own: that is no change.
    shown = site.address or customer.address
    if address and address != shown:
        changes.append(f"address of {site.name}: {_shown(site.address)} → {address}")
        values = {
            "name": site.name,
            "address": address,
            "access_notes": site.access_notes,
            "opening_hours": site.opening_hours,
            "active": "1" if site.active else "0",
        }
        _through(SITE_CELLS, lambda: customers.save_site(customer, values, site, actor_id=actor_id))
    return site


def _site_contact(book, customer, site, cells, changes, learned, actor_id) -> None:
    """The row's contact as the site's contact: found among the customer's people by name,
    else added; their phone and email updated where the row gives others."""
    current = site.site_contact
    if current is None and (
        cells["contact_name"],
        cells["contact_phone"] or customer.phone,
        cells["contact_email"] or customer.email,
    ) == (customer.contact_name, customer.phone, customer.email):
        return  # the customer's own contact, as the export writes it for such a site
    person = book.person_for(customer, site, cells["contact_name"])
    phone = cells["contact_phone"]
    if person is not None and not person.phone and phone == customer.phone:
        phone = ""  # the export's fallback to the customer's number
    wanted_phone = phone or (person.phone if person else "")
    wanted_email = cells["contact_email"] or (person.email if person else "")
    is_theirs = current is not None and person is not None and current.id == person.id
    if is_theirs and (person.phone, person.email) == (wanted_phone, wanted_email):
        return
    values = {
        "name": person.name if person else cells["contact_name"],
        "role": person.role if person else "",
        "phone": wanted_phone,
        "email": wanted_email,
        "site_id": str(site.id),
        "is_site_contact": "1",
        "is_billing": "1" if person is not None and person.is_billing else "",
    }
    saved = _through(
        CONTACT_CELLS,
        lambda: customers.save_contact(customer, values, person, actor_id=actor_id),
    )
    db.session.expire(site, ["site_contact"])  # it is now saved: read again when asked
    if person is None:
        changes.append(f"new contact {saved.name}, site contact of {site.name}")
        named = book.people_of(customer).setdefault(_key(saved.name), [])
        learned.append(lambda: named.append(saved))
        return
    if not is_theirs:
        was = current.name if current else ""
        changes.append(f"site contact of {site.name}: {_shown(was)} → {saved.name}")
    for label, old, new in (
        ("phone", person.phone, wanted_phone),
        ("email", person.email, wanted_email),
    ):
        if old != new:
            changes.append(f"{saved.name}'s {label}: {_shown(old)} → {_shown(new)}")


def _update_plotter(plotter, customer, site, cells, installed_on, changes, actor_id) -> None:
    moved = plotter.customer_id != customer.id
    site_id = site.id if site else (None if moved else plotter.site_id)
    wanted = {
        "customer": (plotter.customer.name, customer.name, moved),
        "site": (
            plotter.site.name if plotter.site else "",
            site.name if site else ("" if moved else (plotter.site.name if plotter.site else "")),
            site_id != plotter.site_id,
        ),
        "model": (plotter.model, cells["model"], cells["model"] != plotter.model),
        "installed on": (
            plotter.installed_on,
            installed_on,
            installed_on is not None and installed_on != plotter.installed_on,
        ),
    }
    edits = [(name, old, new) for name, (old, new, differs) in wanted.items() if differs]
    if not edits:
        return
    changes.extend(f"{name}: {_shown(old)} → {_shown(new)}" for name, old, new in edits)
    _through(
        PLOTTER_CELLS,
        lambda: update_equipment(
            plotter,
            customer_id=customer.id,
            site_id=site_id,
            make=plotter.make,
            model=cells["model"],
            serial_number=plotter.serial_number,
            location_note=plotter.location_note,
            installed_on=installed_on or plotter.installed_on,
            notes=plotter.notes,
            meter_unit=plotter.meter_unit,
            actor_id=actor_id,
        ),
    )
