"""Signing in and out, keeping a tech signed in, throttling guessers."""

from __future__ import annotations

import logging

import pytest

from fieldapp.auth.models import LoginAttempt
from fieldapp.extensions import db
from tests import factories


def test_sign_in_with_any_case_email_lands_on_home(client):
    """Can a user sign in with their email in any case?"""
    factories.make_user("tech", email="sam@example.com")
    response = client.post(
        "/login", data={"email": "  Sam@Example.COM ", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response.location == "/"
    assert client.get("/api/v1/me").json["email"] == "sam@example.com"


def test_wrong_password_says_so_and_signs_nobody_in(client):
    """Does a wrong password show a clear message and leave the session anonymous?"""
    factories.make_user("tech", email="sam@example.com")
    response = client.post("/login", data={"email": "sam@example.com", "password": "nope"})
    assert response.status_code == 401
    assert b"do not match an active account" in response.data
    assert client.get("/api/v1/me").status_code == 401


def test_deactivated_user_cannot_sign_in(client):
    factories.make_user("tech", email="gone@example.com", active=False)
    response = client.post(
        "/login", data={"email": "gone@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 401


def test_keep_me_signed_in_sets_a_30_day_cookie(client):
    """Does "keep me signed in" give a tech a remember cookie lasting 30 days?"""
    factories.make_user("tech", email="sam@example.com")
    response = client.post(
        "/login",
        data={"email": "sam@example.com", "password": factories.PASSWORD, "remember": "1"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = next(c for c in cookies if c.startswith("remember_token="))
    assert "Max-Age=2592000" in remember or "Expires=" in remember
    assert "HttpOnly" in remember
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session


def test_without_keep_me_signed_in_no_remember_cookie(client):
    factories.make_user("tech", email="sam@example.com")
    response = client.post(
        "/login", data={"email": "sam@example.com", "password": factories.PASSWORD}
    )
    assert not any(c.startswith("remember_token=") for c in response.headers.getlist("Set-Cookie"))


def test_production_cookies_are_secure(tmp_path, postgres_schema, monkeypatch):
    """In production are the session and remember cookies sent only over HTTPS?"""
    from tests.conftest import make_test_app

    monkeypatch.setenv("FIELDAPP_ENV", "production")
    app = make_test_app(tmp_path, postgres_schema)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_next_returns_to_the_page_asked_for(client):
    factories.make_user("tech", email="sam@example.com")
    response = client.post(
        "/login?next=/sops/",
        data={"email": "sam@example.com", "password": factories.PASSWORD},
    )
    assert response.location == "/sops/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"],
)
def test_next_never_leaves_the_site(client, target):
    """Can a crafted sign-in link send a tech to another site after sign-in?"""
    factories.make_user("tech", email="sam@example.com")
    response = client.post(
        "/login",
        data={"email": "sam@example.com", "password": factories.PASSWORD, "next": target},
    )
    assert response.location == "/"


def test_sign_out(client, auth):
    auth.login("tech")
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_repeated_failures_for_an_account_are_throttled_and_logged(client, caplog):
    """After 5 wrong passwords is the account throttled with a 429 and a log line,
    even when the sixth try has the right password?"""
    factories.make_user("tech", email="sam@example.com")
    for _ in range(5):
        assert (
            client.post(
                "/login", data={"email": "sam@example.com", "password": "guess"}
            ).status_code
            == 401
        )
    with caplog.at_level(logging.WARNING, logger="fieldapp.auth"):
        response = client.post(
            "/login", data={"email": "sam@example.com", "password": factories.PASSWORD}
        )
    assert response.status_code == 429
    assert b"Too many failed sign-ins" in response.data
    assert any("throttled" in record.message for record in caplog.records)
    assert client.get("/api/v1/me").status_code == 401


def test_repeated_failures_from_one_address_are_throttled(client, app):
    """Is an address that tries many accounts throttled too?"""
    factories.make_user("tech", email="victim@example.com")
    for n in range(app.config["LOGIN_THROTTLE_PER_ADDRESS"]):
        client.post("/login", data={"email": f"user{n}@example.com", "password": "x"})
    response = client.post(
        "/login", data={"email": "victim@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 429


def test_throttle_counts_only_recent_failures(client, app):
    """Do old failures (outside the window) stop counting?"""
    from datetime import UTC, datetime, timedelta

    factories.make_user("tech", email="sam@example.com")
    long_ago = datetime.now(UTC) - app.config["LOGIN_THROTTLE_WINDOW"] - timedelta(minutes=1)
    db.session.add_all(
        LoginAttempt(email="sam@example.com", address="127.0.0.1", succeeded=False, at=long_ago)
        for _ in range(10)
    )
    db.session.commit()
    response = client.post(
        "/login", data={"email": "sam@example.com", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
