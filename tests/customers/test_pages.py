"""Office pages for customers: list, search, create, edit, retire."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.customers.models import Customer
from fieldapp.extensions import db
from tests import factories


def test_search_by_name_phone_or_address(client, auth):
    auth.login("office")
    factories.make_customer(name="Halvorsen Kline Architects", phone="312 555 0199")
    factories.make_customer(name="Riverwalk Print & Copy", address="88 Canal St, Aurora")
    for q, expected, absent in (
        ("halvorsen", "Halvorsen", "Riverwalk"),
        ("555 0199", "Halvorsen", "Riverwalk"),
        ("canal", "Riverwalk", "Halvorsen"),
    ):
        html = client.get("/customers/", query_string={"q": q}).get_data(as_text=True)
        assert expected in html and absent not in html
    assert "No customers match" in client.get("/customers/?q=zzz").get_data(as_text=True)


def test_create_edit_and_retire(client, auth):
    auth.login("office")
    response = client.post(
        "/customers/new",
        data={
            "name": "Lakeside Sign Co.",
            "contact_name": "Jim",
            "phone": "555 0100",
            "email": "jim@lakeside.example",
            "address": "1 Dock Rd",
            "notes": "Gate code 4471",
        },
    )
    customer = db.session.scalar(sa.select(Customer))
    assert response.location == f"/customers/{customer.id}"
    client.post(f"/customers/{customer.id}/edit", data={"name": "Lakeside Signs", "phone": "1"})
    db.session.refresh(customer)
    assert customer.name == "Lakeside Signs" and customer.notes == ""
    client.post(f"/customers/{customer.id}/status", data={"active": "0"})
    db.session.refresh(customer)
    assert customer.active is False
    assert "<strong>Lakeside Signs</strong>" not in client.get("/customers/").get_data(as_text=True)
    retired = client.get("/customers/?retired=1").get_data(as_text=True)
    assert "<strong>Lakeside Signs</strong>" in retired


def test_invalid_customer_shows_errors_and_saves_nothing(client, auth):
    auth.login("office")
    response = client.post("/customers/new", data={"name": " ", "email": "nope"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter the customer" in html and "Enter an email address" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_customer_page_lists_plotters_with_history(client, auth):
    tech = auth.login("office")
    customer = factories.make_customer()
    plotter = factories.make_equipment(customer, model="DesignJet T2600")
    factories.make_visit(plotter, tech)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "DesignJet T2600" in html and "1 visit" in html and plotter.short_code in html


def test_empty_customer_list(client, auth):
    auth.login("office")
    assert "No customers yet" in client.get("/customers/").get_data(as_text=True)
