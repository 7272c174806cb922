"""Stock operations against a model: for any sequence of receipts, transfers, counts,
adjustments, returns and visit usage, with earlier operations sent again, every level is what
a plain dict of quantities says, a resent operation changes nothing, and every level is the
sum of its ledger lines."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from fieldapp.errors import Conflict, Invalid, ServiceError
from fieldapp.extensions import db
from fieldapp.inventory.models import Part, StockLevel, StockMovement, StockOperation
from fieldapp.inventory.schemas import StockOperationSchema
from fieldapp.inventory.services import apply_stock_operation, use_part
from fieldapp.unit_of_work import unit_of_work
from tests import factories

PARTS = 2
# W the warehouse, B a shelf in it, V the tech's van, X another tech's van.
PLACES = ("W", "B", "V", "X")
START_COST = 4500

parts = st.integers(0, PARTS - 1)
places = st.sampled_from(PLACES)
# Mostly the office, which may do anything; now and then a tech, who may only count their van.
actors = st.sampled_from(("office", "office", "office", "tech"))
# An earlier operation sent again (mostly one that was applied; now and then any).
replay = st.tuples(
    st.just("replay"), st.integers(0, 10_000), st.sampled_from((False,) * 3 + (True,))
)
steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("receive"),
            parts,
            st.integers(1, 20),
            st.sampled_from(("W", "W", "B", "V")),
            actors,
            st.none() | st.integers(0, 20_000),
        ),
        st.tuples(st.just("transfer"), parts, st.integers(1, 10), places, places, actors),
        st.tuples(
            st.just("count"),
            parts,
            st.integers(0, 15),
            st.sampled_from(("V", "V", "W", "B", "X")),
            st.sampled_from(("office", "tech", "tech")),
        ),
        st.tuples(st.just("adjust"), parts, st.integers(-10, 10).filter(bool), places, actors),
        st.tuples(st.just("return"), parts, st.integers(1, 5), places, actors),
        st.tuples(st.just("use"), parts, st.integers(1, 5), st.sampled_from(("V", "W"))),
        replay,
        replay,
        st.tuples(st.just("conflict"), st.integers(0, 10_000), st.booleans()),
    ),
    min_size=5,
    max_size=40,
)


@dataclass
class Sent:
    body: dict
    actor: str
    applied: bool


class Model:
    """What the stock should be, kept apart from the code under test: quantities by
    (sku, place) and each part's average cost."""

    def __init__(self, skus: list[str]):
        self.levels: dict[tuple[str, str], int] = {}
        self.cost = dict.fromkeys(skus, START_COST)

    def level(self, sku: str, place: str) -> int:
        return self.levels.get((sku, place), 0)

    def add(self, sku: str, place: str, quantity: int) -> None:
        self.levels[(sku, place)] = self.level(sku, place) + quantity

    @staticmethod
    def refuses(kind: str, actor: str, source: str | None, target: str | None) -> bool:
        if actor == "tech":  # a tech counts their own van, and does nothing else
            return kind != "count" or target != "V"
        if kind == "receive":  # a van is restocked by a transfer
            return target in ("V", "X")
        return kind == "transfer" and source == target

    def apply(self, kind: str, sku: str, quantity: int, source, target, cost) -> None:
        if kind == "receive":
            on_hand = max(0, sum(q for (s, _), q in self.levels.items() if s == sku))
            price = self.cost[sku] if cost is None else cost
            self.cost[sku] = round(
                (on_hand * self.cost[sku] + quantity * price) / (on_hand + quantity)
            )
            self.add(sku, target, quantity)
        elif kind == "transfer":
            self.add(sku, source, -quantity)
            self.add(sku, target, quantity)
        elif kind == "count":
            self.levels[(sku, target)] = quantity
        elif kind == "adjust":
            self.add(sku, target, quantity)
        else:  # return to the supplier
            self.add(sku, source, -quantity)


@pytest.fixture
def stockroom(app):
    """The people and places every example shares (each example gets new parts)."""
    tech = factories.make_user("tech")
    other = factories.make_user("tech")
    office = factories.make_user("office")
    warehouse = factories.make_location("warehouse")
    return SimpleNamespace(
        actors={"tech": tech, "office": office},
        places={
            "W": warehouse,
            "B": factories.make_location("bin", parent_id=warehouse.id),
            "V": factories.van_of(tech),
            "X": factories.van_of(other),
        },
    )


def start_clean() -> None:
    for table in ("stock_movements", "stock_operations", "stock_levels", "activity_events"):
        db.session.execute(db.metadata.tables[table].delete())
    db.session.commit()


def send(body: dict, actor) -> object:
    """The operation through the schema and the service, in its own unit of work: what was
    applied, or the error it was refused with."""
    try:
        with unit_of_work():
            return apply_stock_operation(StockOperationSchema().load(body), actor)
    except (ServiceError, ValidationError) as exc:
        return exc


def ledger_state() -> tuple:
    levels = {
        (part_id, location_id): quantity
        for part_id, location_id, quantity in db.session.execute(
            sa.select(StockLevel.part_id, StockLevel.location_id, StockLevel.quantity)
        )
    }
    count = db.session.scalar(sa.select(sa.func.count()).select_from(StockMovement))
    operations = db.session.scalar(sa.select(sa.func.count()).select_from(StockOperation))
    costs = {i: c for i, c in db.session.execute(sa.select(Part.id, Part.unit_cost_cents))}
    return levels, count, operations, costs


