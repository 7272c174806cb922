"""Database engine set-up that depends on the dialect."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


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
