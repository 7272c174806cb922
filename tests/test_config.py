"""Configuration: secret keys, database URLs, SQLite pragmas."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from fieldapp import create_app
from fieldapp.config import ConfigError, normalise_database_url


def _app(tmp_path, **config):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite3'}",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            **config,
        }
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    """Does the app refuse to start in production without FIELDAPP_SECRET_KEY?"""
    monkeypatch.setenv("FIELDAPP_ENV", "production")
    monkeypatch.delenv("FIELDAPP_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="FIELDAPP_SECRET_KEY"):
        _app(tmp_path)


def test_production_uses_the_given_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDAPP_ENV", "production")
    monkeypatch.setenv("FIELDAPP_SECRET_KEY", "k" * 64)
    assert _app(tmp_path).config["SECRET_KEY"] == "k" * 64


def test_embedded_mode_generates_a_private_key_once(tmp_path, monkeypatch):
    """Is the embedded secret key generated once into instance/ with 0600 permissions?"""
    monkeypatch.delenv("FIELDAPP_SECRET_KEY", raising=False)
    monkeypatch.delenv("FIELDAPP_ENV", raising=False)
    from fieldapp.config import defaults, ensure_secret_key

    config = defaults(str(tmp_path))
    ensure_secret_key(config, str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    again = defaults(str(tmp_path))
    ensure_secret_key(again, str(tmp_path))
    assert config["SECRET_KEY"] == again["SECRET_KEY"]
    assert len(config["SECRET_KEY"]) >= 32


def test_environment_variables_configure_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDAPP_PUBLIC_URL", "https://service.example.com/")
    monkeypatch.setenv("FIELDAPP_MAX_UPLOAD_MB", "8")
    monkeypatch.setenv("FIELDAPP_UPLOAD_FOLDER", str(tmp_path / "up"))
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["PUBLIC_URL"] == "https://service.example.com"
    assert app.config["MAX_CONTENT_LENGTH"] == 8 * 1024 * 1024
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "up")


def test_bad_upload_limit_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FIELDAPP_MAX_UPLOAD_MB", "lots")
    with pytest.raises(ConfigError, match="FIELDAPP_MAX_UPLOAD_MB"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_postgres_urls_use_psycopg3(given, expected):
    assert normalise_database_url(given) == expected


def test_sqlite_has_foreign_keys_and_wal(tmp_path):
    """Are SQLite foreign keys on and the journal in WAL mode?"""
    from fieldapp.extensions import db

    app = _app(tmp_path, SECRET_KEY="x")
    with app.app_context(), db.engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
