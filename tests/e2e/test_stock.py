"""Stock end to end, on a desktop for the office and a 390x844 phone for the tech: the admin
adds a tech (whose van exists at once), the office receives parts and sets what the van
keeps; the tech asks for a restock without signal, it syncs, the office picks part of it, and
the tech confirms receipt on the phone."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.auth.models import User
from fieldapp.extensions import db
from fieldapp.inventory.models import RestockRequest, Supplier
from fieldapp.inventory.services import van_of
from tests import factories
from tests.e2e.browser import sign_in
from tests.e2e.phone import level
from tests.e2e.test_accessibility import AXE, check_page

DESKTOP = {"width": 1280, "height": 900}
SYNC_TIMEOUT = 30_000


def restocks() -> list[RestockRequest]:
    db.session.rollback()  # a new read: the server wrote meanwhile
    return list(db.session.scalars(sa.select(RestockRequest)))


def test_a_new_tech_restocks_the_van_offline_and_confirms_receipt(live_server, browser, phone):
    factories.make_user("admin", name="Frank Moretti", email="frank@example.com")
    warehouse = factories.make_location("warehouse", name="Warehouse")
    belt = factories.make_part(sku="CR357-67010", name="Carriage belt 24in")

    office = browser.new_context(viewport=DESKTOP)
    desk = office.new_page()
    sign_in(desk, live_server.url, "frank@example.com", factories.PASSWORD)

    # A new tech: the van is there before the tech first signs in.
    desk.goto(f"{live_server.url}/admin/users/new")
    desk.get_by_label("Name").fill("Nina Alvarez")
    desk.get_by_label("Email").fill("nina@example.com")
    desk.get_by_label("Role").select_option("tech")
    desk.get_by_label("Password").fill(factories.PASSWORD)
    desk.get_by_role("button", name="Add user").click()
    expect(desk.locator(".flash-success")).to_contain_text("Nina Alvarez can now sign in")
    db.session.rollback()
    nina = db.session.scalar(sa.select(User).where(User.email == "nina@example.com"))
    van = van_of(nina.id)
    assert van.name == "Nina Alvarez's van"

    # Receive 6 belts into the warehouse; the van should keep 2 to 3.
    desk.goto(f"{live_server.url}/stock/move/receive?sku={belt.sku}")
    desk.get_by_label("Into").select_option(label="Warehouse")
    desk.get_by_label("Quantity received").fill("6")
    desk.get_by_label("Unit cost ($)").fill("42.50")
    desk.get_by_role("button", name="Receive parts").click()
    expect(desk.locator(".flash-success")).to_contain_text("Warehouse now has 6")
    row = desk.locator(f'[data-levels] tr[data-location="{van.id}"]')
    row.get_by_label(re.compile("Minimum at")).fill("2")
    row.get_by_label(re.compile("Maximum at")).fill("3")
    row.get_by_role("button", name="Save").click()
    expect(desk.locator(".flash-success")).to_contain_text("keeps 2 to 3 of Carriage belt 24in")

    # The tech, without signal, asks for what the van is short of.
    page = phone.start()
    sign_in(page, phone.base, "nina@example.com", factories.PASSWORD)
    phone.go("/van")
    ask = page.locator("[data-restock-ask]")
    expect(ask.get_by_label(re.compile("Carriage belt 24in"))).to_have_value("3")
    assert check_page(page, "/van") == []
    phone.ready_for_offline("/van")
    phone.offline()
    phone.go("/van")
    expect(page.locator("#sync-status")).to_have_attribute("data-state", "offline")
    ask.get_by_label("Note for the office").fill("Two T830 jobs tomorrow")
    ask.get_by_role("button", name="Ask for restock").click()
    expect(ask.locator("[data-restock-state]")).to_contain_text("Waiting to sync")
    assert restocks() == []

    phone.offline(False)
    expect(ask.locator("[data-restock-state]")).to_contain_text(
        "The office has your request for 3 parts", timeout=SYNC_TIMEOUT
    )
    (restock,) = restocks()
    assert restock.note == "Two T830 jobs tomorrow" and restock.lines[0].asked == 3

    # The office sends 2 of the 3.
    desk.goto(f"{live_server.url}/stock/restock")
    desk.locator(f'[data-restock="{restock.id}"]').get_by_role("link", name="Pick").click()
    desk.get_by_label(re.compile("Carriage belt 24in")).fill("2")
    desk.get_by_role("button", name="Send to Nina Alvarez's van").click()
    expect(desk.locator(".flash-success")).to_contain_text("Sent 2 parts to Nina Alvarez's van")
    assert (level(belt, warehouse), level(belt, van)) == (4, 2)

    # The tech confirms both arrived.
    phone.go("/van")
    arriving = page.locator(f'[data-restock-arriving="{restock.id}"]')
    expect(arriving).to_contain_text(f"{restock.reference} is on its way")
    expect(arriving.get_by_label(re.compile("Carriage belt 24in"))).to_have_value("2")
    arriving.get_by_role("button", name="Confirm what arrived").click()
    expect(arriving.locator("[data-restock-state]")).to_contain_text(
        "Receipt confirmed", timeout=SYNC_TIMEOUT
    )
    db.session.rollback()
    assert restocks()[0].state == "received" and level(belt, van) == 2
    office.close()


def test_the_reorder_list_becomes_an_order_received_in_two_deliveries(live_server, browser):
    factories.make_user("office", name="Maria Chen", email="maria@example.com")
    warehouse = factories.make_location("warehouse", name="Warehouse")
    supplier = Supplier(name="Northline Imaging Parts")
    db.session.add(supplier)
    db.session.commit()
    head = factories.make_part(sku="F9J81A", name="HP 729 printhead", unit_cost_cents=22500)
    head.supplier = supplier
    db.session.commit()
    factories.set_limits(head, warehouse, 2, 4)

    office = browser.new_context(viewport=DESKTOP)
    desk = office.new_page()
    sign_in(desk, live_server.url, "maria@example.com", factories.PASSWORD)
    desk.goto(f"{live_server.url}/stock/reorder")
    row = desk.locator(f'[data-reorder] tr[data-sku="{head.sku}"]')
    expect(row).to_contain_text("Warehouse")
    expect(row.locator("strong").last).to_have_text("4")
    desk.get_by_role("button", name="Draft purchase orders").click()
    expect(desk.locator(".flash-success")).to_contain_text("Draft orders ready to check: PO-00001")
    desk.get_by_role("link", name="PO-00001").click()
    desk.get_by_role("button", name="Mark as ordered").click()
    expect(desk.locator(".flash-success")).to_contain_text("PO-00001 is ordered from Northline")

    for arrived, state, on_hand in ((3, "Partly received", 3), (1, "Received", 4)):
        desk.get_by_label("Received now of HP 729 printhead").fill(str(arrived))
        desk.get_by_role("button", name="Record this delivery").click()
        expect(desk.locator(".flash-success")).to_contain_text(f"Received {arrived} part")
        expect(desk.locator(".subtitle .badge")).to_have_text(state)
        assert level(head, warehouse) == on_hand
    # An office page: axe-core's rules (the phone's text and target sizes are for tech pages).
    assert [v["id"] for v in AXE.run(desk).response["violations"]] == []
    office.close()
