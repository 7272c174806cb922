"""Van restock: the tech asks (prefilled with what is under its minimum), the office picks
what it can (a transfer from the warehouse), the tech confirms what arrived; a part missing
on arrival is written off the van and flagged; each step happens once."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.extensions import db
from fieldapp.inventory.models import RestockRequest, StockLevel
from tests import factories


@pytest.fixture
def van_low(app):
    warehouse = factories.make_location("warehouse", name="Warehouse")
    tech = factories.make_user("tech", name="Sam Okafor")
    van = factories.van_of(tech)
    belt = factories.make_part(sku="CR357-67010", name="Carriage belt 24in")
    cloths = factories.make_part(sku="CON-LINT", name="Lint-free cloths")
    factories.stock(belt, warehouse, 5)
    factories.stock(cloths, warehouse, 1)
    factories.set_limits(belt, van, 2, 3)
    factories.set_limits(cloths, van, 2, 4)
    return warehouse, tech, van, belt, cloths


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


def test_ask_pick_and_receive_short(client, auth, van_low):
    warehouse, tech, van, belt, cloths = van_low
    auth.login(user=tech)
    page = client.get("/van").get_data(as_text=True)
    assert re.search(r'name="qty-CR357-67010"[^>]*value="3"', page)  # 0 in the van, up to 3
    assert re.search(r'name="qty-CON-LINT"[^>]*value="4"', page)
    request_id = re.search(r'name="id" value="([0-9a-f-]{36})"', page).group(1)
    form = {"id": request_id, "qty-CR357-67010": "3", "qty-CON-LINT": "4", "note": "Big job"}
    asked = client.post("/van/restock", data=form, follow_redirects=True)
    assert "Asked the office for a restock" in asked.get_data(as_text=True)
    again = client.post("/van/restock", data=form, follow_redirects=True)
    assert "was sent already" in again.get_data(as_text=True)
    (restock,) = db.session.scalars(sa.select(RestockRequest)).all()
    assert {line.part.sku: line.asked for line in restock.lines} == {
        "CR357-67010": 3,
        "CON-LINT": 4,
    }
    client.post("/logout")

    auth.login("office", name="Maria Chen")
    inbox = client.get("/stock/restock").get_data(as_text=True)
    assert restock.reference in inbox and "Big job" in inbox
    lines = {line.part.sku: line for line in restock.lines}
    picked = client.post(
        f"/stock/restock/{restock.id}",
        data={f"sent-{lines['CR357-67010'].id}": "3", f"sent-{lines['CON-LINT'].id}": "1"},
    )
    assert picked.status_code == 302
    assert (level(belt, warehouse), level(belt, van)) == (2, 3)
    assert (level(cloths, warehouse), level(cloths, van)) == (0, 1)
    twice = client.post(f"/stock/restock/{restock.id}", data={}, follow_redirects=True)
    assert "was picked already" in twice.get_data(as_text=True)
    assert level(belt, van) == 3
    client.post("/logout")

    auth.login(user=tech)
    arriving = client.get("/van").get_data(as_text=True)
    assert f"{restock.reference} is on its way" in arriving
    done = client.post(
        f"/van/restock/{restock.id}/received",
        data={"got-CR357-67010": "2", "got-CON-LINT": "1"},
        follow_redirects=True,
    )
    assert f"{restock.reference} is in your van." in done.get_data(as_text=True)
    assert (level(belt, van), level(cloths, van)) == (2, 1)  # one belt never arrived
    flagged = db.session.scalar(
        sa.select(ActivityEvent).where(ActivityEvent.verb == "restock.short")
    )
    assert "1 part short" in flagged.summary
    client.post(
        f"/van/restock/{restock.id}/received",
        data={"got-CR357-67010": "0"},
        follow_redirects=True,
    )
    assert level(belt, van) == 2  # a second confirmation changes nothing


@pytest.mark.parametrize(
    "form, message",
    [
        ({}, "Ask for at least one part."),
        ({"qty-CR357-67010": "two"}, "Not a valid integer."),
        ({"extra-sku": "NOPE-1", "extra-qty": "1"}, "There is no part with the number NOPE-1."),
        ({"extra-sku": "CR357-67010", "extra-qty": "0"}, "Enter a whole number from 1"),
    ],
)
def test_a_bad_request_says_why_and_asks_nothing(client, auth, van_low, form, message):
    *_, tech, _van, _belt, _cloths = van_low
    auth.login(user=tech)
    response = client.post(
        "/van/restock", data={"id": str(uuid.uuid4()), **form}, follow_redirects=True
    )
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RestockRequest)) == 0


def test_receiving_more_than_was_sent_is_refused(client, auth, van_low):
    warehouse, tech, van, belt, _ = van_low
    auth.login(user=tech)
    client.post("/van/restock", data={"id": str(uuid.uuid4()), "qty-CR357-67010": "2"})
    restock = db.session.scalar(sa.select(RestockRequest))
    client.post("/logout")
    auth.login("office")
    (line,) = restock.lines
    client.post(f"/stock/restock/{restock.id}", data={f"sent-{line.id}": "2"})
    client.post("/logout")
    auth.login(user=tech)
    response = client.post(
        f"/van/restock/{restock.id}/received", data={"got-CR357-67010": "5"}, follow_redirects=True
    )
    assert "Enter 0 to 2" in response.get_data(as_text=True)
    db.session.expire_all()
    assert restock.state == "picked" and level(belt, van) == 2


def test_the_office_cancels_and_a_tech_cannot_pick(client, auth, van_low):
    *_, tech, _van, _belt, _cloths = van_low
    auth.login(user=tech)
    client.post("/van/restock", data={"id": str(uuid.uuid4()), "qty-CON-LINT": "2"})
    restock = db.session.scalar(sa.select(RestockRequest))
    assert client.get(f"/stock/restock/{restock.id}").status_code == 403
    assert client.post(f"/stock/restock/{restock.id}/cancel").status_code == 403
    client.post("/logout")
    auth.login("office")
    done = client.post(f"/stock/restock/{restock.id}/cancel", follow_redirects=True)
    assert f"Cancelled {restock.reference}." in done.get_data(as_text=True)
    db.session.expire_all()
    assert restock.state == "cancelled"
    assert restock.reference not in client.get("/stock/restock").get_data(as_text=True)


def test_a_van_handed_back_gets_no_restock(client, auth, van_low):
    """Its open requests are cancelled; a request picked after all is refused."""
    *_, tech, van, _belt, _cloths = van_low
    auth.login(user=tech)
    client.post("/van/restock", data={"id": str(uuid.uuid4()), "qty-CON-LINT": "2"})
    restock = db.session.scalar(sa.select(RestockRequest))
    client.post("/logout")
    auth.login("admin")
    client.post(
        f"/admin/users/{tech.id}", data={"name": tech.name, "email": tech.email, "role": "tech"}
    )
    db.session.expire_all()
    assert not van.active and restock.state == "cancelled"
    restock.state = "open"  # as if it had slipped through
    db.session.commit()
    (line,) = restock.lines
    refused = client.post(
        f"/stock/restock/{restock.id}", data={f"sent-{line.id}": "2"}, follow_redirects=True
    )
    assert "no longer in use" in refused.get_data(as_text=True)
