"""Importing the parts catalogue and stock levels from CSV: every row checked by the schemas
the forms use, a dry run that writes nothing, and an import that applies every row or none.

Parts are matched by SKU and levels by part and location, so the same file imported again
changes nothing: a level is set through a count, which writes only the difference as an
adjustment (none when the level already is what the file says).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
from marshmallow import ValidationError, fields
from sqlalchemy.orm import selectinload

from fieldapp.activity.services import record_event
from fieldapp.csvimport import (
    Column,
    ImportPreview,
    RowResult,
    SourceFile,
    SourceRow,
    add_error,
    read_table,
)
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.form_values import cents_from_text, typed_values
from fieldapp.inventory.models import (
    PART_CATEGORIES,
    SKU_MAX,
    Part,
    StockLevel,
    StockLocation,
    Supplier,
)
from fieldapp.inventory.schemas import LimitsSchema, PartInputSchema, StockOperationSchema
from fieldapp.inventory.services import (
    adjust_to_count,
    create_part,
    location_by_id,
    set_limits,
    set_part_active,
    update_part,
    warehouse,
)
from fieldapp.wire import EMPTY, flat_messages

COUNT_REASON = "count: CSV import"

CATALOGUE_COLUMNS = (
    Column(
        "sku",
        "The number you stock the part under; a part with it is updated.",
        "CR357-67010",
        required=True,
    ),
    Column("name", "What the office and the techs see.", "Carriage belt 24in", required=True),
    Column("manufacturer", "Who makes it.", "HP"),
    Column("manufacturer_part_number", "The maker's number for it.", "CR357-67010"),
    Column("category", f"One of: {', '.join(PART_CATEGORIES)}.", "belt"),
    Column("unit_cost", "Average cost in dollars.", "42.50"),
    Column("minimum", "What the warehouse keeps at least (with maximum).", "2"),
    Column("maximum", "What the warehouse is restocked up to.", "6"),
    Column(
        "compatible_models",
        "Plotter models it fits, separated by ;",
        "DesignJet T830; DesignJet T730",
    ),
    Column("supplier", "A supplier's name as under Suppliers.", "Northline Imaging Parts"),
    Column("supplier_part_number", "The supplier's number for it.", "NIP-4410"),
    Column("consumable", "yes for wipes, swabs and cleaning kits.", "no"),
    Column("active", "no keeps it out of the lists and the phones.", "yes"),
)
LEVELS_COLUMNS = (
    Column("sku", "A part in the catalogue.", "CR357-67010", required=True),
    Column("location", "A location's name as under Locations.", "Warehouse", required=True),
    Column("quantity", "How many you counted there; the level is set to it.", "4", required=True),
    Column("minimum", "What the location keeps at least (with maximum).", "2"),
    Column("maximum", "What it is restocked up to.", "6"),
)
COLUMNS = {"catalogue": CATALOGUE_COLUMNS, "levels": LEVELS_COLUMNS}
KINDS = tuple(COLUMNS)
KIND_NAMES = {"catalogue": "parts catalogue", "levels": "stock levels"}

YES_NO = "Enter yes or no."
# What the schemas call a field, as the file's column is named.
COLUMN_OF_FIELD = {"unit_cost_cents": "unit_cost", "supplier_id": "supplier", "to": "location"}
COLUMN_MESSAGES = {
    "unit_cost": "Enter a price in dollars such as 42.50.",
    "consumable": YES_NO,
    "active": YES_NO,
}


def read_file(data: bytes, kind: str) -> SourceFile:
    """The file's rows by column, or Invalid saying why it cannot be read as this kind."""

    def looks_like(header: list[str]) -> str:
        other = next(k for k in KINDS if k != kind)
        if all(c.name in header for c in COLUMNS[other] if c.required):
            return f"It looks like a {KIND_NAMES[other]} file: choose that kind of file."
        return ""

    return read_table(data, COLUMNS[kind], looks_like=looks_like)


# -- The check (dry run) and the import ------------------------------------------------------


def check_file(kind: str, data: bytes) -> ImportPreview:
    """The dry run: each row checked and compared with what is stored; nothing is written."""
    if kind not in COLUMNS:
        raise Invalid.field("kind", "Choose the parts catalogue or stock levels.")
    source = read_file(data, kind)
    checker = _CatalogueCheck(source) if kind == "catalogue" else _LevelsCheck(source)
    return ImportPreview(kind, [checker.check(row) for row in source.rows], source.ignored)


