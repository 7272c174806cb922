"""Sessions that can be ended, a CSRF token that changes at sign-in, and sign-in throttles
that hold under parallel attempts and cannot lock a person out from elsewhere."""

from __future__ import annotations

import re
import threading

import pytest
import requests
import sqlalchemy as sa
from werkzeug import security

from fieldapp.auth import services as auth_services
from fieldapp.auth.models import LoginAttempt, UserSession
from fieldapp.extensions import db
from tests import factories
from tests.conftest import make_test_app


def sign_in(client, user, remember=False):
    data = {"email": user.email, "password": factories.PASSWORD}
    if remember:
        data["remember"] = "on"
    response = client.post("/login", data=data)
    assert response.status_code == 302
    return response


def cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def copy_of(app, jar: dict[str, str], *only: str):
    """Another browser holding a copy of these cookies (a stolen cookie)."""
    other = app.test_client()
    for name, value in jar.items():
        if not only or name in only:
            other.set_cookie(name, value)
    return other


def test_a_copied_session_cookie_stops_working_at_sign_out(app, client):
    """Does a cookie copied before sign-out still open pages after it? (It must not.)"""
    user = factories.make_user("tech")
    sign_in(client, user)
    stolen = copy_of(app, cookies(client))
    assert stolen.get("/api/v1/me").status_code == 200
    client.post("/logout")
    assert stolen.get("/api/v1/me").status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0


def test_a_copied_remember_cookie_stops_working_at_sign_out(app, client):
    user = factories.make_user("tech")
    sign_in(client, user, remember=True)
    jar = cookies(client)
    assert "remember_token" in jar
    stolen = copy_of(app, jar, "remember_token")
    assert stolen.get("/api/v1/me").status_code == 200
    client.post("/logout")
    assert copy_of(app, jar, "remember_token").get("/api/v1/me").status_code == 401


def test_signing_out_on_one_device_signs_out_the_others(app, client):
    """Sign-out ends every session of the person: the phone left signed in stops working."""
    user = factories.make_user("tech")
    phone = app.test_client()
    sign_in(phone, user, remember=True)
    sign_in(client, user)
    answer = client.post("/logout", follow_redirects=True)
    assert "You are signed out on every device." in answer.get_data(as_text=True)
    assert phone.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_every_other_session(app, client):
    """Do the sessions and remember cookies of other devices end when the password changes,
    while the device that changed it stays signed in with a new remember token?"""
    user = factories.make_user("tech")
    phone = app.test_client()
    sign_in(phone, user, remember=True)
    sign_in(client, user, remember=True)
    before = cookies(client)["remember_token"]
    response = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": "a-brand-new-password"},
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    assert cookies(client)["remember_token"] != before
    assert phone.get("/api/v1/me").status_code == 401
    assert copy_of(app, {"remember_token": before}).get("/api/v1/me").status_code == 401


def test_the_api_password_change_ends_other_sessions_too(app, client):
    user = factories.make_user("office")
    phone = app.test_client()
    sign_in(phone, user)
    sign_in(client, user)
    body = {"current_password": factories.PASSWORD, "new_password": "another-new-password"}
    assert client.post("/api/v1/me/password", json=body).status_code == 204
    assert client.get("/api/v1/me").status_code == 200
    assert phone.get("/api/v1/me").status_code == 401


def test_admin_signs_a_person_out_everywhere(app, client, auth):
    """A lost phone: does "Sign out everywhere" end all of the person's sessions?"""
    sam = factories.make_user("tech", name="Sam Okafor")
    phones = [app.test_client(), app.test_client()]
    for phone in phones:
        sign_in(phone, sam, remember=True)
    auth.login("admin")
    page = client.get(f"/admin/users/{sam.id}").get_data(as_text=True)
    assert "signed in on 2 devices" in page
    response = client.post(f"/admin/users/{sam.id}/sign-out", follow_redirects=True)
    assert "Sam Okafor is signed out everywhere (2 sessions)" in response.get_data(as_text=True)
    for phone in phones:
        assert phone.get("/api/v1/me").status_code == 401


def test_a_password_reset_and_deactivation_end_sessions(app, client, auth):
    sam = factories.make_user("tech")
    phone = app.test_client()
    sign_in(phone, sam)
    auth.login("admin")
    client.post(f"/admin/users/{sam.id}/password", data={"password": "reset-by-the-owner"})
    assert phone.get("/api/v1/me").status_code == 401


