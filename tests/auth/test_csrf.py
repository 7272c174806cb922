"""CSRF protection on every form and every unsafe API method."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import make_test_app


@pytest.fixture
def csrf_client(tmp_path, postgres_schema):
    app = make_test_app(tmp_path, postgres_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app.test_client()


def page_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def test_sign_in_form_without_token_is_refused(csrf_client):
    """Is a sign-in POST without the CSRF token refused and nobody signed in?"""
    factories.make_user("tech", email="sam@example.com")
    response = csrf_client.post(
        "/login", data={"email": "sam@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert b"security token" in response.data
    assert csrf_client.get("/api/v1/me").status_code == 401


def test_sign_in_form_with_token_works(csrf_client):
    factories.make_user("tech", email="sam@example.com")
    token = page_token(csrf_client)
    response = csrf_client.post(
        "/login",
        data={"email": "sam@example.com", "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def _signed_in(client, role="admin"):
    user = factories.make_user(role)
    token = page_token(client)
    client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    return user, page_token(client, "/")


def test_admin_form_without_token_changes_nothing(csrf_client):
    """Would a forged cross-site form create a user?"""
    from fieldapp.auth.services import find_user_by_email

    _signed_in(csrf_client)
    response = csrf_client.post(
        "/admin/users/new",
        data={"email": "x@example.com", "name": "X", "role": "admin", "password": "a" * 12},
    )
    assert response.status_code == 400
    assert find_user_by_email("x@example.com") is None


def test_api_write_needs_the_csrf_header(csrf_client):
    """Is an unsafe API call refused with a JSON error unless it sends X-CSRFToken?"""
    user, token = _signed_in(csrf_client, "tech")
    body = {"current_password": factories.PASSWORD, "new_password": "a-new-long-password"}
    refused = csrf_client.post("/api/v1/me/password", json=body)
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "csrf_failed"
    accepted = csrf_client.post("/api/v1/me/password", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 204


def test_sign_out_needs_the_token(csrf_client):
    """Can another site sign a tech out with a forged POST?"""
    _signed_in(csrf_client, "tech")
    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/api/v1/me").status_code == 200