def import_file(kind: str, data: bytes, *, actor_id: int, filename: str = "") -> ImportPreview:
    """Check the file again and, when no row has an error, apply every row (no commit: the
    caller's unit of work makes it all or nothing). With an error, nothing is written."""
    preview = check_file(kind, data)
    if not preview.ready:
        return preview
    for row in preview.rows:
        if row.work is not None:
            row.work(actor_id)
    if preview.changing:
        counts = preview.counts
        record_event(
            "stock.imported",
            "import",
            kind,
            f"Imported the {KIND_NAMES[kind]}{f' from {filename}' if filename else ''}: "
            f"{counts['new']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged",
            actor_id=actor_id,
        )
    db.session.flush()
    preview.applied = True
    return preview


def _add_schema_errors(errors: dict[str, list[str]], exc: ValidationError) -> None:
    """The schema's messages under the file's column names."""
    for name, messages in flat_messages(exc.messages).items():
        top = name.split(".", 1)[0]
        column = "row" if top == "_schema" else COLUMN_OF_FIELD.get(top, top)
        for message in [COLUMN_MESSAGES[column]] if column in COLUMN_MESSAGES else messages:
            add_error(errors, column, message)


def _limits(cells: dict[str, str], errors: dict[str, list[str]]) -> tuple[int, int] | None:
    """The minimum and maximum a row gives (both, or neither: then they stay as they are)."""
    given = typed_values(cells, ("minimum", "maximum"), numbers=("minimum", "maximum"))
    if not given:
        return None
    if len(given) == 1:
        missing = "maximum" if "minimum" in given else "minimum"
        add_error(
            errors, missing, "Give the minimum and the maximum together, or leave both empty."
        )
        return None
    try:
        limits = LimitsSchema().load(given)
    except ValidationError as exc:
        _add_schema_errors(errors, exc)
        return None
    return limits["minimum"], limits["maximum"]


def _by_name(items: Iterable) -> dict[str, object]:
    """Suppliers or locations by their name as stored and as typed in any case."""
    found: dict[str, object] = {}
    for item in items:
        found.setdefault(item.name, item)
        found.setdefault(" ".join(item.name.split()).casefold(), item)
    return found


def _named(names: dict[str, object], typed: str):
    return names.get(typed) or names.get(" ".join(typed.split()).casefold())


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _parts_by_sku(skus: Iterable[str]) -> dict[str, Part]:
    wanted = sorted({sku for sku in skus if sku and len(sku) <= SKU_MAX})
    found: dict[str, Part] = {}
    for chunk in _chunks(wanted):
        for part in db.session.scalars(
            sa.select(Part)
            .where(Part.sku.in_(chunk))
            .options(selectinload(Part.compatible), selectinload(Part.supplier))
        ):
            found[part.sku] = part
    return found


def _levels_of(part_ids: list[int], location_id: int | None = None) -> dict[tuple, tuple]:
    """{(part id, location id): (quantity, minimum, maximum)} as stored."""
    found: dict[tuple, tuple] = {}
    for chunk in _chunks(part_ids):
        query = sa.select(
            StockLevel.part_id,
            StockLevel.location_id,
            StockLevel.quantity,
            StockLevel.minimum,
            StockLevel.maximum,
        ).where(StockLevel.part_id.in_(chunk))
        if location_id is not None:
            query = query.where(StockLevel.location_id == location_id)
        for part_id, loc_id, quantity, minimum, maximum in db.session.execute(query):
            found[(part_id, loc_id)] = (quantity, minimum, maximum)
    return found


def dollars(cents: int) -> str:
    """Cents as a price is typed in the files: 4250 -> "42.50"."""
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _shown(value: str) -> str:
    return value or "—"


