"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL when
FIELDAPP_TEST_DATABASE_URL is set), a client, a CLI runner and a sign-in helper."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from fieldapp import create_app
from fieldapp.extensions import db
from tests import factories

POSTGRES_URL = os.environ.get("FIELDAPP_TEST_DATABASE_URL", "").strip()


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def postgres_schema():
    """On PostgreSQL the schema is made once; each test then empties the tables."""
    if not POSTGRES_URL:
        yield None
        return
    app = create_app(_base_config(POSTGRES_URL, "/tmp/fieldapp-test-uploads"))
    with app.app_context():
        try:
            with db.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as exc:
            pytest.exit(f"FIELDAPP_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {exc}")
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
    yield POSTGRES_URL


def _base_config(url: str, upload_folder) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "UPLOAD_FOLDER": str(upload_folder),
        "WTF_CSRF_ENABLED": False,
        "PUBLIC_URL": "http://fieldapp.test",
    }


def make_test_app(tmp_path, postgres_schema, **overrides):
    url = postgres_schema or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    app = create_app({**_base_config(url, tmp_path / "uploads"), **overrides})
    with app.app_context():
        if postgres_schema:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            db.create_all()
    return app


@pytest.fixture
def app(tmp_path, postgres_schema):
    app = make_test_app(tmp_path, postgres_schema)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, role: str = "tech", **user_fields):
        """Create a user with this role (unless given one) and sign in as them."""
        user = user_fields.pop("user", None) or factories.make_user(role=role, **user_fields)
        response = self._client.post(
            "/login", data={"email": user.email, "password": factories.PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)
