"""CSV import and export of the parts catalogue and stock: a check that lists every row and
writes nothing, an import that applies all rows or none and never duplicates, exports that
are safe to open in a spreadsheet and import back unchanged."""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from html import unescape

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.csvimport import MAX_ROWS
from fieldapp.extensions import db
from fieldapp.inventory.imports import check_file
from fieldapp.inventory.models import (
    Part,
    PartCompatibility,
    StockLevel,
    StockMovement,
    Supplier,
)
from tests import factories, import_pages
from tests.conftest import make_test_app
from tests.sql import count_queries

CATALOGUE_HEADER = [
    "sku",
    "name",
    "manufacturer",
    "manufacturer_part_number",
    "category",
    "unit_cost",
    "minimum",
    "maximum",
    "compatible_models",
    "supplier",
    "supplier_part_number",
    "consumable",
]


@pytest.fixture
def office(client, auth):
    auth.login("office", name="Maria Chen")
    return client


@pytest.fixture
def store(app):
    """The warehouse with 5 carriage belts, a tech's van, a supplier and two parts."""
    warehouse = factories.make_location("warehouse", name="Warehouse")
    van = factories.van_of(factories.make_user("tech", name="Sam Okafor"))
    supplier = Supplier(name="Northline Imaging Parts")
    db.session.add(supplier)
    belt = factories.make_part(
        sku="CR357-67010",
        name="Carriage belt 24in",
        manufacturer="HP",
        unit_cost_cents=4000,
        supplier=supplier,
        compatible=[PartCompatibility(model="DesignJet T830")],
    )
    head = factories.make_part(sku="F9J81A", name="HP 729 printhead", category="printhead")
    factories.stock(belt, warehouse, 5)
    return warehouse, van, belt, head


