"""Counting the SQL a request runs (for the tests that pages cost the same as data grows)."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from fieldapp.extensions import db


@contextmanager
def count_queries():
    """Collect every statement sent to the database inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
