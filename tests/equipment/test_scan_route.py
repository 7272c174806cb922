"""The /scan page's manual entry, which works without a camera or JavaScript."""

from __future__ import annotations

from tests import factories


def test_typed_code_in_any_form_opens_the_plotter(client, auth):
    auth.login("tech")
    plotter = factories.make_equipment()
    for typed in (
        plotter.short_code,
        plotter.short_code.lower().replace("-", ""),
        plotter.qr_token,
    ):
        response = client.get("/scan", query_string={"code": typed})
        assert response.status_code == 302
        assert response.location == f"/e/{plotter.qr_token}"


def test_bad_code_explains_and_stays(client, auth):
    auth.login("tech")
    response = client.get("/scan", query_string={"code": "https://evil.example/x"})
    assert response.status_code == 422
    assert "is not a FieldApp label code" in response.get_data(as_text=True)


def test_valid_looking_unknown_code_is_refused(client, auth):
    auth.login("tech")
    response = client.get("/scan", query_string={"code": "PM-ZZZZ-ZZZZ"})
    assert response.status_code == 422


def test_scan_page_renders(client, auth):
    auth.login("tech")
    html = client.get("/scan").get_data(as_text=True)
    assert "Short code" in html