class _CatalogueCheck:
    """Rows of a catalogue file against the parts stored (loaded once for the whole file)."""

    def __init__(self, source: SourceFile):
        self.parts = _parts_by_sku(row.cells["sku"] for row in source.rows)
        self.suppliers = _by_name(db.session.scalars(sa.select(Supplier)))
        self.store = warehouse()
        ids = [part.id for part in self.parts.values()]
        self.limits = {
            part_id: (minimum, maximum)
            for (part_id, _), (_, minimum, maximum) in (
                _levels_of(ids, self.store.id) if self.store else {}
            ).items()
        }
        self.seen: dict[str, int] = {}

    def check(self, row: SourceRow) -> RowResult:
        cells = row.cells
        sku = cells["sku"]
        part = self.parts.get(sku)
        result = RowResult(row.number, sku, cells["name"])
        errors: dict[str, list[str]] = {}
        values = self._values(cells, part, errors)
        data = None
        try:
            data = PartInputSchema().load(values)
        except ValidationError as exc:
            _add_schema_errors(errors, exc)
        limits = _limits(cells, errors)
        if limits is not None and self.store is None:
            add_error(
                errors, "minimum", "There is no warehouse to keep them: add it under Locations."
            )
        active = None
        if cells.get("active"):
            try:
                active = fields.Boolean().deserialize(cells["active"].lower())
            except ValidationError:
                add_error(errors, "active", YES_NO)
        if sku in self.seen:
            add_error(
                errors, "sku", f"{sku} is already on row {self.seen[sku]}: give each part one row."
            )
        elif sku:
            self.seen[sku] = row.number
        if row.overflow:
            add_error(errors, "row", "This row has more cells than the first row names columns.")
        if errors:
            result.status, result.errors = "error", errors
            return result

        current_limits = self.limits.get(part.id, (0, 0)) if part else (0, 0)
        new_limits = limits if limits is not None and limits != current_limits else None
        edited = self._changes(part, data) if part is not None else []
        if part is None:
            result.status = "new"
        else:
            result.changes = list(edited)
            if active is not None and active != part.active:
                result.changes.append(f"active: {_yes_no(part.active)} → {_yes_no(active)}")
            if new_limits:
                result.changes.append(
                    "warehouse min–max: {}–{} → {}–{}".format(*current_limits, *new_limits)
                )
            result.status = "updated" if result.changes else "unchanged"
        if result.status == "unchanged":
            return result
        store = self.store

        def work(actor_id: int) -> None:
            saved = part
            if saved is None:
                saved = create_part(data, actor_id=actor_id)
            elif edited:
                update_part(saved, data, actor_id=actor_id)
            if active is not None and active != saved.active:
                set_part_active(saved, active, actor_id=actor_id)
            if new_limits:
                set_limits(saved, store, *new_limits)

        result.work = work
        return result

    def _values(self, cells: dict[str, str], part: Part | None, errors: dict) -> dict:
        """The row as PartInputSchema loads it: a column the file leaves out keeps the part's
        value, and so does an empty category, cost or consumable (a new part: the default)."""

        def given(name: str, current):
            return cells.get(name, current)

        category, cost, consumable = cells.get("category"), cells.get("unit_cost"), None
        if cells.get("consumable"):
            consumable = cells["consumable"].lower()
        models = cells.get("compatible_models")
        return {
            "sku": cells["sku"],
            "name": cells["name"],
            "manufacturer": given("manufacturer", part.manufacturer if part else ""),
            "manufacturer_part_number": given(
                "manufacturer_part_number", part.manufacturer_part_number if part else ""
            ),
            "supplier_part_number": given(
                "supplier_part_number", part.supplier_part_number if part else ""
            ),
            "category": "_".join(category.lower().split())
            if category
            else (part.category if part else "other"),
            "unit_cost_cents": cents_from_text(cost)
            if cost
            else (part.unit_cost_cents if part else 0),
            "consumable": consumable
            if consumable is not None
            else (part.consumable if part else False),
            "compatible_models": [m.strip() for m in models.split(";") if m.strip()]
            if models is not None
            else (part.compatible_models if part else []),
            "supplier_id": self._supplier_id(cells, part, errors),
        }

    def _supplier_id(self, cells: dict[str, str], part: Part | None, errors: dict) -> int | None:
        if "supplier" not in cells:
            return part.supplier_id if part else None
        if not cells["supplier"]:
            return None
        supplier = _named(self.suppliers, cells["supplier"])
        if supplier is None:
            add_error(
                errors,
                "supplier",
                f"There is no supplier called {cells['supplier']}: add it under Suppliers, "
                "or correct the name.",
            )
            return None
        return supplier.id

    def _changes(self, part: Part, data: dict) -> list[str]:
        """What saving data would change on the part, as a person reads it."""
        changes = []
        for name, label in (
            ("name", "name"),
            ("manufacturer", "manufacturer"),
            ("manufacturer_part_number", "manufacturer part number"),
            ("supplier_part_number", "supplier part number"),
        ):
            old, new = getattr(part, name), data.get(name, "").strip()
            if old != new:
                changes.append(f"{label}: {_shown(old)} → {_shown(new)}")
        if part.category != data["category"]:
            changes.append(f"category: {part.category} → {data['category']}")
        if part.unit_cost_cents != data["unit_cost_cents"]:
            old, new = dollars(part.unit_cost_cents), dollars(data["unit_cost_cents"])
            changes.append(f"unit cost: {old} → {new}")
        if part.consumable != data["consumable"]:
            changes.append(
                f"consumable: {_yes_no(part.consumable)} → {_yes_no(data['consumable'])}"
            )
        if part.supplier_id != data["supplier_id"]:
            supplier = (
                db.session.get(Supplier, data["supplier_id"]) if data["supplier_id"] else None
            )
            old = part.supplier.name if part.supplier else ""
            changes.append(f"supplier: {_shown(old)} → {_shown(supplier.name if supplier else '')}")
        old_models = set(part.compatible_models)
        new_models = {" ".join(m.split()) for m in data["compatible_models"] if m.strip()}
        if old_models != new_models:
            added = "; ".join(sorted(new_models - old_models))
            removed = "; ".join(sorted(old_models - new_models))
            changes.append(
                "fits: "
                + ", ".join(
                    text for text in (added and f"+ {added}", removed and f"− {removed}") if text
                )
            )
        return changes