@pytest.fixture
def csrf_app(tmp_path, postgres_schema):
    app = make_test_app(tmp_path, postgres_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


def page_token(client, path="/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def test_the_csrf_token_changes_at_sign_in(csrf_app):
    """Is a CSRF token seen before sign-in (a shared computer) refused after it?"""
    client = csrf_app.test_client()
    user = factories.make_user("tech")
    before = page_token(client)
    client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": before}
    )
    after = page_token(client, "/")
    assert after != before
    body = {"current_password": factories.PASSWORD, "new_password": "a-new-long-password"}
    refused = client.post("/api/v1/me/password", json=body, headers={"X-CSRFToken": before})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "csrf_failed"
    accepted = client.post("/api/v1/me/password", json=body, headers={"X-CSRFToken": after})
    assert accepted.status_code == 204


def test_an_unknown_email_costs_a_password_check_too(client, monkeypatch):
    """Would timing tell which emails have accounts? An unknown email must cost the same
    password-hash check as a known one with a wrong password."""
    factories.make_user("tech", email="sam@example.com")
    checked = []
    real = security.check_password_hash

    def counting(pwhash, password):
        checked.append(password)
        return real(pwhash, password)

    monkeypatch.setattr(auth_services, "check_password_hash", counting)
    monkeypatch.setattr("fieldapp.auth.models.check_password_hash", counting)
    client.post("/login", data={"email": "nobody@example.com", "password": "guess-1"})
    client.post("/login", data={"email": "sam@example.com", "password": "guess-2"})
    assert checked == ["guess-1", "guess-2"]


def test_a_stranger_cannot_lock_a_person_out(client, app):
    """Five wrong passwords from one address make that address wait; does the person, from
    their own address, still sign in?"""
    sam = factories.make_user("tech", email="sam@example.com")
    for _ in range(app.config["LOGIN_THROTTLE_PER_ACCOUNT"]):
        client.post(
            "/login",
            data={"email": sam.email, "password": "wrong"},
            environ_base={"REMOTE_ADDR": "203.0.113.5"},
        )
    throttled = client.post(
        "/login",
        data={"email": sam.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.5"},
    )
    assert throttled.status_code == 429
    assert "Wait 30 seconds" in throttled.get_data(as_text=True)
    own = client.post(
        "/login",
        data={"email": sam.email, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert own.status_code == 302


def test_the_wait_grows_after_each_failure(app):
    config = app.config
    free = config["LOGIN_THROTTLE_PER_ACCOUNT"]
    delays = [auth_services.failure_delay(n, config) for n in range(free - 1, free + 8)]
    assert delays[0] is None
    seconds = [d.total_seconds() for d in delays[1:]]
    assert seconds[:4] == [30, 60, 120, 240]
    assert seconds == sorted(seconds) and seconds[-1] == config["LOGIN_THROTTLE_WINDOW"].seconds


def test_parallel_wrong_passwords_are_counted_one_by_one(live_app):
    """Thirty wrong passwords at once: are at most five checked before the throttle holds?"""
    app, url = live_app
    with app.app_context():
        sam = factories.make_user("tech", email="sam@example.com")
        email = sam.email
    statuses = run_parallel(
        30, lambda session: session.post(f"{url}/login", data={"email": email, "password": "no"})
    )
    with app.app_context():
        checked = db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt))
    assert checked == app.config["LOGIN_THROTTLE_PER_ACCOUNT"]
    assert statuses.count(401) == checked and statuses.count(429) == 30 - checked


def run_parallel(count: int, attempt) -> list[int]:
    """Start count requests at the same moment from as many threads; their statuses."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []

    def worker():
        with requests.Session() as session:
            barrier.wait()
            statuses.append(attempt(session).status_code)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_pages_fetched_at_once_after_sign_in_share_one_token(csrf_app):
    """A phone just signed in fetches its pages at once (the service worker too), each with
    the cookie the sign-in set: every page must carry a token the others' sessions accept."""
    user = factories.make_user("tech")
    client = csrf_app.test_client()
    client.post(
        "/login",
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "csrf_token": page_token(client),
        },
    )
    signed_in = client.get_cookie(csrf_app.config["SESSION_COOKIE_NAME"]).value
    tokens = []
    for path in ("/", "/sync"):  # each as the first request after the sign-in
        client.set_cookie(csrf_app.config["SESSION_COOKIE_NAME"], signed_in)
        tokens.append(page_token(client, path))
    client.set_cookie(csrf_app.config["SESSION_COOKIE_NAME"], signed_in)
    body = {"current_password": factories.PASSWORD, "new_password": "a-new-long-password"}
    answer = client.post("/api/v1/me/password", json=body, headers={"X-CSRFToken": tokens[0]})
    assert answer.status_code == 204
