"""On a desktop the office brings plotters in from the old system's CSV file: from the
plotters list to the import page, a check that lists every row (nothing written yet), the
confirm that imports the good rows and lists the skipped ones, and a second run that finds
nothing to do."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from tests import factories
from tests.e2e.browser import sign_in
from tests.e2e.test_accessibility import AXE

DESKTOP = {"width": 1366, "height": 900}
RECORD_BUTTON = """() => window.addEventListener("submit", (event) => {
  const button = event.submitter;
  sessionStorage.setItem("button", JSON.stringify([button.disabled, button.textContent]));
})"""
FILE = (
    b"Customer,Site,Address,Contact_Name,Contact_Phone,Contact_Email,Make,Model,Serial,"
    b"Installed_On,Asset tag\n"
    b"Oakridge Survey & Mapping,North yard,77 Quarry Ln,Dana Holt,303-555-0199,"
    b"dana@oakridge.example,HP,DesignJet T1700,CN7788ZZ01,2023-05-02,A-1\n"
    b"oakridge survey and mapping,,,,,,Canon,imagePROGRAF TM-305,AB990011,2022-11-30,A-2\n"
    b"Oakridge Survey & Mapping,,,,,,Epson,SureColor T5475,EP554433,2021-13-01,A-3\n"
)


def counts() -> tuple[int, int]:
    db.session.rollback()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Customer, Equipment)
    )


def test_check_then_import_a_plotters_file(live_server, browser, tmp_path):
    office_user = factories.make_user("office", name="Maria Chen")
    db.session.commit()
    path = tmp_path / "old-system.csv"
    path.write_bytes(FILE)

    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, office_user.email, factories.PASSWORD)
        page.goto(f"{live_server.url}/plotters")
        page.get_by_role("link", name="Import CSV").click()
        expect(page.get_by_role("heading", name="Import plotters")).to_be_visible()
        expect(page.get_by_text("No file checked yet")).to_be_visible()

        page.get_by_label("CSV file", exact=True).set_input_files(path)
        # As the check is sent, its button says so and cannot be pressed twice (what the
        # button shows after the page's own submit handlers, kept across the navigation).
        expect(page.locator("#sync-status")).to_have_attribute("data-state", re.compile("."))
        page.evaluate(RECORD_BUTTON)  # app.js runs (it started the sync status): listen after it
        page.get_by_role("button", name="Check file").click()
        result = page.locator("[data-import-result]")
        expect(result.get_by_role("heading")).to_have_text("Check of old-system.csv")
        expect(result).to_contain_text("Not imported: the column asset_tag")
        expect(page.locator('[data-row="2"]')).to_contain_text("new customer Oakridge")
        expect(page.locator('[data-row="3"]')).to_contain_text("New")
        expect(page.locator('[data-row="4"]')).to_contain_text(
            "installed_on: Enter the date as YYYY-MM-DD"
        )
        assert page.evaluate("() => sessionStorage.getItem('button')") == (
            '[true,"Checking the file…"]'
        )
        assert counts() == (0, 0)  # the check wrote nothing
        assert [v["id"] for v in AXE.run(page).response["violations"]] == []

        page.get_by_role("button", name="Import 2 rows").click()
        expect(page.locator(".flash-warning")).to_contain_text(
            "Imported old-system.csv: 2 new; 1 row was skipped for errors"
        )
        expect(page.locator('[data-row="4"]')).to_contain_text("Skipped")
        assert counts() == (1, 2)
        assert [v["id"] for v in AXE.run(page).response["violations"]] == []

        # The same file again: every good row matches, nothing is added.
        page.get_by_label("CSV file", exact=True).set_input_files(path)
        page.get_by_role("button", name="Check file").click()
        expect(page.locator("[data-import-result]")).to_contain_text(
            "Nothing to import: the rows without errors match what is stored."
        )
        expect(page.get_by_role("button", name="Import 2 rows")).to_have_count(0)
        assert counts() == (1, 2)
    finally:
        context.close()
