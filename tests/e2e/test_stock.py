"""The stock story end to end, on a desktop for the office and a 390x844 phone for the tech:
the admin adds a tech (whose van exists at once), the office receives parts and sets what the
van and the warehouse keep; the tech asks for a restock without signal, it syncs, the office
picks part of it and the tech confirms receipt on the phone; the tech uses a belt from the van
on a visit; a count of the van finds one missing and adjusts it; the reorder list suggests the
belt (and a printhead), a purchase order is drafted from it, ordered and received in two
partial deliveries; the tech replaces a printhead and marks the old one defective, the office
ships it back under the supplier's RMA number and records the credit."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.auth.models import User
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    PartReturn,
    PurchaseOrder,
    RestockRequest,
    StockMovement,
    Supplier,
)
from fieldapp.inventory.services import van_of
from fieldapp.visits.models import Visit
from tests import factories
from tests.e2e.browser import sign_in
from tests.e2e.phone import level, log_visit
from tests.e2e.test_accessibility import AXE, check_page

DESKTOP = {"width": 1280, "height": 900}
SYNC_TIMEOUT = 30_000


def restocks() -> list[RestockRequest]:
    db.session.rollback()  # a new read: the server wrote meanwhile
    return list(db.session.scalars(sa.select(RestockRequest)))


def movements(part, location, kind: str) -> list[int]:
    """The signed quantities of one kind of ledger line for a part at a location."""
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(StockMovement.quantity)
            .where(
                StockMovement.part_id == part.id,
                StockMovement.location_id == location.id,
                StockMovement.kind == kind,
            )
            .order_by(StockMovement.id)
        )
    )


def test_the_stock_story_from_a_new_van_to_a_received_order(live_server, browser, phone):
    factories.make_user("admin", name="Frank Moretti", email="frank@example.com")
    warehouse = factories.make_location("warehouse", name="Warehouse")
    supplier = Supplier(name="Northline Imaging Parts")
    db.session.add(supplier)
    db.session.commit()
    belt = factories.make_part(sku="CR357-67010", name="Carriage belt 24in")
    head = factories.make_part(
        sku="F9J81A", name="HP 729 printhead", category="printhead", unit_cost_cents=22500
    )
    belt.supplier = head.supplier = supplier
    db.session.commit()
    factories.set_limits(head, warehouse, 2, 4)  # none in yet: on the reorder list from the start

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
    # Her first job, in her phone's pack from the first sign-in.
    plotter = factories.make_equipment(
        factories.make_customer(name="Halvorsen Kline Architects"), model="DesignJet T830"
    )
    job = factories.make_job(
        equipment=plotter, assigned_to_id=nina.id, status="scheduled", problem="86:01 carriage"
    )

    # Receive 6 belts into the warehouse; the van should keep 2 to 3, the warehouse 5 to 10.
    desk.goto(f"{live_server.url}/stock/move/receive?sku={belt.sku}")
    desk.get_by_label("Into").select_option(label="Warehouse")
    desk.get_by_label("Quantity received").fill("6")
    desk.get_by_label("Unit cost ($)").fill("42.50")
    desk.get_by_role("button", name="Receive parts").click()
    expect(desk.locator(".flash-success")).to_contain_text("Warehouse now has 6")
    for where, low, high in ((van, 2, 3), (warehouse, 5, 10)):
        row = desk.locator(f'[data-levels] tr[data-location="{where.id}"]')
        row.get_by_label(re.compile("Minimum at")).fill(str(low))
        row.get_by_label(re.compile("Maximum at")).fill(str(high))
        row.get_by_role("button", name="Save").click()
        expect(desk.locator(".flash-success")).to_contain_text(
            f"{where.name} keeps {low} to {high} of Carriage belt 24in"
        )
    assert level(belt, warehouse) == 6

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
    assert restocks()[0].state == "received" and level(belt, van) == 2

    # The tech fits one belt from the van on a visit.
    phone.go("/")
    page.locator(f'[data-job="{job.number}"]').get_by_role("link", name="Start visit").click()
    log_visit(
        page, part_search="belt", summary="Replaced the carriage belt; 86:01 cleared.", steps=False
    )
    expect(page).to_have_url(re.compile(rf"/e/{plotter.qr_token}#saved$"))
    expect(page.locator("[data-saved-confirmation]")).to_contain_text(
        "The office has it.", timeout=SYNC_TIMEOUT
    )
    db.session.rollback()
    visit = db.session.scalar(sa.select(Visit))
    assert visit.status == "finished" and visit.job_id == job.id
    assert level(belt, van) == 1 and movements(belt, van, "use") == [-1]
    assert level(belt, warehouse) == 4

    # The office counts the van: the system expects 1 belt, the shelf holds none.
    desk.goto(f"{live_server.url}/stock/move/count?sku={belt.sku}")
    desk.get_by_label("At", exact=True).select_option(label="Nina Alvarez's van")
    desk.get_by_label("Counted").fill("0")
    desk.get_by_label("Note").fill("Monthly van count")
    desk.get_by_role("button", name="Record a count").click()
    expect(desk.locator(".flash-success")).to_contain_text("Nina Alvarez's van now has 0")
    assert level(belt, van) == 0 and movements(belt, van, "adjust") == [-1]

    # The reorder list: the van (restocked from the warehouse) and the warehouse (ordered).
    desk.goto(f"{live_server.url}/stock/reorder")
    reorder = desk.locator("[data-reorder]")
    van_row = reorder.locator(f'tr[data-sku="{belt.sku}"][data-location="{van.id}"]')
    expect(van_row.locator("strong").last).to_have_text("3")
    expect(van_row.get_by_role("link", name="Restock from warehouse")).to_be_visible()
    for part, suggested in ((belt, "6"), (head, "4")):
        row = reorder.locator(f'tr[data-sku="{part.sku}"][data-location="{warehouse.id}"]')
        expect(row.locator("strong").last).to_have_text(suggested)
    desk.get_by_role("button", name="Draft purchase orders").click()
    expect(desk.locator(".flash-success")).to_contain_text("Draft orders ready to check: PO-00001")
    db.session.rollback()
    (order,) = db.session.scalars(sa.select(PurchaseOrder))
    assert order.state == "draft" and order.supplier_id == supplier.id
    # Vans are restocked by transfer: only the warehouse's shortfall is ordered.
    lines = {(line.part.sku, line.location_id): line.quantity for line in order.lines}
    assert lines == {(belt.sku, warehouse.id): 6, (head.sku, warehouse.id): 4}

    desk.get_by_role("link", name="PO-00001").click()
    desk.get_by_role("button", name="Mark as ordered").click()
    expect(desk.locator(".flash-success")).to_contain_text("PO-00001 is ordered from Northline")
    db.session.rollback()
    assert db.session.get(PurchaseOrder, order.id).state == "ordered"

    # Two deliveries: every belt and 3 printheads, then the last printhead.
    deliveries = (
        ({"Carriage belt 24in": 6, "HP 729 printhead": 3}, "Partly received", (10, 3)),
        ({"HP 729 printhead": 1}, "Received", (10, 4)),
    )
    for arrived, state, on_hand in deliveries:
        for name, quantity in arrived.items():
            desk.get_by_label(f"Received now of {name}").fill(str(quantity))
        desk.get_by_role("button", name="Record this delivery").click()
        total = sum(arrived.values())
        expect(desk.locator(".flash-success")).to_contain_text(
            f"Received {total} part{'s' if total != 1 else ''} on PO-00001"
        )
        expect(desk.locator(".subtitle .badge")).to_have_text(state)
        assert (level(belt, warehouse), level(head, warehouse)) == on_hand
    db.session.rollback()
    assert db.session.get(PurchaseOrder, order.id).state == "received"
    # An office page: axe-core's rules (the phone's text and target sizes are for tech pages).
    assert [v["id"] for v in AXE.run(desk).response["violations"]] == []

    # The tech replaces a failed printhead from the warehouse; the old one is defective and
    # goes back to the supplier, serial number and all.
    phone.go(f"/e/{plotter.qr_token}")
    page.get_by_role("link", name="Start visit").click()
    expect(page.locator("[data-visit-form]")).to_be_visible()
    page.get_by_label("Find a part").fill("729")
    page.locator(".part-hit").first.click()
    row = page.locator("[data-part-row]").first
    expect(row.get_by_label("Part", exact=True)).to_have_value(head.sku)
    row.get_by_label("From").select_option("warehouse")
    serial = row.get_by_label("Its serial number (optional)")
    expect(serial).to_be_hidden()  # asked only for a part going back
    row.get_by_label("The part taken out").select_option("defective")
    serial.fill("SG83K2104")
    assert check_page(page, "the visit form with a defective part") == []
    page.locator(".outcome-choices .status-choice", has_text="Fixed").click()
    page.get_by_label("What you did").fill("Printhead failed the nozzle check; replaced it.")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text(
        "The office has it.", timeout=SYNC_TIMEOUT
    )
    db.session.rollback()
    (part_return,) = db.session.scalars(sa.select(PartReturn))
    assert (part_return.part_id, part_return.serial, part_return.state) == (
        head.id,
        "SG83K2104",
        "waiting",
    )
    assert part_return.supplier_id == supplier.id and level(head, warehouse) == 3

    # The office ships it under the supplier's RMA number, then records the credit.
    desk.goto(f"{live_server.url}/stock/returns")
    expect(desk.locator(".subtitle")).to_contain_text("1 open return worth $225.00")
    desk.locator(f'[data-return="{part_return.reference}"]').get_by_role("link").click()
    desk.get_by_label("RMA number").fill("NL-RMA-55210")
    desk.get_by_role("button", name="Mark as shipped").click()
    expect(desk.locator(".flash-success")).to_contain_text("shipped under RMA NL-RMA-55210")
    desk.get_by_label("Credit ($)").fill("225.00")
    desk.get_by_role("button", name="Record the credit").click()
    expect(desk.locator(".flash-success")).to_contain_text("is credited: $225.00")
    db.session.rollback()
    part_return = db.session.get(PartReturn, part_return.id)
    assert (part_return.state, part_return.rma_number, part_return.credit_cents) == (
        "credited",
        "NL-RMA-55210",
        22500,
    )
    assert [v["id"] for v in AXE.run(desk).response["violations"]] == []
    desk.goto(f"{live_server.url}/stock/returns")
    expect(desk.locator(".subtitle")).to_contain_text("0 open returns worth $0.00 · $225.00")

    office.close()
    phone.stop()
