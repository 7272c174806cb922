"""One van per tech: made with the account (page or command), handed back when the tech
leaves, its stock moved where the office says, its history kept."""

from __future__ import annotations

import sqlalchemy as sa
from markupsafe import escape

from fieldapp.auth.models import User
from fieldapp.extensions import db
from fieldapp.inventory import vans
from fieldapp.inventory.models import StockLevel, StockLocation, StockMovement
from fieldapp.inventory.services import van_of
from fieldapp.unit_of_work import unit_of_work
from tests import factories


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


def new_user(client, name, email, role="tech"):
    return client.post(
        "/admin/users/new",
        data={"name": name, "email": email, "role": role, "password": "long-enough-pw"},
    )


def test_a_tech_added_by_the_admin_has_a_van_at_once(client, auth):
    auth.login("admin")
    factories.make_location("van", tech=factories.make_user("tech"), name="Sam Lee's van")
    assert new_user(client, "Sam Lee", "sam.lee@example.com").status_code == 302
    assert new_user(client, "Ana Ruiz", "ana@example.com", role="office").status_code == 302
    sam = db.session.scalar(sa.select(User).where(User.email == "sam.lee@example.com"))
    van = van_of(sam.id)
    assert van is not None and van.active and van.name == "Sam Lee's van 2"
    ana = db.session.scalar(sa.select(User).where(User.email == "ana@example.com"))
    assert van_of(ana.id) is None


def test_the_user_command_gives_a_tech_a_van(runner, app):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "lee@example.com",
            "--name",
            "Lee Park",
            "--role",
            "tech",
            "--password-stdin",
        ],
        input="long-enough-pw\n",
    )
    assert result.exit_code == 0, result.output
    lee = db.session.scalar(sa.select(User).where(User.email == "lee@example.com"))
    assert van_of(lee.id).name == "Lee Park's van"


def test_a_leaving_tech_hands_the_van_back_where_the_office_says(client, auth):
    auth.login("admin")
    warehouse = factories.make_location("warehouse", name="Warehouse")
    sam = factories.make_user("tech", name="Sam Okafor")
    priya = factories.make_user("tech", name="Priya N")
    van, other = factories.van_of(sam), factories.van_of(priya)
    belt, head, wipes = factories.make_part(), factories.make_part(), factories.make_part()
    factories.stock(belt, van, 2)
    factories.stock(head, van, 1)
    factories.stock(wipes, van, -1)

    response = client.post(
        f"/admin/users/{sam.id}",
        data={"name": sam.name, "email": sam.email, "role": "tech", "stock_to": other.id},
    )
    assert response.headers["Location"] == f"/admin/users/{sam.id}/leave"
    db.session.expire_all()
    assert sam.active and level(belt, van) == 2  # nothing moves before the choice
    page = client.get(f"/admin/users/{sam.id}/leave").get_data(as_text=True)
    assert "The van's stock goes to" in page and escape(other.name) in page
    response = client.post(f"/admin/users/{sam.id}/leave", data={"stock_to": other.id})
    assert response.status_code == 302
    assert (level(belt, other), level(head, other), level(wipes, other)) == (2, 1, 0)
    assert (level(belt, van), level(head, van), level(wipes, van)) == (0, 0, 0)
    db.session.expire_all()
    assert not van.active and level(belt, warehouse) == 0
    corrected = db.session.scalar(
        sa.select(StockMovement).where(
            StockMovement.kind == "adjust", StockMovement.location_id == van.id
        )
    )
    assert corrected.quantity == 1 and "handed back" in corrected.reason

    # Back again: the same van, empty, in use.
    client.post(
        f"/admin/users/{sam.id}",
        data={"name": sam.name, "email": sam.email, "role": "tech", "active": "on"},
    )
    db.session.expire_all()
    assert van_of(sam.id).id == van.id and van.active


def test_the_deactivate_command_moves_van_stock_to_the_warehouse(runner, app):
    warehouse = factories.make_location("warehouse", name="Warehouse")
    sam = factories.make_user("tech", name="Sam Okafor")
    van = factories.van_of(sam)
    belt = factories.make_part()
    factories.stock(belt, van, 3)
    result = runner.invoke(args=["user", "deactivate", sam.email])
    assert result.exit_code == 0, result.output
    assert (level(belt, warehouse), level(belt, van)) == (3, 0)
    bad = runner.invoke(args=["user", "deactivate", sam.email, "--van-stock-to", "999"])
    assert bad.exit_code != 0 and "There is no such location." in bad.output


def test_handing_back_to_the_van_itself_is_refused_and_changes_nothing(client, auth):
    auth.login("admin")
    factories.make_location("warehouse", name="Warehouse")
    sam = factories.make_user("tech", name="Sam Okafor")
    van = factories.van_of(sam)
    belt = factories.make_part()
    factories.stock(belt, van, 2)
    response = client.post(f"/admin/users/{sam.id}/leave", data={"stock_to": van.id})
    assert response.status_code == 422
    assert "another tech&#39;s van" in response.get_data(as_text=True)
    db.session.expire_all()
    assert sam.active and van.active and level(belt, van) == 2
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(StockLocation).where(StockLocation.active)
        )
        == 2
    )


def test_a_van_handed_back_raises_no_alert(client, auth):
    """Its minimums stay with its history, but an empty van out of use is short of nothing."""
    auth.login("office")
    factories.make_location("warehouse", name="Warehouse")
    sam = factories.make_user("tech", name="Sam Okafor")
    van = factories.van_of(sam)
    belt = factories.make_part(name="Carriage belt")
    factories.set_limits(belt, van, 2)
    assert "Carriage belt" in client.get("/parts?low=1").get_data(as_text=True)
    with unit_of_work():
        vans.hand_back_van(sam, None, actor_id=None)
    assert "Carriage belt" not in client.get("/parts?low=1").get_data(as_text=True)
    assert "Carriage belt" not in client.get("/stock/alerts").get_data(as_text=True)
    assert "Carriage belt" not in client.get("/stock/reorder").get_data(as_text=True)
    assert client.get(f"/api/v1/parts/{belt.sku}").json["low"] is False