def check(model: Model, room, made: list[Part]) -> None:
    levels, _, _, costs = ledger_state()
    by_id = {location.id: name for name, location in room.places.items()}
    part_sku = {part.id: part.sku for part in made}
    # Every level is what the model says (no row counts as zero) ...
    stored = {
        (part_sku[part_id], by_id[location_id]): quantity
        for (part_id, location_id), quantity in levels.items()
        if part_id in part_sku
    }
    for key in set(stored) | set(model.levels):
        assert stored.get(key, 0) == model.level(*key), key
    assert {part_sku[i]: costs[i] for i in part_sku} == model.cost
    # ... and the sum of its ledger lines.
    sums = dict(
        ((part_id, location_id), int(total))
        for part_id, location_id, total in db.session.execute(
            sa.select(
                StockMovement.part_id,
                StockMovement.location_id,
                sa.func.sum(StockMovement.quantity),
            ).group_by(StockMovement.part_id, StockMovement.location_id)
        )
    )
    assert set(sums) <= set(levels)
    for key, quantity in levels.items():
        assert quantity == sums.get(key, 0), key


def levels_answered(result, room) -> dict[str, int]:
    by_id = {location.id: name for name, location in room.places.items()}
    return {by_id[row["location_id"]]: row["quantity"] for row in result.levels}


def operation_body(step: tuple, made: list[Part], room) -> tuple[dict, str, str | None, str | None]:
    """A new operation as the wire has it, with its sender, source and target."""
    kind, p, quantity, *rest = step
    cost = None
    if kind == "transfer":
        source, target, actor = rest
    elif kind == "receive":
        source, (target, actor, cost) = None, rest
    elif kind == "return":
        (source, actor), target = rest, None
    else:
        source, (target, actor) = None, rest
    body = {"id": str(uuid.uuid4()), "kind": kind, "sku": made[p].sku, "quantity": quantity}
    if source:
        body["from"] = room.places[source].id
    if target:
        body["to"] = room.places[target].id
    if kind in ("adjust", "return"):
        body["reason"] = "correction" if kind == "adjust" else "defective"
    if cost is not None:
        body["unit_cost_cents"] = cost
    return body, actor, source, target


def send_new(step: tuple, model: Model, made: list[Part], room) -> Sent:
    """A new operation: refused (changing nothing) exactly when the model says so, else
    applied as the model applies it, answering the levels it left."""
    body, actor, source, target = operation_body(step, made, room)
    refused = Model.refuses(body["kind"], actor, source, target)
    before = ledger_state()
    result = send(body, room.actors[actor])
    if refused:
        assert isinstance(result, Invalid | ValidationError), (step, result)
        assert ledger_state() == before
    else:
        assert not isinstance(result, Exception), (step, result)
        assert not result.duplicate
        model.apply(
            body["kind"],
            body["sku"],
            body["quantity"],
            source,
            target,
            cost=body.get("unit_cost_cents"),
        )
        answered = levels_answered(result, room)
        assert answered == {place: model.level(body["sku"], place) for place in answered}
    return Sent(body, actor, applied=not refused)


def send_again(step: tuple, model: Model, sent: list[Sent], room) -> None:
    """An earlier operation again: a duplicate if it was applied (refused again if not), or
    its id reused for a different operation or by someone else: a conflict. Nothing changes."""
    kind, index, variant = step
    pool = sent if kind == "replay" and variant else [s for s in sent if s.applied]
    if not pool:
        return
    earlier = pool[index % len(pool)]
    body, actor = earlier.body, earlier.actor
    before = ledger_state()
    if kind == "conflict":
        if variant:  # someone else sends it
            actor = "tech" if actor == "office" else "office"
        else:
            body = {**body, "quantity": body["quantity"] + (2 if body["quantity"] == -1 else 1)}
        assert isinstance(send(body, room.actors[actor]), Conflict)
    elif earlier.applied:
        result = send(body, room.actors[actor])
        assert not isinstance(result, Exception), result
        assert result.duplicate
        answered = levels_answered(result, room)
        assert answered == {place: model.level(body["sku"], place) for place in answered}
    else:
        assert isinstance(send(body, room.actors[actor]), Invalid | ValidationError)
    assert ledger_state() == before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=steps)
def test_stock_operations_match_a_model_and_apply_once(stockroom, script):
    """For any sequence of operations (some refused, some sent again, some reusing an id for
    a different operation) and visit usage, does every level and average cost match the
    model, does a resend change nothing, and does every level equal the sum of its lines?"""
    start_clean()
    made = [factories.make_part(unit_cost_cents=START_COST) for _ in range(PARTS)]
    model = Model([part.sku for part in made])
    room = stockroom
    sent: list[Sent] = []
    for step in script:
        if step[0] == "use":
            _, p, quantity, place = step
            tech = room.actors["tech"]
            with unit_of_work():
                use_part(made[p], room.places[place], quantity, actor_id=tech.id, visit_id=None)
            model.add(made[p].sku, place, -quantity)
        elif step[0] in ("replay", "conflict"):
            send_again(step, model, sent, room)
        else:
            sent.append(send_new(step, model, made, room))
        check(model, room, made)
