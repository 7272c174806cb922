"""Office pages for plotters: list, search, create, edit, retire."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.equipment.models import Equipment, QrLabel
from fieldapp.extensions import db
from tests import factories


def test_search_by_customer_model_serial_and_short_code(client, auth):
    auth.login("office")
    a = factories.make_equipment(
        factories.make_customer(name="Alpha Architects"),
        model="DesignJet T830",
        serial_number="CN11111111",
    )
    b = factories.make_equipment(
        factories.make_customer(name="Beta Signs"),
        make="Canon",
        model="imagePROGRAF TX-3100",
        serial_number="ABCD123456",
    )
    for q, hit, miss in (
        ("alpha", a, b),
        ("tx-3100", b, a),
        ("cn1111", a, b),
        (b.short_code.lower(), b, a),
    ):
        html = client.get("/plotters", query_string={"q": q}).get_data(as_text=True)
        assert hit.serial_number in html and miss.serial_number not in html, q


def test_create_plotter_makes_its_label(client, auth):
    auth.login("office")
    customer = factories.make_customer()
    response = client.post(
        "/plotters/new",
        data={
            "customer_id": customer.id,
            "make": "HP",
            "model": "DesignJet T650",
            "serial_number": "sg54dw26s1",
            "installed_on": "2024-03-01",
            "location_note": "4th floor copy room",
        },
    )
    plotter = db.session.scalar(sa.select(Equipment))
    assert response.location == f"/e/{plotter.qr_token}#label"
    assert plotter.serial_number == "SG54DW26S1"
    label = db.session.scalar(sa.select(QrLabel).where(QrLabel.token == plotter.qr_token))
    assert label.status == "active" and label.equipment_id == plotter.id


def test_invalid_plotter_is_refused(client, auth):
    auth.login("office")
    customer = factories.make_customer()
    factories.make_equipment(customer, make="HP", serial_number="CN00000001")
    cases = [
        ({"customer_id": "", "make": "HP", "model": "T830", "serial_number": "X1"}, "customer"),
        ({"customer_id": customer.id, "make": "", "model": "", "serial_number": ""}, "make"),
        (
            {
                "customer_id": customer.id,
                "make": "hp",
                "model": "T830",
                "serial_number": "cn00000001",
            },
            "already registered",
        ),
        (
            {
                "customer_id": customer.id,
                "make": "HP",
                "model": "T830",
                "serial_number": "X2",
                "installed_on": "31/12/2024",
            },
            "YYYY-MM-DD",
        ),
    ]
    for data, message in cases:
        response = client.post("/plotters/new", data=data)
        assert response.status_code in (409, 422)
        assert message.lower() in response.get_data(as_text=True).lower(), message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Equipment)) == 1


def test_edit_and_retire(client, auth):
    auth.login("office")
    plotter = factories.make_equipment()
    other = factories.make_customer(name="New Owner Ltd")
    client.post(
        f"/plotters/{plotter.id}/edit",
        data={
            "customer_id": other.id,
            "make": "HP",
            "model": "DesignJet T830",
            "serial_number": plotter.serial_number,
            "location_note": "Moved to basement",
        },
    )
    db.session.refresh(plotter)
    assert plotter.customer_id == other.id and plotter.location_note == "Moved to basement"
    client.post(f"/plotters/{plotter.id}/status", data={"status": "retired"})
    db.session.refresh(plotter)
    assert plotter.status == "retired"
    assert plotter.serial_number not in client.get("/plotters").get_data(as_text=True)
    assert plotter.serial_number in client.get("/plotters?status=retired").get_data(as_text=True)


def test_tech_cannot_edit_plotters(client, auth):
    auth.login("tech")
    plotter = factories.make_equipment()
    response = client.post(f"/plotters/{plotter.id}/status", data={"status": "retired"})
    assert response.status_code == 403
    db.session.refresh(plotter)
    assert plotter.status == "active"
