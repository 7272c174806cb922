"""The office's stock pages: the catalogue, a part's page, movements through their forms (a
second submit of one form is one movement; bad input records nothing), minimum and maximum
per location, the alert and reorder lists, locations."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    PartCompatibility,
    StockLevel,
    StockLocation,
    StockMovement,
)
from tests import factories
from tests.sql import count_queries


@pytest.fixture
def office(client, auth):
    auth.login("office", name="Maria Chen")
    return client


@pytest.fixture
def store(app):
    warehouse = factories.make_location("warehouse", name="Warehouse")
    tech = factories.make_user("tech", name="Sam Okafor")
    van = factories.van_of(tech)
    belt = factories.make_part(sku="CR357-67010", name="Carriage belt 24in", unit_cost_cents=4000)
    head = factories.make_part(sku="F9J81A", name="HP 729 printhead", category="printhead")
    factories.stock(belt, warehouse, 5)
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


def movements() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))


def test_the_catalogue_searches_and_filters(office, store):
    warehouse, _, belt, head = store
    belt.compatible = [PartCompatibility(model="DesignJet T830")]
    head.manufacturer_part_number = "F9J81-67001"
    db.session.commit()
    factories.set_limits(head, warehouse, 2)

    html = office.get("/parts").get_data(as_text=True)
    assert "Carriage belt 24in" in html and "HP 729 printhead" in html
    assert "Carriage belt 24in" in office.get("/parts?q=t830").get_data(as_text=True)
    found = office.get("/parts?q=F9J81-67").get_data(as_text=True)
    assert "HP 729 printhead" in found and "Carriage belt" not in found
    low = office.get("/parts?low=1").get_data(as_text=True)
    assert "HP 729 printhead" in low and "Carriage belt" not in low
    by_category = office.get("/parts?category=printhead").get_data(as_text=True)
    assert "HP 729 printhead" in by_category and "Carriage belt" not in by_category
    nothing = office.get("/parts?q=%25_").get_data(as_text=True)
    assert "No parts match" in nothing
    assert office.get("/parts?page=abc&category=nonsense").status_code == 200


def test_a_part_is_created_edited_and_deactivated(office, store):
    response = office.post(
        "/parts/new",
        data={
            "sku": "W6B55-67003",
            "name": "Carriage belt T1700",
            "manufacturer": "HP",
            "category": "belt",
            "unit_cost": "$1,119.50",
            "compatible_models": "DesignJet T1700\n\nDesignJet T1700",
        },
    )
    assert response.status_code == 302
    part = db.session.scalar(sa.select(Part).where(Part.sku == "W6B55-67003"))
    assert part.unit_cost_cents == 111950 and part.compatible_models == ["DesignJet T1700"]

    taken = office.post("/parts/W6B55-67003/edit", data={"sku": "CR357-67010", "name": "x"})
    assert taken.status_code == 422
    assert "already the number of Carriage belt 24in" in taken.get_data(as_text=True)
    bad = office.post("/parts/new", data={"sku": "bad sku!", "name": "", "unit_cost": "lots"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Use letters, digits" in text and "Enter a price such as 12.50." in text
    # A decimal comma is refused, never read as thousands ($40.00 is not $4,000).
    comma = office.post("/parts/new", data={"sku": "CM-1", "name": "Cutter", "unit_cost": "40,00"})
    assert comma.status_code == 422
    assert "Enter a price such as 12.50." in comma.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Part)) == 3

    done = office.post("/parts/W6B55-67003/active", data={"active": "0"}, follow_redirects=True)
    assert "Carriage belt T1700 is deactivated: its history stays." in done.get_data(as_text=True)
    db.session.expire_all()
    assert not part.active
    assert "Carriage belt T1700" not in office.get("/parts").get_data(as_text=True)
    assert "Carriage belt T1700" in office.get("/parts?inactive=1").get_data(as_text=True)
    assert "Deactivated" in office.get("/parts/W6B55-67003").get_data(as_text=True)


def test_a_receipt_through_its_form_is_one_movement_however_often_sent(office, store):
    warehouse, _, belt, _ = store
    page = office.get("/stock/move/receive?sku=CR357-67010").get_data(as_text=True)
    op_id = re.search(r'name="id" value="([0-9a-f-]{36})"', page).group(1)
    form = {
        "id": op_id,
        "sku": "CR357-67010",
        "to": str(warehouse.id),
        "quantity": "5",
        "unit_cost": "50",
        "note": "PO 1042",
    }
    first = office.post("/stock/move/receive", data=form, follow_redirects=True)
    assert "Warehouse now has 10" in first.get_data(as_text=True)
    again = office.post("/stock/move/receive", data=form, follow_redirects=True)
    assert "recorded already; nothing changed" in again.get_data(as_text=True)
    assert level(belt, warehouse) == 10
    assert belt.unit_cost_cents == 4500  # 5 at $40 and 5 at $50


@pytest.mark.parametrize(
    "kind, form, field_message",
    [
        ("receive", {"sku": "NOPE", "quantity": "1"}, "no part with the number NOPE"),
        ("receive", {"quantity": "0"}, "Receive 1 or more."),
        ("transfer", {"quantity": "1", "from": "W", "to": "W"}, "Choose a different location"),
        ("transfer", {"quantity": "-2", "from": "W", "to": "V"}, "Transfer 1 or more."),
        ("count", {"quantity": "-1", "to": "W"}, "A count is 0 or more."),
        ("adjust", {"quantity": "2", "to": "W", "reason": "whim"}, "Choose a reason"),
        ("adjust", {"quantity": "0", "to": "W", "reason": "found"}, "adjustment of zero"),
        ("return", {"quantity": "1", "from": "W"}, "Say why it goes back"),
        ("receive", {"quantity": "1", "to": "999"}, "There is no such location."),
        ("receive", {"quantity": "1", "to": "V"}, "a van is restocked by a transfer"),
    ],
)
def test_bad_movements_say_why_and_record_nothing(office, store, kind, form, field_message):
    warehouse, van, belt, _ = store
    places = {"W": str(warehouse.id), "V": str(van.id)}
    data = {"id": str(uuid.uuid4()), "sku": belt.sku, "to": places["W"]}
    data |= {key: places.get(value, value) for key, value in form.items()}
    before = movements()
    response = office.post(f"/stock/move/{kind}", data=data)
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert "Nothing was recorded" in response.get_data(as_text=True)
    assert movements() == before and level(belt, warehouse) == 5


def test_count_adjust_transfer_and_return_move_the_levels(office, store):
    warehouse, van, belt, _ = store

    def send(kind, **fields):
        data = {"id": str(uuid.uuid4()), "sku": belt.sku, **fields}
        response = office.post(f"/stock/move/{kind}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)

    send("transfer", quantity=3, **{"from": warehouse.id}, to=van.id)
    send("count", quantity=2, to=van.id)
    send("adjust", quantity=-1, to=warehouse.id, reason="damaged", note="Dropped")
    send("return", quantity=1, **{"from": warehouse.id}, note="Defective, RMA 88")
    assert (level(belt, warehouse), level(belt, van)) == (0, 2)
    reasons = db.session.scalars(
        sa.select(StockMovement.reason).where(StockMovement.kind.in_(("adjust", "return")))
    ).all()
    assert set(reasons) == {"count", "damaged: Dropped", "Defective, RMA 88"}
    page = office.get(f"/parts/{belt.sku}").get_data(as_text=True)
    assert "Dropped" in page and "Maria Chen" in page


def test_limits_per_location_feed_alerts_and_the_reorder_list(office, store):
    warehouse, van, belt, head = store
    response = office.post(
        f"/parts/{belt.sku}/limits",
        data={"location": van.id, "minimum": "2", "maximum": "4"},
    )
    assert response.status_code == 302
    office.post(f"/parts/{head.sku}/limits", data={"location": warehouse.id, "minimum": "1"})
    refused = office.post(
        f"/parts/{head.sku}/limits",
        data={"location": warehouse.id, "minimum": "5", "maximum": "2"},
        follow_redirects=True,
    )
    assert "Keep the maximum at or above the minimum." in refused.get_data(as_text=True)
    factories.set_limits(head, warehouse, 1, 3)

    reorder = office.get("/stock/reorder").get_data(as_text=True)
    belt_row = reorder[reorder.index(f'data-sku="{belt.sku}"') :][:1500]
    assert "Sam Okafor" not in belt_row and "Restock from warehouse" in belt_row
    assert re.search(r"<strong>4</strong>", belt_row)  # 0 in the van, up to 4
    head_row = reorder[reorder.index(f'data-sku="{head.sku}"') :][:1500]
    assert "<strong>3</strong>" in head_row and ">Receive<" in head_row

    alerts = office.get("/stock/alerts").get_data(as_text=True)
    assert "2 levels under the minimum" in alerts
    dashboard = office.get("/").get_data(as_text=True)
    assert "/stock/alerts" in dashboard


def test_the_alert_list_pages_through_every_alert(office, store):
    warehouse, *_ = store
    for n in range(55):
        part = factories.make_part(sku=f"LOW-{n:03d}", name=f"Low part {n:03d}")
        factories.set_limits(part, warehouse, 1)
    first = office.get("/stock/alerts").get_data(as_text=True)
    assert "55 levels under the minimum" in first and "Page 1 of 2" in first
    second = office.get("/stock/alerts?page=2").get_data(as_text=True)
    assert second.count("Low part") == 5 and "Low part 054" in second
    assert office.get("/stock/alerts?page=99").status_code == 200


def test_locations_the_warehouse_bins_and_renaming(office, store):
    warehouse, van, belt, _ = store
    response = office.post("/stock/locations", data={"name": "Shelf A2", "inside": "warehouse"})
    assert response.status_code == 302
    shelf = db.session.scalar(sa.select(StockLocation).where(StockLocation.name == "Shelf A2"))
    assert (shelf.kind, shelf.parent_id) == ("bin", warehouse.id)
    twice = office.post(
        "/stock/locations", data={"name": "Second warehouse"}, follow_redirects=True
    )
    assert "There is a warehouse already" in twice.get_data(as_text=True)
    taken = office.post(
        f"/stock/locations/{van.id}/name", data={"name": "Warehouse"}, follow_redirects=True
    )
    assert "There is already a location called Warehouse." in taken.get_data(as_text=True)
    office.post(f"/stock/locations/{van.id}/name", data={"name": "Van 2 (Sam)"})
    db.session.expire_all()
    assert van.name == "Van 2 (Sam)"

    stock = office.get("/stock").get_data(as_text=True)
    assert "$200.00" in stock  # 5 belts at $40 in the warehouse
    sheet = office.get(f"/stock/locations/{warehouse.id}?sheet=1").get_data(as_text=True)
    assert "Count sheet: Warehouse" in sheet and belt.sku in sheet and "Counted" in sheet


def test_a_tech_sees_their_van_with_what_it_should_hold(client, auth, store):
    _, van, belt, head = store
    tech = van.tech
    auth.login(user=tech)
    factories.stock(head, van, 1)
    factories.set_limits(belt, van, 2, 4)
    html = client.get("/van").get_data(as_text=True)
    assert "1 item low or out" in html
    belt_row = html[html.index(f'data-sku="{belt.sku}"') :][:600]
    assert "keep 2–4" in belt_row and "Low" in belt_row
    assert client.get("/parts").status_code == 403
    assert client.get("/stock/move/receive").status_code == 403


def test_stock_pages_cost_the_same_whatever_the_ledger_holds(office, store):
    """The catalogue, a part's page, the locations, the alert and reorder lists run as many
    statements for 3 parts with a short ledger as for 30 with a long one."""
    warehouse, van, belt, _ = store

    def counts() -> dict[str, int]:
        found = {}
        for path in ("/parts", f"/parts/{belt.sku}", "/stock", "/stock/alerts", "/stock/reorder"):
            with count_queries() as statements:
                assert office.get(path).status_code == 200
            found[path] = len(statements)
        return found

    factories.set_limits(belt, van, 2)
    before = counts()
    for n in range(30):
        part = factories.make_part(sku=f"MORE-{n:02d}", name=f"More {n:02d}")
        part.compatible = [PartCompatibility(model=f"Model {n}")]
        factories.set_limits(part, warehouse, 2)
        factories.set_limits(part, van, 1)
        factories.stock(part, warehouse, 1)
    for _ in range(20):
        factories.stock(belt, warehouse, 1)
    assert counts() == before


def test_odd_digits_and_digit_only_text_are_read_as_typed(office, store):
    """A superscript two is no page number or id (no 500), and a SKU or part number made of
    digits is text, saved as typed."""
    warehouse, _, belt, _ = store
    assert office.get("/stock/alerts?page=²").status_code == 200
    assert office.get(f"/parts/{belt.sku}?page=²").status_code == 200
    refused = office.post(
        f"/parts/{belt.sku}/limits",
        data={"location": "²", "minimum": "1", "maximum": "2"},
        follow_redirects=True,
    )
    assert "There is no such location." in refused.get_data(as_text=True)
    saved = office.post(
        "/parts/new",
        data={"sku": "10045", "name": "Roland pinch roller", "manufacturer_part_number": "6701"},
    )
    assert saved.status_code == 302
    part = db.session.scalar(sa.select(Part).where(Part.sku == "10045"))
    assert part.manufacturer_part_number == "6701"
    supplier = office.post("/stock/suppliers", data={"name": "Roland DGA", "phone": "5551234"})
    assert supplier.status_code == 302


def test_stock_worth_more_than_two_billion_cents_is_summed(office, store):
    """Quantity times cost passes 2**31 (PostgreSQL's integer) without failing the page."""
    warehouse, _, _, _ = store
    printer = factories.make_part(sku="BIG-1", name="Spare plotter", unit_cost_cents=25_000_000)
    factories.stock(printer, warehouse, 100)
    page = office.get("/stock").get_data(as_text=True)
    assert "$25,000,200.00" in page  # 2,500,000,000 cents of plotters and 5 belts at $40
