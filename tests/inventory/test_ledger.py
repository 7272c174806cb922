"""The stock ledger: every level equals the sum of its movements, whatever happens."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldapp.errors import ServiceError
from fieldapp.extensions import db
from fieldapp.inventory import services
from fieldapp.inventory.models import StockLevel, StockMovement
from fieldapp.visits.services import PartInput, VisitInput, record_visit
from tests import factories

operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("visit"),
            st.integers(0, 2),
            st.integers(1, 4),
            st.sampled_from(["van", "warehouse"]),
        ),
        st.tuples(
            st.just("return"),
            st.integers(0, 2),
            st.integers(1, 3),
            st.sampled_from(["van", "warehouse"]),
        ),
        st.tuples(
            st.just("adjust"),
            st.integers(0, 2),
            st.integers(0, 9),
            st.sampled_from(["van", "warehouse"]),
        ),
        st.tuples(
            st.just("transfer"),
            st.integers(0, 2),
            st.integers(1, 5),
            st.sampled_from(["van", "warehouse"]),
        ),
        st.tuples(st.just("replay"), st.integers(0, 2), st.integers(1, 4), st.just("van")),
    ),
    min_size=1,
    max_size=25,
)


def assert_levels_equal_ledger():
    sums = dict(
        ((part, location), total)
        for part, location, total in db.session.execute(
            sa.select(
                StockMovement.part_id,
                StockMovement.location_id,
                sa.func.sum(StockMovement.quantity),
            ).group_by(StockMovement.part_id, StockMovement.location_id)
        )
    )
    levels = {
        (level.part_id, level.location_id): level.quantity
        for level in db.session.scalars(sa.select(StockLevel))
    }
    assert set(levels) == set(sums)
    for key, quantity in levels.items():
        assert quantity == sums[key], key


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations)
def test_levels_always_equal_the_sum_of_movements(app, ops):
    """For any sequence of visits, returns, adjustments and transfers (and replays of a
    visit), does every stock level equal the sum of its movements?"""
    for table in (
        "stock_movements",
        "stock_levels",
        "meter_readings",
        "visit_error_codes",
        "step_results",
        "activity_events",
        "visits",
    ):
        db.session.execute(db.metadata.tables[table].delete())
    db.session.commit()
    tech = factories.make_user("tech")
    plotter = factories.make_equipment()
    parts = [factories.make_part() for _ in range(3)]
    places = {"van": factories.van_of(tech), "warehouse": factories.make_location("warehouse")}
    last_visit = None
    start = datetime.now(UTC) - timedelta(days=30)
    for n, (kind, part_index, quantity, where) in enumerate(ops):
        part, location = parts[part_index], places[where]
        try:
            if kind == "visit" or (kind == "replay" and last_visit is None):
                last_visit = VisitInput(
                    id=uuid.uuid4(),
                    equipment=plotter.qr_token,
                    outcome="fixed",
                    started_at=start + timedelta(hours=n),
                    finished_at=start + timedelta(hours=n, minutes=30),
                    parts=[PartInput(part.sku, quantity, where)],
                )
                record_visit(last_visit, tech=tech)
            elif kind == "replay":
                record_visit(last_visit, tech=tech)  # a retry: must change nothing
            elif kind == "return":
                services.return_part(part, location, quantity, actor_id=tech.id, reason="unused")
                db.session.commit()
            elif kind == "adjust":
                services.adjust_to_count(part, location, quantity, actor_id=tech.id, reason="count")
                db.session.commit()
            else:
                other = places["warehouse" if where == "van" else "van"]
                services.transfer(part, location, other, quantity, actor_id=tech.id)
                db.session.commit()
        except ServiceError:
            db.session.rollback()
        assert_levels_equal_ledger()
