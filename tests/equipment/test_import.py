"""Importing customers, sites, contacts and plotters from a CSV file (the page, with its check
and confirm, and `flask import plotters`): a dry run changes nothing, the rows with errors
are skipped and reported exactly, the others imported, and importing again adds nothing.
The plotters export writes the same columns, safe to open in a spreadsheet, and imports back
as it is."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from html import unescape

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.customers.models import Contact, Customer, Site
from fieldapp.customers.services import save_site
from fieldapp.equipment.imports import NAMES, import_plotters
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.unit_of_work import unit_of_work
from tests import factories, import_pages

GOOD = [
    # A new customer, a site with its address and contact.
    [
        "Oakridge Survey & Mapping",
        "Main office",
        "1200 Ridge Rd, Denver CO",
        "Ana Ruiz",
        "303-555-0142",
        "ana@oakridge.example",
        "HP",
        "DesignJet T830",
        "CN11AA1111",
        "2021-03-14",
    ],
    # The same customer spelled another way, a second site, no contact.
    [
        " oakridge survey and mapping ",
        "Warehouse",
        "5 Dock St, Denver CO",
        "",
        "",
        "",
        "Canon",
        "imagePROGRAF TM-300",
        "AA22BB2222",
        "",
    ],
    # The stored customer, no site: the plotter stands at the customer's own address.
    ["Harbor Print Studio", "", "", "", "", "", "Epson", "SureColor T5170", "EP33CC3333", ""],
]
BAD_DATE = [
    "Harbor Print Studio",
    "",
    "",
    "",
    "",
    "",
    "HP",
    "DesignJet Z6",
    "CN44DD4444",
    "2021-13-40",
]
NO_SERIAL = ["Harbor Print Studio", "", "", "", "", "", "HP", "DesignJet T1700", "", ""]
SAME_SERIAL = ["Ridgeline Co", "", "", "", "", "", "hp", "DesignJet T830", "cn11aa1111", ""]


def csv_bytes(rows, header=NAMES) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([list(header), *rows])
    return out.getvalue().encode()


FILE = csv_bytes([*GOOD, BAD_DATE, NO_SERIAL, SAME_SERIAL])


@pytest.fixture
def harbor(app):
    return factories.make_customer(name="Harbor Print Studio", address="9 Quay St, Portland")


@pytest.fixture
def office(client, auth, harbor):
    auth.login("office", name="Maria Chen")
    return client


def stored() -> dict[str, int]:
    db.session.expire_all()
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Customer, Site, Contact, Equipment, ActivityEvent)
    }


def check(client, data: bytes, filename: str = "plotters.csv"):
    return client.post(
        "/plotters/import",
        data={"action": "check", "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def import_checked(client, page):
    return import_pages.import_checked(client, page, "/plotters/import")


def rows_of(html: str) -> dict[int, str]:
    table = html[html.index("data-import-rows") :]
    return {
        int(number): " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split()).replace(" :", ":")
        for number, body in re.findall(r'data-row="(\d+)">(.*?)</tr>', table, flags=re.S)
    }


def plotter(serial: str) -> Equipment | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Equipment).where(Equipment.serial_number == serial))


def test_the_check_lists_every_row_and_changes_nothing(office):
    before = stored()
    page = check(office, FILE)
    assert page.status_code == 200
    rows = rows_of(page.get_data(as_text=True))
    assert sorted(rows) == [2, 3, 4, 5, 6, 7]
    assert "New" in rows[2] and "new customer Oakridge Survey & Mapping" in rows[2]
    assert "new site Main office" in rows[2] and "new contact Ana Ruiz" in rows[2]
    assert "new site Warehouse" in rows[3] and "new customer" not in rows[3]
    assert "New" in rows[4] and "EP33CC3333" in rows[4]
    assert "installed_on: Enter the date as YYYY-MM-DD" in rows[5]
    assert "serial: Enter the serial number" in rows[6]
    assert "serial: CN11AA1111 is already on row 2" in rows[7]
    assert all("Error" not in rows[n] for n in (2, 3, 4))
    html = page.get_data(as_text=True)
    assert "Import 3 rows" in html and "3 rows have errors and are skipped" in html
    assert stored() == before


def test_the_import_skips_exactly_the_bad_rows_and_a_second_run_adds_nothing(office, harbor):
    before = stored()
    done = import_checked(office, check(office, FILE))
    assert done.status_code == 200
    html = done.get_data(as_text=True)
    assert "Imported plotters.csv: 3 new; 3 rows were skipped for errors" in unescape(html)
    rows = rows_of(html)
    assert [n for n, text in rows.items() if "Skipped" in text] == [5, 6, 7]

    after = stored()
    assert after["customers"] == before["customers"] + 1  # Oakridge; Harbor was there
    assert after["sites"] == before["sites"] + 2
    assert after["contacts"] == before["contacts"] + 1
    assert after["equipment"] == before["equipment"] + 3
    assert plotter("CN44DD4444") is None
    t830 = plotter("CN11AA1111")
    assert (t830.customer.name, t830.site.name, t830.installed_on) == (
        "Oakridge Survey & Mapping",
        "Main office",
        date(2021, 3, 14),
    )
    assert t830.site.address == "1200 Ridge Rd, Denver CO"
    assert (t830.contact.name, t830.contact.phone) == ("Ana Ruiz", "303-555-0142")
    tm300 = plotter("AA22BB2222")
    assert tm300.customer_id == t830.customer_id and tm300.site.name == "Warehouse"
    assert plotter("EP33CC3333").customer_id == harbor.id
    event = db.session.scalar(
        sa.select(ActivityEvent).where(ActivityEvent.verb == "plotters.imported")
    )
    assert "3 new" in event.summary and "3 skipped" in event.summary

    again = import_plotters(FILE, actor_id=None)
    assert again.counts == {"new": 0, "updated": 0, "unchanged": 3, "error": 3}
    assert stored() == after  # nothing added, not even an activity event


def test_a_plotter_found_by_serial_is_updated_never_added_twice(app, harbor):
    found = factories.make_equipment(harbor, serial_number="CN55EE5555", model="DesignJet T520")
    row = [
        "Harbor Print Studio",
        "Plan room",
        "",
        "",
        "",
        "",
        "HP",
        "DesignJet T530",
        "cn55ee5555",
        "",
    ]
    with unit_of_work():
        preview = import_plotters(csv_bytes([row]), actor_id=None)
    [result] = preview.rows
    assert result.status == "updated"
    assert "model: DesignJet T520 → DesignJet T530" in result.changes
    assert "site: — → Plan room" in result.changes
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Equipment)) == 1
    assert (found.model, found.site.name) == ("DesignJet T530", "Plan room")


def test_one_person_named_for_two_sites_is_each_site_s_contact_and_a_rerun_changes_nothing(
    app, harbor
):
    rows = [
        ["Harbor Print Studio", site, "", "Ana Ruiz", "503-555-0100", "", "HP", model, serial, ""]
        for site, model, serial in (
            ("Plan room", "DesignJet T830", "CN01"),
            ("Print shop", "DesignJet T1700", "CN02"),
            ("Plan room", "DesignJet Z6", "CN03"),
        )
    ]
    with unit_of_work():
        first = import_plotters(csv_bytes(rows), actor_id=None)
    assert [row.status for row in first.rows] == ["new", "new", "new"]
    db.session.expire_all()
    assert {plotter(serial).contact.name for serial in ("CN01", "CN02", "CN03")} == {"Ana Ruiz"}
    assert plotter("CN01").site.site_contact.id != plotter("CN02").site.site_contact.id
    with unit_of_work():
        again = import_plotters(csv_bytes(rows), actor_id=None)
    assert [row.status for row in again.rows] == ["unchanged"] * 3, [r.changes for r in again.rows]


def test_a_row_the_services_refuse_leaves_nothing_of_it_behind(app):
    """The new customer of a row whose plotter is refused is rolled back with the row."""
    row = ["Lone Survey Co", "Yard", "", "", "", "", "HP", "DesignJet T830", "S" * 200, ""]
    future = ["Later Co", "", "", "", "", "", "HP", "DesignJet T830", "CN66FF6666", "2099-01-01"]
    with unit_of_work():
        preview = import_plotters(csv_bytes([row, future, GOOD[2]]), actor_id=None)
    first, second, third = preview.rows
    assert first.status == "error" and list(first.errors) == ["serial"]
    assert second.status == "error" and list(second.errors) == ["installed_on"]
    assert third.status == "new"  # and the rows after a refused one go in
    assert db.session.scalars(sa.select(Customer.name)).all() == ["Harbor Print Studio"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Site)) == 0


def test_headers_in_any_case_and_order_and_extra_columns_ignored(app, harbor):
    data = (
        b"Serial,MAKE,Model,Customer,Notes,Asset tag\n"
        b"EP77GG7777,Epson,SureColor T3170,harbor print studio,on the left,A-17\n"
    )
    with unit_of_work():
        preview = import_plotters(data, actor_id=None)
    assert preview.ignored == ["notes", "asset_tag"]
    assert [row.status for row in preview.rows] == ["new"]
    assert plotter("EP77GG7777").customer_id == harbor.id


def test_the_export_writes_the_same_columns_and_imports_back_unchanged(office, harbor):
    assert import_checked(office, check(office, FILE)).status_code == 200
    formula = factories.make_customer(name="=HYPERLINK(evil)", contact_name="+Sam")
    factories.make_equipment(formula, serial_number="FX88HH8888", model="@DesignJet T830")
    exported = office.get("/plotters.csv?status=all")
    assert exported.status_code == 200
    lines = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert lines[0] == list(NAMES)
    row = next(line for line in lines if "FX88HH8888" in line)
    assert row[0] == "'=HYPERLINK(evil)" and row[3] == "'+Sam" and row[7] == "'@DesignJet T830"
    before = stored()
    back = import_plotters(exported.get_data(), actor_id=None)
    assert back.counts == {"new": 0, "updated": 0, "unchanged": 4, "error": 0}, [
        (row.number, row.changes, row.errors) for row in back.rows if row.status != "unchanged"
    ]
    assert stored() == before


def test_a_file_that_cannot_be_read_is_refused_whole(office):
    before = stored()
    page = check(office, b"PK\x03\x04binary", "plotters.xlsx")
    assert page.status_code == 422
    assert "This is a spreadsheet workbook, not a CSV file" in page.get_data(as_text=True)
    missing = check(office, b"customer,make,model\nHarbor Print Studio,HP,DesignJet T830\n")
    assert missing.status_code == 422
    assert "this file has no serial column" in missing.get_data(as_text=True)
    assert stored() == before


def test_a_file_over_the_upload_limit_gets_the_page_with_the_reason(app, office):
    app.config["MAX_CONTENT_LENGTH"] = 2048
    big = check(office, csv_bytes([GOOD[2]] * 200))
    assert big.status_code == 413
    assert "larger than the upload limit of 2 KB" in big.get_data(as_text=True)


def test_the_page_and_the_template_are_the_office_s(client, auth, app):
    assert client.get("/plotters/import").status_code == 302  # to sign in
    auth.login("tech")
    assert client.get("/plotters/import").status_code == 403
    assert check(client, FILE).status_code == 403
    assert client.get("/plotters/import/template.csv").status_code == 403


def test_the_page_offers_the_template_and_the_columns(office):
    page = office.get("/plotters/import")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "No file checked yet" in html
    for name in NAMES:
        assert f">{name}" in html
    template = office.get("/plotters/import/template.csv")
    assert template.get_data(as_text=True).strip() == ",".join(NAMES)
    assert 'href="/plotters/import"' in office.get("/plotters").get_data(as_text=True)
    assert 'href="/plotters/import"' in office.get("/customers/").get_data(as_text=True)


def test_the_command_dry_run_changes_nothing_and_the_real_run_imports(runner, harbor, tmp_path):
    path = tmp_path / "old-system.csv"
    path.write_bytes(FILE)
    before = stored()
    dry = runner.invoke(args=["import", "plotters", str(path), "--dry-run"])
    assert dry.exit_code == 1  # rows with errors
    assert "row 5: installed_on: Enter the date as YYYY-MM-DD" in dry.output
    assert "row 6: serial: Enter the serial number" in dry.output
    assert "row 7: serial: CN11AA1111 is already on row 2" in dry.output
    assert "row 2: new: new customer Oakridge Survey & Mapping" in dry.output
    assert "Checked (nothing changed) old-system.csv: 3 new, 0 updated" in dry.output
    assert stored() == before

    real = runner.invoke(args=["import", "plotters", str(path)])
    assert real.exit_code == 1
    assert "Imported old-system.csv: 3 new, 0 updated, 0 unchanged, 3 with errors skipped" in (
        real.output
    )
    assert stored()["equipment"] == before["equipment"] + 3

    path.write_bytes(csv_bytes(GOOD))
    again = runner.invoke(args=["import", "plotters", str(path)])
    assert again.exit_code == 0, again.output
    assert "0 new, 0 updated, 3 unchanged, 0 with errors skipped" in again.output


def test_the_command_refuses_a_file_it_cannot_read(runner, app, tmp_path):
    path = tmp_path / "plotters.csv"
    path.write_bytes(b"")
    result = runner.invoke(args=["import", "plotters", str(path)])
    assert result.exit_code == 1
    assert "plotters.csv: The file is empty." in result.output


def test_names_without_latin_letters_are_matched_not_added_again(app):
    rows = [
        ["Москва Принт", "", "", "", "", "", "HP", "DesignJet T830", "RU01", ""],
        ["Αθήνα", "", "", "", "", "", "HP", "DesignJet T830", "GR01", ""],
        ["—", "", "", "", "", "", "HP", "DesignJet T830", "XX01", ""],
    ]
    with unit_of_work():
        first = import_plotters(csv_bytes(rows), actor_id=None)
    assert [row.status for row in first.rows] == ["new", "new", "new"]
    with unit_of_work():
        again = import_plotters(csv_bytes(rows), actor_id=None)
    assert [row.status for row in again.rows] == ["unchanged"] * 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 3


def test_customers_and_sites_that_compare_alike_keep_their_plotters(office):
    """Two customers one duplicate check would call the same, and two sites named alike,
    each keep their own plotters through an export and import; a loose name that could be
    either is refused, not guessed."""
    co = factories.make_customer(name="Print Co", address="1 First St")
    inc = factories.make_customer(name="Print Inc", address="2 Second St")
    factories.make_equipment(co, serial_number="B0001")
    factories.make_equipment(inc, serial_number="B0002")
    save_site(co, {"name": "Main", "address": "1 First St"}, actor_id=None)
    save_site(co, {"name": "main", "address": "9 Annex Rd"}, actor_id=None)
    db.session.commit()
    row = ["Print Co", "Main", "", "", "", "", "HP", "DesignJet T830", "B0003", ""]
    other = ["Print Co", "main", "", "", "", "", "HP", "DesignJet T830", "B0004", ""]
    with unit_of_work():
        import_plotters(csv_bytes([row, other]), actor_id=None)
    assert (plotter("B0003").site.address, plotter("B0004").site.address) == (
        "1 First St",
        "9 Annex Rd",
    )
    exported = office.get("/plotters.csv?status=all").get_data()
    back = import_plotters(exported, actor_id=None)
    assert back.counts["unchanged"] == len(back.rows) == 4, [
        (r.number, r.changes, r.errors) for r in back.rows if r.status != "unchanged"
    ]
    loose = ["print company", "", "", "", "", "", "HP", "DesignJet T830", "B0005", ""]
    [refused] = import_plotters(csv_bytes([loose]), actor_id=None).rows
    assert refused.status == "error"
    assert "could be “Print Co” and “Print Inc”" in refused.errors["customer"][0]


def test_a_skipped_row_does_not_hold_its_serial(app):
    bad = ["Lone Co", "", "", "", "", "", "HP", "DesignJet T830", "CN99", "2099-01-01"]
    good = ["Lone Co", "", "", "", "", "", "HP", "DesignJet T830", "CN99", "2020-01-01"]
    with unit_of_work():
        preview = import_plotters(csv_bytes([bad, good]), actor_id=None)
    assert [row.status for row in preview.rows] == ["error", "new"]