def csv_bytes(rows, *, delimiter=",", bom=False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode()


def belt_row(**changes) -> list[str]:
    """The stored carriage belt as a catalogue row, with some cells changed."""
    row = {
        "sku": "CR357-67010",
        "name": "Carriage belt 24in",
        "manufacturer": "HP",
        "manufacturer_part_number": "",
        "category": "belt",
        "unit_cost": "40.00",
        "minimum": "",
        "maximum": "",
        "compatible_models": "DesignJet T830",
        "supplier": "Northline Imaging Parts",
        "supplier_part_number": "",
        "consumable": "no",
    }
    row.update(changes)
    return [row[column] for column in CATALOGUE_HEADER]


NEW_PART = [
    "Q6659-60175",
    "Service station assembly",
    "HP",
    "Q6659-60175",
    "Service station",
    "$1,119.50",
    "1",
    "3",
    "DesignJet Z3200; DesignJet Z2100 ;",
    "northline imaging parts",
    "NIP-88",
    "no",
]


def check(client, kind: str, data: bytes, filename: str = "parts.csv"):
    return client.post(
        "/stock/import",
        data={"kind": kind, "action": "check", "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def import_checked(client, page):
    return import_pages.import_checked(client, page, "/stock/import")


def stored() -> dict[str, int]:
    """How many parts, levels, ledger lines and activity events there are."""
    db.session.expire_all()
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Part, StockLevel, StockMovement, ActivityEvent)
    }


def rows_of(html: str) -> dict[int, str]:
    """The check's table: each row's HTML by its row number."""
    table = html[html.index("data-import-rows") :]
    return {
        int(number): unescape(body)
        for number, body in re.findall(r'data-row="(\d+)">(.*?)</tr>', table, flags=re.S)
    }


def level(part, location) -> tuple[int, int, int] | None:
    db.session.expire_all()
    row = db.session.execute(
        sa.select(StockLevel.quantity, StockLevel.minimum, StockLevel.maximum).where(
            StockLevel.part_id == part.id, StockLevel.location_id == location.id
        )
    ).first()
    return tuple(row) if row else None


def test_the_check_lists_every_row_and_changes_nothing(office, store):
    """Does the dry run show each row's result and leave every table as it was?"""
    data = csv_bytes(
        [CATALOGUE_HEADER, belt_row(unit_cost="42.50"), NEW_PART, belt_row(sku="F9J81A", name="")]
    )
    before = stored()
    with count_queries() as statements:
        page = check(office, "catalogue", data)
    assert page.status_code == 200
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DEL"))]
    assert writes == []
    assert stored() == before
    assert db.session.scalar(sa.select(Part).where(Part.sku == "Q6659-60175")) is None

    html = page.get_data(as_text=True)
    rows = rows_of(html)
    assert sorted(rows) == [2, 3, 4]  # the column names are row 1
    assert "Updated" in rows[2] and "unit cost: 40.00 → 42.50" in rows[2]
    assert "New" in rows[3] and "Service station assembly" in rows[3]
    assert "Error" in rows[4] and "Fill this in." in rows[4]
    assert "1 row has an error, so nothing can be imported yet." in html
    assert "data-import-go" not in html  # no import button while a row has an error


def test_a_levels_check_writes_nothing_either(office, store):
    warehouse, van, belt, _ = store
    data = csv_bytes(
        [["sku", "location", "quantity"], [belt.sku, "Warehouse", "9"], [belt.sku, van.name, "2"]]
    )
    before = stored()
    page = check(office, "levels", data, "levels.csv")
    assert page.status_code == 200
    assert stored() == before and level(belt, warehouse) == (5, 0, 0)
    rows = rows_of(page.get_data(as_text=True))
    assert "quantity: 5 → 9 (+4)" in rows[2] and "Updated" in rows[2]
    assert "quantity: 0 → 2 (+2)" in rows[3] and "New" in rows[3]


def test_the_service_check_leaves_the_session_clean(app, store):
    """Is check_file a pure read: nothing added, changed or deleted in the session?"""
    check_file("catalogue", csv_bytes([CATALOGUE_HEADER, belt_row(name="Renamed"), NEW_PART]))
    assert not db.session.new and not db.session.dirty and not db.session.deleted


def test_an_import_applies_and_a_second_one_duplicates_nothing(office, store):
    """Are new parts added, changed ones updated, and is importing the file again a no-op?"""
    warehouse, _, belt, _ = store
    data = csv_bytes([CATALOGUE_HEADER, belt_row(name="Carriage belt 24in (B)"), NEW_PART])
    done = import_checked(office, check(office, "catalogue", data))
    assert done.status_code == 302 and done.location.endswith("/parts")
    message = office.get("/parts").get_data(as_text=True)
    assert "Imported parts.csv (parts catalogue): 1 new, 1 updated." in message

    station = db.session.scalar(sa.select(Part).where(Part.sku == "Q6659-60175"))
    assert station.category == "service_station" and station.unit_cost_cents == 111950
    assert station.supplier.name == "Northline Imaging Parts"
    assert station.compatible_models == ["DesignJet Z2100", "DesignJet Z3200"]
    assert level(station, warehouse) == (0, 1, 3)
    assert belt.name == "Carriage belt 24in (B)"
    after_first = stored()

    again = check(office, "catalogue", data)
    html = again.get_data(as_text=True)
    assert "Nothing to import: every row matches what is stored." in html
    assert all("Unchanged" in row for row in rows_of(html).values())
    response = office.post(
        "/stock/import",
        data={"kind": "catalogue", "action": "import", "file": (io.BytesIO(data), "parts.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "nothing changed, every row matches what is stored" in response.get_data(as_text=True)
    assert stored() == after_first  # no part, level, movement or event more


def test_levels_are_set_by_count_and_a_second_import_writes_no_movement(office, store):
    """Does a levels import write only the difference, and nothing when run again?"""
    warehouse, van, belt, head = store
    data = csv_bytes(
        [
            ["SKU", "Location", "Quantity", "Minimum", "Maximum"],
            [belt.sku, "warehouse", "3", "2", "6"],
            [belt.sku, van.name, "2", "", ""],
            [head.sku, "Warehouse", "0", "1", "2"],
        ],
        bom=True,
    )
    done = import_checked(office, check(office, "levels", data, "levels.csv"))
    assert done.status_code == 302 and done.location.endswith("/stock")
    assert level(belt, warehouse) == (3, 2, 6)
    assert level(belt, van) == (2, 0, 0)
    assert level(head, warehouse) == (0, 1, 2)
    lines = db.session.execute(
        sa.select(StockMovement.location_id, StockMovement.quantity, StockMovement.kind)
        .where(StockMovement.kind == "adjust")
        .order_by(StockMovement.id)
    ).all()
    assert lines == [(warehouse.id, -2, "adjust"), (van.id, 2, "adjust")]
    after_first = stored()

    again = check(office, "levels", data, "levels.csv").get_data(as_text=True)
    assert "Nothing to import" in again and "data-import-go" not in again
    response = office.post(
        "/stock/import",
        data={"kind": "levels", "action": "import", "file": (io.BytesIO(data), "levels.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert stored() == after_first


def test_an_updated_row_updates_only_what_it_names(office, store):
    """Does a file with some columns change those and keep the part's other values?"""
    _, _, belt, _ = store
    data = csv_bytes([["sku", "name", "unit_cost"], [belt.sku, "Carriage belt, 24 inch", "42.5"]])
    page = check(office, "catalogue", data)
    changes = rows_of(page.get_data(as_text=True))[2]
    assert "name: Carriage belt 24in → Carriage belt, 24 inch" in changes
    assert "unit cost: 40.00 → 42.50" in changes
    assert import_checked(office, page).status_code == 302
    db.session.expire_all()
    assert (belt.name, belt.unit_cost_cents) == ("Carriage belt, 24 inch", 4250)
    assert (belt.manufacturer, belt.supplier.name) == ("HP", "Northline Imaging Parts")
    assert belt.compatible_models == ["DesignJet T830"]


def test_every_bad_catalogue_row_is_listed_with_its_row_number(office, store):
    data = csv_bytes(
        [
            CATALOGUE_HEADER,
            belt_row(unit_cost="lots"),
            belt_row(sku="NEW-1", supplier="Acme Plotter Bits"),
            belt_row(sku="NEW-2", category="Sprockets"),
            belt_row(sku="NEW-3", name="x" * 201),
            NEW_PART,
            ["Q6659-60175", *NEW_PART[1:]],
            belt_row(sku="NEW-4", minimum="5", maximum="2"),
            belt_row(sku="NEW-5", consumable="perhaps"),
            belt_row(sku="bad sku!"),
        ]
    )
    before = stored()
    page = check(office, "catalogue", data)
    html = page.get_data(as_text=True)
    rows = rows_of(html)
    assert "unit_cost</span>: Enter a price in dollars such as 42.50." in rows[2]
    assert "There is no supplier called Acme Plotter Bits" in rows[3]
    assert "category</span>: Must be one of: printhead, maintenance" in rows[4]
    assert "name</span>: Keep it to 200 characters or fewer." in rows[5]
    assert "New" in rows[6]
    assert "Q6659-60175 is already on row 6: give each part one row." in rows[7]
    assert "Keep the maximum at or above the minimum." in rows[8]
    assert "consumable</span>: Enter yes or no." in rows[9]
    assert "Use letters, digits, dots, dashes and slashes" in rows[10]
    assert "8 rows have errors" in html

    refused = office.post(
        "/stock/import",
        data={"kind": "catalogue", "action": "import", "file": (io.BytesIO(data), "parts.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Nothing was imported: 8 rows have errors." in refused.get_data(as_text=True)
    assert stored() == before


def test_every_bad_levels_row_is_listed_with_its_row_number(office, store):
    warehouse, van, belt, head = store
    retired = factories.make_location("warehouse", name="Old depot", active=False)
    data = csv_bytes(
        [
            ["sku", "location", "quantity"],
            [belt.sku, "Basement", "3"],
            [belt.sku, "Warehouse", "-1"],
            ["NOPE-1", "Warehouse", "1"],
            [head.sku, van.name, "1"],
            [head.sku, van.name, "2"],
            [head.sku, retired.name, "1"],
            [belt.sku, "Warehouse", "two"],
            [belt.sku, "Warehouse", ""],
        ]
    )
    html = check(office, "levels", data, "levels.csv").get_data(as_text=True)
    rows = rows_of(html)
    assert "location</span>: There is no location called Basement." in rows[2]
    assert "quantity</span>: A count is 0 or more." in rows[3]
    assert "There is no part with the number NOPE-1" in rows[4]
    assert "New" in rows[5]
    assert f"{head.sku} at {van.name} is already on row 5." in rows[6]
    assert "Old depot is no longer in use." in rows[7]
    assert "Not a valid integer." in rows[8]
    assert "quantity</span>: Fill this in." in rows[9]


def test_one_bad_row_blocks_the_whole_import(office, store):
    """Is a file with one error imported not at all, even when its check is skipped?"""
    warehouse, _, belt, _ = store
    data = csv_bytes(
        [["sku", "location", "quantity"], [belt.sku, "Warehouse", "9"], [belt.sku, "Mars", "1"]]
    )
    before = stored()
    response = office.post(
        "/stock/import",
        data={"kind": "levels", "action": "import", "file": (io.BytesIO(data), "levels.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert stored() == before and level(belt, warehouse) == (5, 0, 0)


def test_the_import_checks_what_it_is_sent_again(office, store):
    """A preview edited in the browser proves nothing: the carried file is checked again."""
    _, _, belt, _ = store
    page = check(office, "catalogue", csv_bytes([["sku", "name"], [belt.sku, "Belt"]]))
    html = page.get_data(as_text=True)
    assert 'name="content"' in html
    tampered = csv_bytes([["sku", "name"], [belt.sku, "x" * 300]])
    forged = base64.b64encode(zlib.compress(tampered)).decode()
    response = office.post(
        "/stock/import",
        data={"kind": "catalogue", "action": "import", "content": forged},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Keep it to 200 characters or fewer." in response.get_data(as_text=True)
    garbage = office.post(
        "/stock/import",
        data={"kind": "catalogue", "action": "import", "content": "not base64 at all!"},
        content_type="multipart/form-data",
    )
    assert garbage.status_code == 422
    assert "did not come back whole" in garbage.get_data(as_text=True)
    db.session.expire_all()
    assert belt.name == "Carriage belt 24in"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n", "The file is empty."),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is a spreadsheet workbook, not a CSV file."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it holds binary data"),
        (b"sku,name\nAB-1,Caf\xe9 filter\n", "This file is not UTF-8 text."),
        (b"part,description\nAB-1,Belt\n", "this file has no sku or name columns"),
        (b"sku,name\n", "The file names its columns but has no rows to import."),
        (b"sku,name,name\nAB-1,Belt,Belt\n", "The first row names the column name twice."),
        (b"sku,location,quantity\nAB-1,Warehouse,1\n", "It looks like a stock levels file"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(office, store, data, message):
    before = stored()
    response = check(office, "catalogue", data, "upload.csv")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored() == before


def test_too_many_rows_and_too_large_a_file_are_refused(app, office, store):
    rows = [["sku", "name"]] + [[f"P-{n}", f"Part {n}"] for n in range(MAX_ROWS + 1)]
    response = check(office, "catalogue", csv_bytes(rows))
    assert response.status_code == 422
    assert "more than 5,000 rows" in response.get_data(as_text=True)

    app.config["MAX_CONTENT_LENGTH"] = 2048
    big = check(office, "catalogue", csv_bytes(rows[:200]))
    assert big.status_code == 413
    text = big.get_data(as_text=True)
    assert "larger than the upload limit of 2 KB" in text and "Check file" in text


def test_semicolons_a_bom_and_spreadsheet_column_names_are_read(office, store):
    _, _, belt, _ = store
    data = csv_bytes(
        [["SKU", "Name", "Unit cost", "Extra notes"], [belt.sku, belt.name, "40,00"]],
        delimiter=";",
        bom=True,
    )
    html = check(office, "catalogue", data).get_data(as_text=True)
    assert "Not imported: the column extra_notes" in html
    # 40,00 is not a price the import reads: said, not guessed.
    assert "Enter a price in dollars such as 42.50." in rows_of(html)[2]


def test_exports_hold_the_right_rows_and_are_safe_to_open(office, store):
    warehouse, van, belt, head = store
    factories.set_limits(belt, warehouse, 2, 6)
    factories.stock(head, van, 2)
    trap = factories.make_part(sku="TRAP-1", name='=HYPERLINK("http://evil.example","HP")')

    parts = office.get("/parts.csv")
    assert parts.mimetype == "text/csv" and "attachment" in parts.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(parts.get_data(as_text=True))))
    assert lines[0][:3] == ["sku", "name", "manufacturer"]
    by_sku = {line[0]: dict(zip(lines[0], line, strict=True)) for line in lines[1:]}
    assert sorted(by_sku) == sorted([belt.sku, head.sku, trap.sku])
    assert by_sku[belt.sku]["unit_cost"] == "40.00"
    assert (by_sku[belt.sku]["minimum"], by_sku[belt.sku]["maximum"]) == ("2", "6")
    assert by_sku[belt.sku]["supplier"] == "Northline Imaging Parts"
    assert by_sku[trap.sku]["name"] == "'" + trap.name  # text to a spreadsheet, not a formula

    levels = list(csv.reader(io.StringIO(office.get("/stock/levels.csv").get_data(as_text=True))))
    assert levels[0] == [
        "sku",
        "name",
        "location",
        "quantity",
        "minimum",
        "maximum",
        "unit_cost",
        "value",
    ]
    assert [belt.sku, belt.name, "Warehouse", "5", "2", "6", "40.00", "200.00"] in levels
    assert [head.sku, head.name, van.name, "2", "0", "0", "45.00", "90.00"] in levels
    assert len(levels) == 3

    ledger = office.get("/stock/movements.csv").get_data(as_text=True)
    movements = list(csv.reader(io.StringIO(ledger)))
    assert movements[0][:5] == ["date", "sku", "name", "location", "quantity"]
    assert [row[1] for row in movements[1:]] == [belt.sku, head.sku]
    assert movements[1][4:7] == ["5", "receive", "Test stock"]


def test_the_movements_export_filters_by_day_and_reads_in_batches(office, store, monkeypatch):
    from datetime import UTC, datetime

    from fieldapp.inventory import exports

    warehouse, _, belt, _ = store
    for day in (3, 10, 10, 20):
        db.session.add(
            StockMovement(
                part_id=belt.id,
                location_id=warehouse.id,
                quantity=1,
                kind="adjust",
                reason=f"found on the {day}th",
                at=datetime(2025, 3, day, 18, tzinfo=UTC),
            )
        )
    db.session.commit()
    monkeypatch.setattr(exports, "MOVEMENT_BATCH", 2)  # ties on the time cross a batch

    def reasons(query: str) -> list[str]:
        response = office.get(f"/stock/movements.csv{query}")
        assert response.status_code == 200
        return [row[6] for row in csv.reader(io.StringIO(response.get_data(as_text=True)))][1:]

    assert reasons("?since=2025-03-10&until=2025-03-10") == ["found on the 10th"] * 2
    assert reasons("?since=2025-03-04&until=2025-03-20") == [
        "found on the 10th",
        "found on the 10th",
        "found on the 20th",
    ]
    assert len(reasons("")) == 5  # and the 5 belts received, every line once
    bad = office.get("/stock/movements.csv?since=2025-13-01")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.get_data(as_text=True)
    backwards = office.get("/stock/movements.csv?since=2025-03-10&until=2025-03-01")
    assert backwards.status_code == 422


def test_the_catalogue_export_imports_back_unchanged(office, store):
    """Round trip: every part exported, formula-looking name and all, imports as unchanged."""
    warehouse, _, belt, head = store
    factories.set_limits(belt, warehouse, 2, 6)
    trap = factories.make_part(sku="TRAP-1", name="=SUM(A1:A9)", manufacturer="@HP")
    trap.compatible = [PartCompatibility(model="DesignJet T1700"), PartCompatibility(model="Z6")]
    head.active = False
    db.session.commit()

    exported = office.get("/parts.csv").get_data()
    before = stored()
    page = check(office, "catalogue", exported, "parts.csv")
    html = page.get_data(as_text=True)
    assert "Nothing to import: every row matches what is stored." in html
    assert all("Unchanged" in row for row in rows_of(html).values()), html
    levels = office.get("/stock/levels.csv").get_data()
    assert "Nothing to import" in check(office, "levels", levels, "l.csv").get_data(as_text=True)
    assert stored() == before


def test_the_template_names_the_columns(office, store):
    template = office.get("/stock/import/template.csv?kind=levels").get_data(as_text=True)
    assert template.strip() == "sku,location,quantity,minimum,maximum"
    assert office.get("/stock/import/template.csv?kind=other").status_code == 404


def test_the_page_explains_the_files_and_links_from_the_stock_pages(office, store):
    page = office.get("/stock/import?kind=levels").get_data(as_text=True)
    assert "No file checked yet" in page and "Download template" in page
    assert 'value="levels" checked' in page
    assert "/stock/import" in office.get("/parts").get_data(as_text=True)
    assert "/parts.csv" in office.get("/parts").get_data(as_text=True)
    stock = office.get("/stock").get_data(as_text=True)
    assert "/stock/levels.csv" in stock and "/stock/movements.csv" in stock
    nothing = office.post("/stock/import", data={"kind": "catalogue", "action": "check"})
    assert nothing.status_code == 422
    assert "Choose a CSV file to check." in nothing.get_data(as_text=True)


def test_techs_and_the_public_cannot_import_or_export(client, auth, store):
    _, _, belt, _ = store
    data = csv_bytes([["sku", "name"], [belt.sku, "Renamed by a tech"]])
    for path in ("/stock/import", "/parts.csv", "/stock/levels.csv", "/stock/movements.csv"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login")
    anonymous = client.post(
        "/stock/import",
        data={"kind": "catalogue", "action": "import", "file": (io.BytesIO(data), "p.csv")},
        content_type="multipart/form-data",
    )
    assert anonymous.status_code == 302
    auth.login("tech")
    for path in ("/stock/import", "/parts.csv", "/stock/levels.csv", "/stock/movements.csv"):
        assert client.get(path).status_code == 403
    refused = client.post(
        "/stock/import",
        data={"kind": "catalogue", "action": "import", "file": (io.BytesIO(data), "p.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    db.session.expire_all()
    assert belt.name == "Carriage belt 24in"


def test_with_csrf_on_the_forms_carry_their_token_and_a_forged_import_is_refused(
    tmp_path, postgres_schema
):
    """Does the check → import round work with CSRF checked, a cross-site post change
    nothing, and a file over the limit still get the import page (the token check reads the
    form first, so the limit is hit there)?"""
    app = make_test_app(tmp_path, postgres_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        factories.make_location("warehouse", name="Warehouse")
        user = factories.make_user("office")
        token = re.search(
            r'name="csrf-token" content="([^"]+)"', client.get("/login").get_data(as_text=True)
        ).group(1)
        client.post(
            "/login",
            data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
        )
        token = re.search(
            r'name="csrf-token" content="([^"]+)"',
            client.get("/stock/import").get_data(as_text=True),
        ).group(1)
        data = csv_bytes([["sku", "name"], ["NEW-1", "Pinch roller"]])
        forged = client.post(
            "/stock/import",
            data={"kind": "catalogue", "action": "import", "file": (io.BytesIO(data), "p.csv")},
            content_type="multipart/form-data",
        )
        assert forged.status_code == 400
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Part)) == 0
        page = client.post(
            "/stock/import",
            data={
                "kind": "catalogue",
                "action": "check",
                "csrf_token": token,
                "file": (io.BytesIO(data), "p.csv"),
            },
            content_type="multipart/form-data",
        )
        assert import_checked(client, page).status_code == 302
        assert db.session.scalar(sa.select(Part.name).where(Part.sku == "NEW-1")) == "Pinch roller"

        app.config["MAX_CONTENT_LENGTH"] = 1024
        big = client.post(
            "/stock/import",
            data={"csrf_token": token, "file": (io.BytesIO(b"sku,name\n" + b"A,B\n" * 400), "b")},
            content_type="multipart/form-data",
        )
        assert big.status_code == 413
        assert "larger than the upload limit of 1 KB" in big.get_data(as_text=True)
        db.session.remove()
