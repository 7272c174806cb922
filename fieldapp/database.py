"""Database set-up and statements that differ by dialect."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine

from fieldapp.extensions import db

_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


def configure_sqlite(engine: Engine) -> None:
    """SQLite: foreign keys on and WAL journaling on every connection (no-op on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # WAL lets the office read while a tech's sync writes; in-memory databases ignore it.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()


def upsert(table: sa.Table):
    """INSERT ... ON CONFLICT for this database (SQLite and PostgreSQL spell it the same)."""
    return _INSERTS[db.session.get_bind().dialect.name](table)
