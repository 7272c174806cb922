"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL when
FIELDAPP_TEST_DATABASE_URL is set), a client, a CLI runner and a sign-in helper."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient

from fieldapp import create_app
from fieldapp.extensions import db
from tests import factories
from tests.live import LiveServer
from tests.s3 import S3Server

POSTGRES_URL = os.environ.get("FIELDAPP_TEST_DATABASE_URL", "").strip()


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def s3():
    """A real S3 endpoint (moto's server on 127.0.0.1), started once for the tests that keep
    files in a bucket; each takes a bucket of its own."""
    server = S3Server().start()
    yield server
    server.stop()


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
        db.engine.dispose()
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


_apps_made: list = []


@pytest.fixture(autouse=True)
def _dispose_engines():
    """Close every test app's pooled connections when its test ends."""
    yield
    while _apps_made:
        with _apps_made.pop().app_context():
            db.engine.dispose()


class RequestClient(FlaskClient):
    """A test client whose requests start as a real one does.

    Tests keep one app context open (so objects they make stay usable), and requests share
    it; what Flask-Login and Flask-WTF cache on `g` per request must not leak from one
    request, or one client, into the next.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            for cached in ("_login_user", "csrf_token"):
                g.pop(cached, None)
        return super().open(*args, **kwargs)


def make_test_app(tmp_path, postgres_schema, **overrides):
    if not postgres_schema:
        _new_sqlite_database(tmp_path / "test.sqlite3")
    url = postgres_schema or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    app = create_app({**_base_config(url, tmp_path / "uploads"), **overrides})
    app.test_client_class = RequestClient
    _apps_made.append(app)
    if postgres_schema:
        with app.app_context():
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return app


_sqlite_schema: list[Path] = []


def _new_sqlite_database(path: Path) -> None:
    """A new SQLite database with every table: a copy of one made once per run (creating the
    tables for each test was a good part of its setup). A second app on the same folder (two
    app instances on one database) shares the file already there."""
    if path.exists():
        return
    if not _sqlite_schema:
        folder = Path(tempfile.mkdtemp(prefix="fieldapp-schema-"))
        schema = folder / "schema.sqlite3"
        app = create_app(_base_config(f"sqlite:///{schema}", folder / "uploads"))
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        _sqlite_schema.append(schema)
    shutil.copyfile(_sqlite_schema[0], path)


@pytest.fixture
def app(tmp_path, postgres_schema):
    app = make_test_app(tmp_path, postgres_schema)
    with app.app_context():
        yield app
        db.session.remove()


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


@pytest.fixture
def empty_database_url(tmp_path, postgres_schema):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL database."""
    if not postgres_schema:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    name = f"fieldapp_migrations_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        postgres_schema.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = sa.engine.make_url(postgres_schema)
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def site(app):
    """A plotter on a scheduled job, its tech with a stocked van, the repair SOP and parts."""
    from tests.scenarios import make_site

    return make_site()


@pytest.fixture
def live_app(tmp_path, postgres_schema):
    """The app served over real HTTP on 127.0.0.1 (threaded), and its URL."""
    app = make_test_app(tmp_path, postgres_schema)
    server = LiveServer(app).start()
    yield app, server.url
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
