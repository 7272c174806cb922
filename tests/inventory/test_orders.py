"""Suppliers and purchase orders: drafts from the reorder list (one per supplier, vans left to
transfers), quantities edited while a draft, ordered, received in partial deliveries (each
delivery once, never more than ordered), CSV, cancelling."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.inventory.models import PurchaseOrder, StockLevel, Supplier
from tests import factories
from tests.pdf import pdf_text


@pytest.fixture
def office(client, auth):
    auth.login("office", name="Maria Chen")
    return client


@pytest.fixture
def short(app):
    """The warehouse short of a belt (Northline) and a head (Meridian), a part with no
    supplier short too, and a van short of the belt."""
    northline = Supplier(name="Northline Imaging Parts", email="orders@northline.example")
    meridian = Supplier(name="Meridian Print Supply")
    db.session.add_all([northline, meridian])
    db.session.commit()
    warehouse = factories.make_location("warehouse", name="Warehouse")
    van = factories.van_of(factories.make_user("tech", name="Sam Okafor"))
    belt = factories.make_part(sku="CR357-67010", name="Carriage belt", unit_cost_cents=4000)
    head = factories.make_part(sku="F9J81A", name="HP 729 printhead", unit_cost_cents=22500)
    loose = factories.make_part(sku="LOOSE-1", name="Odd screw")
    belt.supplier, head.supplier = northline, meridian
    belt.supplier_part_number = "NL-CR357"
    db.session.commit()
    factories.stock(belt, warehouse, 1)
    factories.set_limits(belt, warehouse, 3, 6)
    factories.set_limits(head, warehouse, 1, 2)
    factories.set_limits(loose, warehouse, 1, 1)
    factories.set_limits(belt, van, 2, 2)
    return warehouse, van, belt, head


def level(part, location) -> int:
    db.session.expire_all()
    return (
        db.session.scalar(
            sa.select(StockLevel.quantity).where(
                StockLevel.part_id == part.id, StockLevel.location_id == location.id
            )
        )
        or 0
    )


def orders() -> list[PurchaseOrder]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(PurchaseOrder).order_by(PurchaseOrder.id)))


def test_suppliers_are_added_and_named_once(office):
    response = office.post(
        "/stock/suppliers", data={"name": "Harbor Graphics", "email": "parts@harbor.example"}
    )
    assert response.status_code == 302
    twice = office.post("/stock/suppliers", data={"name": " harbor  graphics "})
    assert twice.status_code == 422
    assert "There is already a supplier called Harbor Graphics." in twice.get_data(as_text=True)
    bad = office.post(
        "/stock/suppliers", data={"name": "X", "email": "not-mail", "lead_time_days": "999"}
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Enter an email address" in text and "Enter a whole number from 0 to 365." in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Supplier)) == 1


def test_drafts_from_the_reorder_list_then_ordered_and_received_in_two_deliveries(office, short):
    warehouse, van, belt, head = short
    done = office.post("/stock/orders/from-reorder", follow_redirects=True)
    text = done.get_data(as_text=True)
    assert (
        "Draft orders ready to check" in text
        and "No supplier set, so not ordered: Odd screw" in text
    )
    first, second = orders()
    assert {first.supplier.name, second.supplier.name} == {
        "Northline Imaging Parts",
        "Meridian Print Supply",
    }
    belt_order = first if first.supplier.name.startswith("Northline") else second
    (line,) = belt_order.lines
    assert (line.part_id, line.location_id, line.quantity) == (belt.id, warehouse.id, 5)
    # Drafting again adds to the open drafts instead of making more.
    office.post("/stock/orders/from-reorder")
    assert len(orders()) == 2

    office.post(f"/stock/orders/{belt_order.id}/lines", data={f"quantity-{line.id}": "4"})
    office.post(f"/stock/orders/{belt_order.id}/ordered")
    db.session.expire_all()
    assert belt_order.state == "ordered" and line.quantity == 4
    frozen = office.post(
        f"/stock/orders/{belt_order.id}/lines",
        data={f"quantity-{line.id}": "9"},
        follow_redirects=True,
    )
    assert "can no longer change" in frozen.get_data(as_text=True)

    page = office.get(f"/stock/orders/{belt_order.id}").get_data(as_text=True)
    delivery = re.search(r'name="delivery" value="([0-9a-f-]{36})"', page).group(1)
    form = {"delivery": delivery, f"received-{line.id}": "3"}
    office.post(f"/stock/orders/{belt_order.id}/receive", data=form)
    again = office.post(f"/stock/orders/{belt_order.id}/receive", data=form, follow_redirects=True)
    assert "Nothing new was recorded" in again.get_data(as_text=True)
    db.session.expire_all()
    assert (belt_order.state, line.received, level(belt, warehouse)) == ("partly_received", 3, 4)

    too_many = office.post(
        f"/stock/orders/{belt_order.id}/receive",
        data={"delivery": str(uuid.uuid4()), f"received-{line.id}": "2"},
        follow_redirects=True,
    )
    assert "Enter 0 to 1 (still to come)." in too_many.get_data(as_text=True)
    page = office.get(f"/stock/orders/{belt_order.id}").get_data(as_text=True)
    second_delivery = re.search(r'name="delivery" value="([0-9a-f-]{36})"', page).group(1)
    office.post(
        f"/stock/orders/{belt_order.id}/receive",
        data={"delivery": second_delivery, f"received-{line.id}": "1"},
    )
    db.session.expire_all()
    assert (belt_order.state, line.received, level(belt, warehouse)) == ("received", 4, 5)
    assert level(belt, van) == 0  # the van is restocked by transfer, not ordered

    csv = office.get(f"/stock/orders/{belt_order.id}.csv").get_data(as_text=True)
    assert csv.splitlines()[1] == "CR357-67010,NL-CR357,Carriage belt,Warehouse,4,40.00,4"
    cancel = office.post(f"/stock/orders/{belt_order.id}/cancel", follow_redirects=True)
    assert "cannot be cancelled" in cancel.get_data(as_text=True)


def test_a_draft_can_lose_lines_and_be_cancelled(office, short):
    office.post("/stock/orders/from-reorder")
    order = orders()[0]
    (line,) = order.lines
    office.post(f"/stock/orders/{order.id}/lines", data={f"quantity-{line.id}": "0"})
    empty = office.post(f"/stock/orders/{order.id}/ordered", follow_redirects=True)
    assert "Add at least one line before ordering." in empty.get_data(as_text=True)
    office.post(f"/stock/orders/{order.id}/cancel")
    assert orders()[0].state == "cancelled"
    assert office.post(f"/stock/orders/{order.id}/nonsense").status_code == 404
    listing = office.get("/stock/orders").get_data(as_text=True)
    assert order.number in listing


def test_a_tech_cannot_see_or_touch_orders(client, auth, short):
    auth.login("tech")
    assert client.get("/stock/orders").status_code == 403
    assert client.post("/stock/orders/from-reorder").status_code == 403
    assert client.get("/stock/suppliers").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseOrder)) == 0


def test_an_order_as_a_pdf_for_the_supplier(office, short):
    office.post("/stock/orders/from-reorder")
    order = next(o for o in orders() if o.supplier.name.startswith("Northline"))
    response = office.get(f"/stock/orders/{order.id}.pdf?paper=a4")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="{order.number}.pdf"'
    text, sizes = pdf_text(response.data)
    for expected in (
        order.number,
        "Northline Imaging Parts",
        "NL-CR357",
        "Carriage belt",
        "$200.00",
    ):
        assert expected in text, expected
    assert (round(sizes[0][0]), round(sizes[0][1])) == (595, 842)  # A4, in points
    assert office.get(f"/stock/orders/{order.id}.pdf?paper=legal").status_code == 400
    assert office.get("/stock/orders/999.pdf").status_code == 404
