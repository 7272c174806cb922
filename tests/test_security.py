"""What every request goes through: the proxy in front, security headers, NUL bytes, safe
redirects, and the error page after a failure at flush."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldapp import create_app
from fieldapp.auth.models import User
from fieldapp.config import ConfigError
from fieldapp.customers import services as customer_services
from fieldapp.customers.models import Customer
from fieldapp.extensions import db
from fieldapp.security import CONTENT_SECURITY_POLICY, local_url
from fieldapp.unit_of_work import WriteInSafeRequest
from tests import factories
from tests.conftest import make_test_app


@pytest.fixture
def proxied_client(tmp_path, postgres_schema):
    app = make_test_app(tmp_path, postgres_schema, PROXY_HOPS=1, LOGIN_THROTTLE_PER_ADDRESS=3)
    with app.app_context():
        yield app.test_client()


def _fail_sign_in(client, address: str, email: str = "nobody@example.com"):
    return client.post(
        "/login",
        data={"email": email, "password": "wrong"},
        headers={"X-Forwarded-For": address},
    )


def test_behind_the_proxy_each_client_has_its_own_throttle(proxied_client):
    """Behind nginx every request comes from 127.0.0.1: does one guessing client lock out only
    itself, not the whole company (FIELDAPP_PROXY_HOPS=1)?"""
    sam = factories.make_user("tech", email="sam@example.com")
    for n in range(3):
        _fail_sign_in(proxied_client, "203.0.113.9", f"user{n}@example.com")
    assert _fail_sign_in(proxied_client, "203.0.113.9").status_code == 429
    signed_in = proxied_client.post(
        "/login",
        data={"email": sam.email, "password": factories.PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.20"},
    )
    assert signed_in.status_code == 302


def test_without_proxy_hops_forwarded_headers_are_not_trusted(client, app):
    """With no proxy configured, can a client pick its own address with X-Forwarded-For?"""
    app.config["LOGIN_THROTTLE_PER_ADDRESS"] = 2
    for n in range(2):
        _fail_sign_in(client, f"198.51.100.{n}", f"user{n}@example.com")
    assert _fail_sign_in(client, "198.51.100.99").status_code == 429


def test_proxy_hops_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDAPP_PROXY_HOPS", "1")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}", "SECRET_KEY": "x"}
    )
    assert app.config["PROXY_HOPS"] == 1
    monkeypatch.setenv("FIELDAPP_PROXY_HOPS", "one")
    with pytest.raises(ConfigError, match="FIELDAPP_PROXY_HOPS must be a whole number"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})


def test_pages_carry_a_strict_content_security_policy(client, auth):
    """Is every page served with a CSP allowing only this origin (no inline code or style),
    camera for this origin only, and no framing?"""
    auth.login("tech")
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert policy == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response.headers["Permissions-Policy"].startswith("camera=(self)")
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development
    html = response.get_data(as_text=True)
    assert " style=" not in html and " onclick=" not in html


def test_production_sends_hsts(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDAPP_ENV", "production")
    monkeypatch.setenv("FIELDAPP_SECRET_KEY", "k" * 64)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'h.sqlite3'}", "TESTING": True}
    )
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    "target",
    [
        "////evil.example",
        "//evil.example",
        "/\\evil.example",
        "/\\/evil.example",
        "https://evil.example/",
        "/%09/evil.example",
        "\t//evil.example",
        "/\x0d/evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_redirects_off_site(client, target):
    """Is ?next= followed only to a path on this site?"""
    user = factories.make_user("tech")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.status_code in (302, 400)
    location = response.headers.get("Location", "/")
    assert location == "/" or (location.startswith("/") and not location.startswith("//"))
    assert "evil" not in location.split("?")[0] or location.startswith("/%")


def test_local_url_keeps_paths_on_this_site():
    assert local_url("/jobs?tech=3") == "/jobs?tech=3"
    assert local_url("////evil.example") is None
    assert local_url("/\\evil.example") is None
    assert local_url("https://evil.example") is None
    assert local_url("") is None


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/api/v1/equipment?q=a%00b", None),
        ("get", "/jobs?customer=x%00", None),
        ("post", "/login", {"email": "sam\x00@example.com", "password": "x"}),
    ],
)
def test_nul_bytes_are_refused_before_any_view(client, auth, method, path, data):
    """Is a NUL character in a query or form a clear 400, never a database error?"""
    auth.login("office")
    response = getattr(client, method)(path, data=data)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_a_get_that_writes_is_refused(app, auth):
    """Does the unit of work refuse a GET that changes the database (a bug, or a prefetch
    marking things read)?"""
    user = auth.login("tech")
    with app.test_request_context("/", method="GET"):
        user.name = "Changed by a GET"
        with pytest.raises(WriteInSafeRequest):
            db.session.flush()
        db.session.rollback()
    assert db.session.get(User, user.id).name != "Changed by a GET"


def test_error_page_renders_after_a_failed_flush(app, client, auth, monkeypatch):
    """When the database refuses a write the services did not foresee, is the answer the
    app's own error page (rolled back before rendering), with nothing saved?"""
    auth.login("office")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def create_customer(values, *, actor_id):
        db.session.add(Customer(name=None))  # NOT NULL: refused at flush
        db.session.flush()

    monkeypatch.setattr(customer_services, "create_customer", create_customer)
    response = client.post("/customers/new", data={"name": "Oakridge Survey"})
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side" in page and "Dashboard" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0