class _LevelsCheck:
    """Rows of a levels file against the levels stored (loaded once for the whole file)."""

    def __init__(self, source: SourceFile):
        self.parts = _parts_by_sku(row.cells["sku"] for row in source.rows)
        self.locations = _by_name(db.session.scalars(sa.select(StockLocation)))
        self.levels = _levels_of([part.id for part in self.parts.values()])
        self.seen: dict[tuple[int, int], int] = {}

    def check(self, row: SourceRow) -> RowResult:
        cells = row.cells
        sku, where = cells["sku"], cells["location"]
        result = RowResult(row.number, sku, where)
        errors: dict[str, list[str]] = {}
        part = self.parts.get(sku)
        if sku and part is None:
            add_error(
                errors,
                "sku",
                f"There is no part with the number {sku}: import it in the catalogue first.",
            )
        location = self._location(where, errors)
        counted = typed_values(cells, ("quantity",), numbers=("quantity",)).get("quantity")
        operation = {
            "id": str(uuid.uuid4()),
            "kind": "count",
            "sku": sku,
            "quantity": 0 if counted is None else counted,
            "to": location.id if location else None,
        }
        found: dict[str, list[str]] = {}
        try:
            StockOperationSchema().load(operation)
        except ValidationError as exc:
            _add_schema_errors(found, exc)
        if counted is None:
            found["quantity"] = [EMPTY]
        if location is None:
            found.pop("location", None)  # said already: which location is wrong
        for column, messages in found.items():
            for message in messages:
                add_error(errors, column, message)
        limits = _limits(cells, errors)
        if part is not None and location is not None:
            key = (part.id, location.id)
            if key in self.seen:
                add_error(
                    errors,
                    "location",
                    f"{sku} at {location.name} is already on row {self.seen[key]}.",
                )
            else:
                self.seen[key] = row.number
        if row.overflow:
            add_error(errors, "row", "This row has more cells than the first row names columns.")
        if errors:
            result.status, result.errors = "error", errors
            return result

        result.label = location.name
        stored = self.levels.get((part.id, location.id))
        quantity, current_limits = (stored[0], stored[1:]) if stored else (0, (0, 0))
        new_limits = limits if limits is not None and limits != current_limits else None
        if counted != quantity:
            result.changes.append(f"quantity: {quantity} → {counted} ({counted - quantity:+d})")
        if new_limits:
            result.changes.append("min–max: {}–{} → {}–{}".format(*current_limits, *new_limits))
        if not result.changes:
            return result
        result.status = "updated" if stored else "new"

        def work(actor_id: int) -> None:
            adjust_to_count(part, location, counted, actor_id=actor_id, reason=COUNT_REASON)
            if new_limits:
                set_limits(part, location, *new_limits)

        result.work = work
        return result

    def _location(self, typed: str, errors: dict) -> StockLocation | None:
        if not typed:
            add_error(errors, "location", EMPTY)
            return None
        location = _named(self.locations, typed)
        if location is None:
            add_error(errors, "location", f"There is no location called {typed}.")
            return None
        try:
            return location_by_id(location.id, "location")
        except Invalid as exc:
            add_error(errors, "location", exc.message)
            return None
