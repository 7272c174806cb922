"""Suppliers and purchase orders: draft orders made from the reorder list (one per supplier),
ordered, then received line by line (partial deliveries allowed), each receipt a receive
movement applied once per delivery form."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLocation,
    StockOperation,
    Supplier,
)
from fieldapp.inventory.queries import reorder_list
from fieldapp.inventory.services import apply_stock_operation


def save_supplier(data: dict, supplier: Supplier | None = None) -> Supplier:
    """A supplier as SupplierSchema loaded it; names are unique."""
    name = " ".join(data["name"].split())
    other = db.session.scalar(
        sa.select(Supplier).where(sa.func.lower(Supplier.name) == name.lower())
    )
    if other is not None and other is not supplier:
        raise Invalid.field("name", f"There is already a supplier called {other.name}.")
    supplier = supplier or Supplier()
    supplier.name = name
    supplier.contact = data.get("contact", "").strip()
    supplier.email = data.get("email", "").strip()
    supplier.phone = data.get("phone", "").strip()
    supplier.lead_time_days = data.get("lead_time_days", 7)
    db.session.add(supplier)
    db.session.flush()
    return supplier


def require_order(order_id: int) -> PurchaseOrder:
    order = db.session.get(PurchaseOrder, order_id)
    if order is None:
        raise NotFound("There is no such purchase order.")
    return order


def draft_orders_from_reorder(*, actor: User) -> tuple[list[PurchaseOrder], list[Part]]:
    """One draft order per supplier for what the warehouse (and its bins) is short of, up to
    each level's maximum; a supplier's open draft gets the lines instead of a second draft.
    Vans are restocked by transfers, not orders. Returns the drafts and the parts skipped
    because they have no supplier."""
    drafts: dict[int, PurchaseOrder] = {
        order.supplier_id: order
        for order in db.session.scalars(
            sa.select(PurchaseOrder).where(PurchaseOrder.state == "draft")
        )
    }
    touched: dict[int, PurchaseOrder] = {}
    skipped: list[Part] = []
    for row in reorder_list():
        if row.location.kind == "van":
            continue
        if row.part.supplier_id is None:
            skipped.append(row.part)
            continue
        order = drafts.get(row.part.supplier_id)
        if order is None:
            order = PurchaseOrder(supplier_id=row.part.supplier_id, created_by_id=actor.id)
            db.session.add(order)
            drafts[row.part.supplier_id] = order
        line = next(
            (
                line
                for line in order.lines
                if line.part_id == row.part.id and line.location_id == row.location.id
            ),
            None,
        )
        if line is None:
            order.lines.append(
                PurchaseOrderLine(
                    part=row.part,
                    location=row.location,
                    quantity=row.suggested,
                    unit_cost_cents=row.part.unit_cost_cents,
                )
            )
        else:
            line.quantity = max(line.quantity, row.suggested)
        touched[row.part.supplier_id] = order
    db.session.flush()
    for order in touched.values():
        record_event(
            "order.drafted",
            "purchase_order",
            order.number,
            f"Draft {order.number} for {order.supplier.name}: {len(order.lines)} lines",
            actor_id=actor.id,
        )
    return list(touched.values()), skipped


def _editable(order: PurchaseOrder) -> None:
    if order.state != "draft":
        raise Invalid(f"{order.number} was sent to the supplier; it can no longer change.")


def set_line_quantities(order: PurchaseOrder, quantities: dict[int, int]) -> None:
    """A draft's quantities by line id; 0 takes a line off."""
    _editable(order)
    for line in list(order.lines):
        quantity = quantities.get(line.id, line.quantity)
        if quantity < 0:
            raise Invalid.field(f"quantity-{line.id}", "Order 0 or more.")
        if quantity == 0:
            order.lines.remove(line)
        else:
            line.quantity = quantity


def add_line(order: PurchaseOrder, part: Part, location: StockLocation, quantity: int) -> None:
    _editable(order)
    if location.kind == "van":
        raise Invalid.field("location", "Order into the warehouse; vans are restocked by transfer.")
    for line in order.lines:
        if line.part_id == part.id and line.location_id == location.id:
            line.quantity += quantity
            return
    order.lines.append(
        PurchaseOrderLine(
            part=part, location=location, quantity=quantity, unit_cost_cents=part.unit_cost_cents
        )
    )


def mark_ordered(order: PurchaseOrder, *, actor: User) -> None:
    _editable(order)
    if not order.lines:
        raise Invalid("Add at least one line before ordering.")
    order.state, order.ordered_at = "ordered", utcnow()
    record_event(
        "order.placed",
        "purchase_order",
        order.number,
        f"Ordered {order.number} from {order.supplier.name}",
        actor_id=actor.id,
    )


def cancel_order(order: PurchaseOrder, *, actor: User) -> None:
    if order.state not in ("draft", "ordered"):
        raise Invalid(f"{order.number} has deliveries recorded; it cannot be cancelled.")
    order.state = "cancelled"
    record_event(
        "order.cancelled",
        "purchase_order",
        order.number,
        f"Cancelled {order.number}",
        actor_id=actor.id,
    )


def receive_order(
    order: PurchaseOrder, quantities: dict[int, int], *, delivery_id: uuid.UUID, actor: User
) -> int:
    """Record a delivery: quantities by line id, each at most what is still outstanding. Each
    line's receipt is a receive movement whose id derives from the delivery form's id, so
    sending one delivery twice records it once. Returns how many parts were received now."""
    db.session.refresh(order, with_for_update=True)  # two deliveries at once: one after the other
    if order.state not in ("ordered", "partly_received"):
        raise Invalid(f"{order.number} is {order.state.replace('_', ' ')}: nothing to receive.")
    operation_ids = {line.id: uuid.uuid5(delivery_id, str(line.id)) for line in order.lines}
    recorded = {
        line.id
        for line in order.lines
        if db.session.get(StockOperation, operation_ids[line.id]) is not None
    }
    for line in order.lines:
        quantity = quantities.get(line.id, 0)
        if line.id not in recorded and not 0 <= quantity <= line.outstanding:
            raise Invalid.field(
                f"received-{line.id}", f"Enter 0 to {line.outstanding} (still to come)."
            )
    received = 0
    for line in order.lines:
        quantity = quantities.get(line.id, 0)
        if not quantity or line.id in recorded:
            continue
        applied = apply_stock_operation(
            {
                "id": operation_ids[line.id],
                "kind": "receive",
                "sku": line.part.sku,
                "quantity": quantity,
                "source": None,
                "target": line.location_id,
                "reason": order.number,
                "unit_cost_cents": line.unit_cost_cents,
            },
            actor,
        )
        if applied.duplicate:
            continue
        line.received += quantity
        received += quantity
    if received:
        done = all(line.outstanding == 0 for line in order.lines)
        order.state = "received" if done else "partly_received"
    return received
