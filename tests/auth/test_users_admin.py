"""The admin's user pages: add, edit, deactivate, reset a password."""

from __future__ import annotations

from fieldapp.auth.services import find_user_by_email
from fieldapp.extensions import db
from tests import factories


def test_admin_adds_a_user_who_can_then_sign_in(client, auth):
    auth.login("admin")
    response = client.post(
        "/admin/users/new",
        data={
            "name": "Luis Ortega",
            "email": "Luis@Example.com",
            "role": "tech",
            "password": "a-long-password",
        },
    )
    assert response.status_code == 302
    assert "Luis Ortega" in client.get("/admin/users").get_data(as_text=True)
    auth.logout()
    response = client.post(
        "/login", data={"email": "luis@example.com", "password": "a-long-password"}
    )
    assert response.status_code == 302


def test_bad_new_user_shows_field_errors_and_saves_nothing(client, auth):
    auth.login("admin")
    response = client.post(
        "/admin/users/new",
        data={"name": "", "email": "not-an-email", "role": "boss", "password": "short"},
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter an email address" in html
    assert "Enter the person" in html
    assert find_user_by_email("not-an-email") is None


def test_duplicate_email_is_refused(client, auth):
    auth.login("admin")
    factories.make_user("tech", email="sam@example.com")
    response = client.post(
        "/admin/users/new",
        data={"name": "Sam 2", "email": "SAM@example.com", "role": "tech", "password": "x" * 12},
    )
    assert response.status_code == 409
    assert "already a user" in response.get_data(as_text=True)


def test_admin_edits_and_deactivates_a_user(client, auth):
    auth.login("admin")
    tech = factories.make_user("tech", email="sam@example.com")
    response = client.post(
        f"/admin/users/{tech.id}",
        data={"name": "Sam Okafor", "email": "sam@example.com", "role": "office", "phone": ""},
    )
    assert response.status_code == 302
    db.session.refresh(tech)
    assert tech.role == "office" and tech.active is False


def test_admin_cannot_demote_or_deactivate_themselves(client, auth):
    admin = auth.login("admin")
    response = client.post(
        f"/admin/users/{admin.id}",
        data={"name": admin.name, "email": admin.email, "role": "tech", "active": "on"},
    )
    assert response.status_code == 422
    db.session.refresh(admin)
    assert admin.role == "admin"


def test_admin_resets_a_password(client, auth):
    auth.login("admin")
    tech = factories.make_user("tech", email="sam@example.com")
    client.post(f"/admin/users/{tech.id}/password", data={"password": "brand-new-password"})
    db.session.refresh(tech)
    assert tech.check_password("brand-new-password")


def test_too_short_reset_is_refused(client, auth):
    auth.login("admin")
    tech = factories.make_user("tech", email="sam@example.com")
    response = client.post(
        f"/admin/users/{tech.id}/password", data={"password": "short"}, follow_redirects=True
    )
    assert "at least 10 characters" in response.get_data(as_text=True)
    db.session.refresh(tech)
    assert tech.check_password(factories.PASSWORD)


def test_office_cannot_post_to_admin_pages(client, auth):
    auth.login("office")
    response = client.post(
        "/admin/users/new",
        data={"name": "X", "email": "x@example.com", "role": "admin", "password": "x" * 12},
    )
    assert response.status_code == 403
    assert find_user_by_email("x@example.com") is None


def test_user_changes_own_password_from_more_page(client, auth):
    user = auth.login("tech")
    client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "new_password": "my-new-password!"},
    )
    db.session.refresh(user)
    assert user.check_password("my-new-password!")
