"""Plotters over the API."""

from __future__ import annotations

from tests import factories


def test_one_plotter_by_token(client, auth, app):
    tech = auth.login("tech")
    customer = factories.make_customer(name="Northgate University")
    plotter = factories.make_equipment(customer, model="DesignJet Z9+")
    factories.make_visit(plotter, tech)
    body = client.get(f"/api/v1/equipment/{plotter.qr_token}").json
    assert body["qr_token"] == plotter.qr_token
    assert body["qr_url"] == f"http://fieldapp.test/e/{plotter.qr_token}"
    assert body["short_code"] == plotter.short_code
    assert body["model"] == "DesignJet Z9+"
    assert body["customer"] == {"id": customer.id, "name": "Northgate University"}
    assert body["history"]["visits"] == 1 and body["history"]["last_visit_at"]
    by_short_code = client.get(f"/api/v1/equipment/{plotter.short_code}")
    assert by_short_code.json["id"] == plotter.id


def test_unknown_token_is_a_json_404(client, auth):
    auth.login("tech")
    response = client.get("/api/v1/equipment/ZZZZZZZZ")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_list_filters_and_paginates(client, auth):
    auth.login("office")
    a = factories.make_customer(name="Alpha Architects")
    b = factories.make_customer(name="Beta Signs")
    p1 = factories.make_equipment(a, model="DesignJet T830", serial_number="CN11111111")
    p2 = factories.make_equipment(b, make="Canon", model="imagePROGRAF TX-3100")
    factories.make_equipment(b, model="DesignJet T650", status="retired")
    assert [i["id"] for i in client.get("/api/v1/equipment?serial=cn11111111").json["items"]] == [
        p1.id
    ]
    assert [i["id"] for i in client.get(f"/api/v1/equipment?customer={b.id}").json["items"]] == [
        p2.id
    ]
    assert [i["id"] for i in client.get("/api/v1/equipment?q=tx-3100").json["items"]] == [p2.id]
    code = p2.short_code.lower()
    assert [i["id"] for i in client.get(f"/api/v1/equipment?q={code}").json["items"]] == [p2.id]
    page = client.get("/api/v1/equipment?per_page=1&page=2").json
    assert page["total"] == 2 and page["pages"] == 2 and len(page["items"]) == 1
    assert client.get("/api/v1/equipment?status=all").json["total"] == 3


def test_bad_query_is_a_422(client, auth):
    auth.login("tech")
    response = client.get("/api/v1/equipment?per_page=5000&customer=x")
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"per_page", "customer"}


def test_api_needs_sign_in(client):
    plotter = factories.make_equipment()
    assert client.get(f"/api/v1/equipment/{plotter.qr_token}").status_code == 401
    assert client.get("/api/v1/equipment").status_code == 401
