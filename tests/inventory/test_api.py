"""Parts and stock over the API: who reads what, stock operations applied once per id, every
refusal a 422 on its field with nothing written, and the same operation through the outbox."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    PartCompatibility,
    StockLevel,
    StockMovement,
    StockOperation,
    Supplier,
)
from fieldapp.inventory.services import set_limits
from fieldapp.sync.models import SyncOp
from tests import factories


@pytest.fixture
def shop(app):
    """A warehouse with a shelf, two techs' vans, a supplier and three parts:
    belt (10 in the warehouse, 2 in Sam's van, which should hold 3 to 6), head (1 in Sam's
    van) and an old part out of use."""
    tech = factories.make_user("tech", name="Sam Okafor")
    other = factories.make_user("tech", name="Lee Park")
    supplier = Supplier(name="Plotter Parts Co")
    db.session.add(supplier)
    db.session.commit()
    warehouse = factories.make_location("warehouse", name="Warehouse")
    shelf = factories.make_location("bin", name="Shelf A", parent_id=warehouse.id)
    van = factories.van_of(tech)
    other_van = factories.van_of(other)
    depot = factories.make_location("warehouse", name="Old depot", active=False)
    belt = factories.make_part(
        sku="CR357-67010",
        name="Carriage belt 24in",
        unit_cost_cents=4500,
        supplier_id=supplier.id,
        supplier_part_number="PPC-1",
    )
    belt.compatible = [PartCompatibility(model="DesignJet T830")]
    head = factories.make_part(
        sku="F9J81A", name="HP 729 printhead", category="printhead", unit_cost_cents=24900
    )
    old = factories.make_part(sku="OLD-1", name="Obsolete roller", category="roller", active=False)
    db.session.commit()
    factories.stock(belt, warehouse, 10)
    factories.stock(belt, van, 2)
    factories.stock(head, van, 1)
    factories.committed(set_limits, belt, van, 3, 6)
    return SimpleNamespace(
        tech=tech,
        other=other,
        supplier=supplier,
        warehouse=warehouse,
        shelf=shelf,
        van=van,
        other_van=other_van,
        depot=depot,
        belt=belt,
        head=head,
        old=old,
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def levels() -> dict[tuple[int, int], int]:
    return {
        (part_id, location_id): quantity
        for part_id, location_id, quantity in db.session.execute(
            sa.select(StockLevel.part_id, StockLevel.location_id, StockLevel.quantity)
        )
    }


def level(part, location) -> int:
    return levels().get((part.id, location.id), 0)


def ledger() -> tuple:
    """Everything a stock operation writes."""
    return count(StockOperation), count(StockMovement), levels()


def operation(kind: str, sku: str = "CR357-67010", quantity: int = 1, **fields) -> dict:
    body = {"id": str(uuid.uuid4()), "kind": kind, "sku": sku, "quantity": quantity}
    for name, value in fields.items():
        body["from" if name == "source" else "to" if name == "target" else name] = value
    return body


def post(client, body: dict):
    return client.post("/api/v1/stock/movements", json=body)


# -- who may do what -------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/parts"),
    ("get", "/api/v1/parts/CR357-67010"),
    ("get", "/api/v1/locations"),
    ("get", "/api/v1/stock?location=1"),
    ("post", "/api/v1/stock/movements"),
    ("get", "/api/v1/stock/reorder"),
]


def test_every_endpoint_needs_a_session(client, shop):
    for method, path in ENDPOINTS:
        response = getattr(client, method)(path, json={} if method == "post" else None)
        assert response.status_code == 401, path
        assert response.json["error"]["code"] == "unauthorized"
    assert count(StockOperation) == 0


@pytest.mark.parametrize("role", ["tech", "office", "admin"])
def test_staff_read_the_catalogue_and_the_locations(client, auth, shop, role):
    auth.login(role)
    assert client.get("/api/v1/parts").status_code == 200
    assert client.get("/api/v1/parts/F9J81A").status_code == 200
    assert client.get("/api/v1/locations").status_code == 200


@pytest.mark.parametrize(("role", "status"), [("tech", 403), ("office", 200), ("admin", 200)])
def test_only_the_office_reads_the_reorder_list(client, auth, shop, role, status):
    auth.login(role)
    assert client.get("/api/v1/stock/reorder").status_code == status


# -- the catalogue ---------------------------------------------------------------------------


def test_the_catalogue_lists_parts_in_use_by_name_with_totals(client, auth, shop):
    auth.login("tech")
    body = client.get("/api/v1/parts").json
    assert (body["page"], body["pages"], body["total"]) == (1, 1, 2)
    belt, head = body["parts"]
    assert belt == {
        "sku": "CR357-67010",
        "name": "Carriage belt 24in",
        "manufacturer": "",
        "manufacturer_part_number": "",
        "category": "belt",
        "unit_cost_cents": 4500,
        "consumable": False,
        "active": True,
        "on_hand": 12,
        "low": True,
    }
    assert (head["sku"], head["on_hand"], head["low"]) == ("F9J81A", 1, False)


def test_the_catalogue_filters(client, auth, shop):
    auth.login("office")
    for query, skus in [
        ("q=printhead", ["F9J81A"]),
        ("q=ppc-1", ["CR357-67010"]),
        ("q=T830", ["CR357-67010"]),
        ("model=designjet", ["CR357-67010"]),
        ("model=T830&q=printhead", []),
        ("category=printhead", ["F9J81A"]),
        ("low=true", ["CR357-67010"]),
        ("inactive=true", ["OLD-1"]),
        ("q=100%25", []),
    ]:
        body = client.get(f"/api/v1/parts?{query}").json
        assert [part["sku"] for part in body["parts"]] == skus, query


def test_the_catalogue_comes_a_page_at_a_time(client, auth, shop):
    auth.login("office")
    first = client.get("/api/v1/parts?per_page=1").json
    second = client.get("/api/v1/parts?per_page=1&page=2").json
    beyond = client.get("/api/v1/parts?per_page=1&page=9").json
    assert [p["sku"] for p in first["parts"]] == ["CR357-67010"]
    assert [p["sku"] for p in second["parts"]] == ["F9J81A"]
    assert (first["pages"], first["total"]) == (2, 2)
    assert beyond["parts"] == [] and beyond["total"] == 2


def test_a_bad_catalogue_query_is_a_422_on_its_field(client, auth, shop):
    auth.login("office")
    for query in [
        "per_page=0",
        "per_page=500",
        "page=0",
        "page=x",
        "category=toaster",
        "colour=red",
    ]:
        response = client.get(f"/api/v1/parts?{query}")
        assert response.status_code == 422, query
        assert query.split("=")[0] in response.json["error"]["fields"]


def test_a_part_has_its_level_at_every_location_in_use(client, auth, shop):
    auth.login("office")
    body = client.get("/api/v1/parts/CR357-67010").json
    assert body["sku"] == "CR357-67010"
    assert body["supplier"] == "Plotter Parts Co"
    assert body["supplier_part_number"] == "PPC-1"
    assert body["compatible_models"] == ["DesignJet T830"]
    assert (body["on_hand"], body["low"]) == (12, True)
    by_location = {row["location"]: row for row in body["levels"]}
    assert set(by_location) == {"Warehouse", "Shelf A", shop.van.name, shop.other_van.name}
    assert by_location["Warehouse"] == {
        "location_id": shop.warehouse.id,
        "location": "Warehouse",
        "quantity": 10,
        "minimum": 0,
        "maximum": 0,
    }
    van = by_location[shop.van.name]
    assert (van["quantity"], van["minimum"], van["maximum"]) == (2, 3, 6)
    assert by_location[shop.other_van.name]["quantity"] == 0
    assert "Old depot" not in by_location


def test_a_part_number_with_a_slash_is_found(client, auth, shop):
    factories.make_part(sku="Q6683/60167", name="Encoder strip")
    auth.login("tech")
    response = client.get("/api/v1/parts/Q6683/60167")
    assert response.status_code == 200
    assert response.json["name"] == "Encoder strip"
    assert response.json["supplier"] is None


def test_an_unknown_part_is_a_404(client, auth, shop):
    auth.login("office")
    for sku in ["NOPE-1", "cr357-67010", "%00", "X" * 300]:
        response = client.get(f"/api/v1/parts/{sku}")
        assert response.status_code == 404, sku
        assert response.json["error"]["code"] == "not_found"


# -- locations and stock ---------------------------------------------------------------------


def test_locations_are_those_in_use_warehouse_first(client, auth, shop):
    auth.login("office")
    body = client.get("/api/v1/locations").json
    assert [row["name"] for row in body][:2] == ["Warehouse", "Shelf A"]
    by_name = {row["name"]: row for row in body}
    assert "Old depot" not in by_name
    assert by_name["Shelf A"] == {
        "id": shop.shelf.id,
        "name": "Shelf A",
        "kind": "bin",
        "tech_id": None,
        "parent_id": shop.warehouse.id,
        "active": True,
    }
    van = by_name[shop.van.name]
    assert (van["kind"], van["tech_id"], van["parent_id"]) == ("van", shop.tech.id, None)


def test_the_office_reads_any_locations_stock(client, auth, shop):
    auth.login("office")
    van = client.get(f"/api/v1/stock?location={shop.van.id}")
    assert van.status_code == 200
    belt = {"sku": "CR357-67010", "name": "Carriage belt 24in", "quantity": 2}
    head = {"sku": "F9J81A", "name": "HP 729 printhead", "quantity": 1}
    assert van.json == [{**belt, "minimum": 3, "maximum": 6}, {**head, "minimum": 0, "maximum": 0}]
    warehouse = client.get(f"/api/v1/stock?location={shop.warehouse.id}").json
    assert [(row["sku"], row["quantity"]) for row in warehouse] == [("CR357-67010", 10)]
    assert client.get(f"/api/v1/stock?location={shop.other_van.id}").json == []


def test_a_tech_reads_their_own_van_only(client, auth, shop):
    auth.login(user=shop.tech)
    own = client.get(f"/api/v1/stock?location={shop.van.id}")
    assert own.status_code == 200 and len(own.json) == 2
    for other in (shop.other_van, shop.warehouse, shop.shelf):
        response = client.get(f"/api/v1/stock?location={other.id}")
        assert response.status_code == 403, other.name
        assert response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", ["tech", "office"])
def test_an_unknown_location_is_a_404(client, auth, shop, role):
    auth.login(role)
    for location_id in (99999, shop.depot.id):
        response = client.get(f"/api/v1/stock?location={location_id}")
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"


def test_a_missing_or_bad_location_is_a_422(client, auth, shop):
    auth.login("office")
    for query in ["", "?location=", "?location=abc", "?location=0", "?location=1.5", "?place=1"]:
        response = client.get(f"/api/v1/stock{query}")
        assert response.status_code == 422, query
        assert "location" in response.json["error"]["fields"], query


def test_the_reorder_list_says_what_to_order_and_from_whom(client, auth, shop):
    factories.committed(set_limits, shop.head, shop.warehouse, 2, 4)
    auth.login("office")
    rows = client.get("/api/v1/stock/reorder").json
    assert rows == [
        {
            "sku": "CR357-67010",
            "name": "Carriage belt 24in",
            "location_id": shop.van.id,
            "location": shop.van.name,
            "quantity": 2,
            "minimum": 3,
            "maximum": 6,
            "suggested": 4,
            "supplier": "Plotter Parts Co",
        },
        {
            "sku": "F9J81A",
            "name": "HP 729 printhead",
            "location_id": shop.warehouse.id,
            "location": "Warehouse",
            "quantity": 0,
            "minimum": 2,
            "maximum": 4,
            "suggested": 4,
            "supplier": None,
        },
    ]


# -- stock operations ------------------------------------------------------------------------


def test_a_receipt_is_applied_once_per_id(client, auth, shop):
    auth.login("office")
    body = operation("receive", quantity=5, target=shop.warehouse.id, reason="PO 1001")
    first = post(client, body)
    assert first.status_code == 201, first.json
    assert first.json["duplicate"] is False
    assert first.json["id"] == body["id"]
    assert (first.json["kind"], first.json["sku"], first.json["quantity"]) == (
        "receive",
        "CR357-67010",
        5,
    )
    assert first.json["reason"] == "PO 1001" and first.json["at"]
    assert first.json["levels"] == [
        {"location_id": shop.warehouse.id, "location": "Warehouse", "quantity": 15}
    ]
    after = ledger()
    again = post(client, body)
    assert again.status_code == 200
    assert again.json["duplicate"] is True
    assert again.json["levels"] == first.json["levels"]
    assert ledger() == after
    assert count(StockOperation) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(StockMovement.operation_id == uuid.UUID(body["id"]))
        )
        == 1
    )


def test_the_same_id_for_a_different_operation_is_a_409(client, auth, shop):
    auth.login("office")
    body = operation("receive", quantity=5, target=shop.warehouse.id)
    assert post(client, body).status_code == 201
    after = ledger()
    response = post(client, {**body, "quantity": 6})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    response = post(client, {**body, "kind": "adjust", "reason": "found"})
    assert response.status_code == 409
    assert ledger() == after
    assert level(shop.belt, shop.warehouse) == 15


def test_the_same_id_from_someone_else_is_a_409(client, auth, shop):
    auth.login("office")
    body = operation("receive", quantity=5, target=shop.warehouse.id)
    assert post(client, body).status_code == 201
    auth.logout()
    auth.login("office")
    assert post(client, body).status_code == 409
    assert level(shop.belt, shop.warehouse) == 15


def test_a_receipt_moves_the_average_cost(client, auth, shop):
    """12 on hand at $45.00 and 8 more at $70.00: the average is $55.00."""
    auth.login("office")
    body = operation("receive", quantity=8, target=shop.warehouse.id, unit_cost_cents=7000)
    assert post(client, body).status_code == 201
    db.session.expire_all()
    assert db.session.get(Part, shop.belt.id).unit_cost_cents == 5500
    (line,) = db.session.scalars(
        sa.select(StockMovement).where(StockMovement.operation_id == uuid.UUID(body["id"]))
    )
    assert (line.kind, line.quantity, line.unit_cost_cents) == ("receive", 8, 7000)
    assert post(client, body).status_code == 200  # resent: the cost moves once
    db.session.expire_all()
    assert db.session.get(Part, shop.belt.id).unit_cost_cents == 5500


def test_a_receipt_without_a_cost_keeps_the_average(client, auth, shop):
    auth.login("office")
    assert (
        post(client, operation("receive", quantity=8, target=shop.warehouse.id)).status_code == 201
    )
    db.session.expire_all()
    assert db.session.get(Part, shop.belt.id).unit_cost_cents == 4500


def test_a_transfer_writes_two_lines_with_one_transfer_id(client, auth, shop):
    auth.login("office")
    body = operation("transfer", quantity=4, source=shop.warehouse.id, target=shop.van.id)
    response = post(client, body)
    assert response.status_code == 201
    assert {row["location_id"]: row["quantity"] for row in response.json["levels"]} == {
        shop.warehouse.id: 6,
        shop.van.id: 6,
    }
    lines = list(
        db.session.scalars(
            sa.select(StockMovement).where(StockMovement.operation_id == uuid.UUID(body["id"]))
        )
    )
    assert sorted((line.location_id, line.quantity) for line in lines) == sorted(
        [(shop.warehouse.id, -4), (shop.van.id, 4)]
    )
    assert {line.kind for line in lines} == {"transfer"}
    assert len({line.transfer_id for line in lines}) == 1 and lines[0].transfer_id


def test_a_count_writes_the_difference_as_an_adjustment(client, auth, shop):
    auth.login("office")
    body = operation("count", quantity=7, target=shop.warehouse.id, reason="quarterly")
    response = post(client, body)
    assert response.status_code == 201
    assert response.json["kind"] == "count" and response.json["quantity"] == 7
    assert level(shop.belt, shop.warehouse) == 7
    (line,) = db.session.scalars(
        sa.select(StockMovement).where(StockMovement.operation_id == uuid.UUID(body["id"]))
    )
    assert (line.kind, line.quantity) == ("adjust", -3)
    assert "count" in line.reason
    # The same count again changes nothing, even though the level now matches anyway.
    assert post(client, body).json["duplicate"] is True
    assert level(shop.belt, shop.warehouse) == 7


def test_a_count_that_matches_writes_no_line(client, auth, shop):
    auth.login("office")
    movements = count(StockMovement)
    response = post(client, operation("count", quantity=10, target=shop.warehouse.id))
    assert response.status_code == 201
    assert count(StockMovement) == movements and count(StockOperation) == 1
    assert level(shop.belt, shop.warehouse) == 10


def test_an_adjustment_and_a_return(client, auth, shop):
    auth.login("admin")
    adjust = operation("adjust", quantity=-2, target=shop.warehouse.id, reason="damaged")
    assert post(client, adjust).status_code == 201
    back = operation("return", quantity=3, source=shop.warehouse.id, reason="RMA 5521")
    response = post(client, back)
    assert response.status_code == 201
    assert response.json["levels"][0]["quantity"] == 5
    kinds = [
        (line.kind, line.quantity, line.reason)
        for line in db.session.scalars(
            sa.select(StockMovement)
            .where(StockMovement.operation_id.is_not(None))
            .order_by(StockMovement.id)
        )
    ]
    assert kinds == [("adjust", -2, "damaged"), ("return", -3, "RMA 5521")]


def test_a_tech_counts_their_own_van(client, auth, shop):
    auth.login(user=shop.tech)
    response = post(client, operation("count", quantity=5, target=shop.van.id))
    assert response.status_code == 201, response.json
    assert level(shop.belt, shop.van) == 5
    line = db.session.scalar(sa.select(StockMovement).order_by(StockMovement.id.desc()))
    assert (line.kind, line.quantity, line.actor_id) == ("adjust", 3, shop.tech.id)


def _without_id(body: dict) -> dict:
    return {name: value for name, value in body.items() if name != "id"}


# Each refusal: (who sends it, the body made from the shop, the field it names).
BAD = {
    "unknown part": (
        "office",
        lambda s: operation("receive", "NOPE-1", target=s.warehouse.id),
        "sku",
    ),
    "unknown location": ("office", lambda s: operation("receive", target=99999), "to"),
    "unknown source": (
        "office",
        lambda s: operation("transfer", source=99999, target=s.warehouse.id),
        "from",
    ),
    "location out of use": ("office", lambda s: operation("receive", target=s.depot.id), "to"),
    "receive nothing": (
        "office",
        lambda s: operation("receive", quantity=0, target=s.warehouse.id),
        "quantity",
    ),
    "receive less than nothing": (
        "office",
        lambda s: operation("receive", quantity=-3, target=s.warehouse.id),
        "quantity",
    ),
    "transfer nothing": (
        "office",
        lambda s: operation("transfer", quantity=0, source=s.warehouse.id, target=s.van.id),
        "quantity",
    ),
    "transfer less than nothing": (
        "office",
        lambda s: operation("transfer", quantity=-2, source=s.warehouse.id, target=s.van.id),
        "quantity",
    ),
    "transfer to the same place": (
        "office",
        lambda s: operation("transfer", source=s.warehouse.id, target=s.warehouse.id),
        "to",
    ),
    "transfer to nowhere": (
        "office",
        lambda s: operation("transfer", source=s.warehouse.id),
        "to",
    ),
    "count below zero": (
        "office",
        lambda s: operation("count", quantity=-1, target=s.warehouse.id),
        "quantity",
    ),
    "adjust by zero": (
        "office",
        lambda s: operation("adjust", quantity=0, target=s.warehouse.id, reason="found"),
        "quantity",
    ),
    "adjust without a reason": (
        "office",
        lambda s: operation("adjust", quantity=2, target=s.warehouse.id),
        "reason",
    ),
    "return nothing": (
        "office",
        lambda s: operation("return", quantity=0, source=s.warehouse.id, reason="RMA 1"),
        "quantity",
    ),
    "return without a reason": (
        "office",
        lambda s: operation("return", source=s.warehouse.id),
        "reason",
    ),
    "receive into a van": ("office", lambda s: operation("receive", target=s.van.id), "to"),
    "no id": ("office", lambda s: _without_id(operation("receive", target=s.warehouse.id)), "id"),
    "bad id": (
        "office",
        lambda s: {**operation("receive", target=s.warehouse.id), "id": "not-a-uuid"},
        "id",
    ),
    "unknown kind": ("office", lambda s: operation("steal", target=s.warehouse.id), "kind"),
    "float quantity": (
        "office",
        lambda s: operation("receive", quantity=1.5, target=s.warehouse.id),
        "quantity",
    ),
    "huge quantity": (
        "office",
        lambda s: operation("receive", quantity=10**12, target=s.warehouse.id),
        "quantity",
    ),
    "location id over 2^31": ("office", lambda s: operation("receive", target=2**40), "to"),
    "NUL in the part number": (
        "office",
        lambda s: operation("receive", "A\x00B", target=s.warehouse.id),
        "sku",
    ),
    "unknown field": (
        "office",
        lambda s: {**operation("receive", target=s.warehouse.id), "colour": "red"},
        "colour",
    ),
    "tech receives": ("tech", lambda s: operation("receive", target=s.warehouse.id), "kind"),
    "tech moves warehouse stock": (
        "tech",
        lambda s: operation("transfer", source=s.warehouse.id, target=s.van.id),
        "kind",
    ),
    "tech adjusts their own van": (
        "tech",
        lambda s: operation("adjust", quantity=-1, target=s.van.id, reason="lost"),
        "kind",
    ),
    "tech counts another tech's van": (
        "tech",
        lambda s: operation("count", quantity=0, target=s.other_van.id),
        "to",
    ),
    "tech counts the warehouse": (
        "tech",
        lambda s: operation("count", quantity=0, target=s.warehouse.id),
        "to",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_a_422_on_its_field_and_writes_nothing(client, auth, shop, case):
    role, make_body, field = BAD[case]
    if role == "tech":
        auth.login(user=shop.tech)
    else:
        auth.login(role)
    before = ledger()
    cost = shop.belt.unit_cost_cents
    response = post(client, make_body(shop))
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"], error
    assert all(messages and all(messages) for messages in error["fields"].values())
    assert ledger() == before
    db.session.expire_all()
    assert db.session.get(Part, shop.belt.id).unit_cost_cents == cost


def test_a_body_that_is_not_json_is_a_400(client, auth, shop):
    auth.login("office")
    response = client.post(
        "/api/v1/stock/movements", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert count(StockOperation) == 0


def test_a_refused_id_can_be_used_once_the_operation_is_right(client, auth, shop):
    """A 422 writes nothing, so the client may fix the operation and send the same id."""
    auth.login("office")
    body = operation("receive", quantity=0, target=shop.warehouse.id)
    assert post(client, body).status_code == 422
    assert post(client, {**body, "quantity": 2}).status_code == 201
    assert level(shop.belt, shop.warehouse) == 12


# -- through the outbox ----------------------------------------------------------------------


def sync_op(payload: dict, op_id=None) -> dict:
    return {"id": str(op_id or uuid.uuid4()), "type": "stock.movement", "payload": payload}


def sync(client, *ops) -> list[dict]:
    response = client.post("/api/v1/sync", json={"ops": list(ops)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def test_a_van_count_through_the_outbox_is_applied_once(client, auth, shop):
    auth.login(user=shop.tech)
    payload = operation("count", quantity=6, target=shop.van.id, reason="Friday")
    first = sync_op(payload)
    (result,) = sync(client, first)
    assert result["status"] == "applied", result
    assert result["data"]["levels"] == [
        {"location_id": shop.van.id, "location": shop.van.name, "quantity": 6}
    ]
    after = ledger()
    # The same op again, and the same operation under a new op id (a lost answer): once.
    assert [r["status"] for r in sync(client, first, sync_op(payload))] == [
        "duplicate",
        "duplicate",
    ]
    assert ledger() == after
    assert level(shop.belt, shop.van) == 6
    assert count(StockOperation) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(StockMovement.operation_id == uuid.UUID(payload["id"]))
        )
        == 1
    )


def test_an_office_receipt_through_the_outbox(client, auth, shop):
    auth.login("office")
    payload = operation("receive", quantity=3, target=shop.warehouse.id, unit_cost_cents=4500)
    assert sync(client, sync_op(payload))[0]["status"] == "applied"
    assert level(shop.belt, shop.warehouse) == 13


def test_a_refused_operation_is_rejected_alone_and_the_batch_goes_on(client, auth, shop):
    """A tech's transfer, a bad payload, and a reused id: each rejected with its reason and
    fields, none a 500, nothing written, and the count after them applied."""
    auth.login(user=shop.tech)
    counted = operation("count", quantity=4, target=shop.van.id)
    assert sync(client, sync_op(counted))[0]["status"] == "applied"
    before = ledger()
    transfer = sync_op(operation("transfer", source=shop.warehouse.id, target=shop.van.id))
    other_van = sync_op(operation("count", quantity=0, target=shop.other_van.id))
    bad = sync_op(operation("count", quantity=-1, target=shop.van.id))
    reused = sync_op({**counted, "quantity": 9})
    after = sync_op(operation("count", "F9J81A", quantity=3, target=shop.van.id))
    results = sync(client, transfer, other_van, bad, reused, after)
    assert [r["status"] for r in results] == ["rejected"] * 4 + ["applied"]
    assert "kind" in results[0]["fields"]
    assert "to" in results[1]["fields"]
    assert "quantity" in results[2]["fields"]
    assert "different" in results[3]["reason"]
    assert all(r["reason"] for r in results[:4])
    assert levels() == {**before[2], (shop.head.id, shop.van.id): 3}
    assert level(shop.belt, shop.van) == 4
    assert count(StockOperation) == 2 and count(StockMovement) == before[1] + 1
    assert db.session.get(SyncOp, uuid.UUID(transfer["id"])).result == "rejected"


def test_the_openapi_document_describes_parts_and_stock(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/parts", "/parts/{sku}", "/locations", "/stock", "/stock/reorder"):
        assert "get" in paths[f"/api/v1{path}"], path
    movements = paths["/api/v1/stock/movements"]["post"]
    assert {"200", "201", "401", "409", "422"} <= set(movements["responses"])
    assert "404" in paths["/api/v1/stock"]["get"]["responses"]


def test_a_tech_sees_no_other_tech_s_van(client, auth, shop):
    """The catalogue and locations show a tech the warehouse, its bins and their own van."""
    factories.stock(shop.belt, shop.other_van, 4)
    auth.login(user=shop.tech)
    levels = client.get(f"/api/v1/parts/{shop.belt.sku}").json["levels"]
    seen = {row["location_id"] for row in levels}
    assert shop.van.id in seen and shop.warehouse.id in seen and shop.other_van.id not in seen
    locations = {row["id"] for row in client.get("/api/v1/locations").json}
    assert shop.van.id in locations and shop.other_van.id not in locations
    client.post("/logout")
    auth.login("office")
    levels = client.get(f"/api/v1/parts/{shop.belt.sku}").json["levels"]
    assert shop.other_van.id in {row["location_id"] for row in levels}
