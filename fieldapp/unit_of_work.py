"""The one transaction convention: services flush; this module commits or rolls back.

Every write of a request, a CLI command or one sync op runs inside ``unit_of_work()``: the
block's changes are committed together, or all rolled back if it raises. Nothing else in the
app calls ``commit`` or ``rollback`` (a test holds this), and a GET request that tries to
write is refused at the flush, so a cache or a prefetch can never change data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Session

from fieldapp.extensions import db

T = TypeVar("T")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteInSafeRequest(RuntimeError):
    """A GET (or HEAD) request tried to change the database."""


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block did, or roll all of it back if it raises."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def rehearsal() -> Iterator[None]:
    """Run the block as a unit of work would, then roll all of it back: a dry run that shows
    what a change would do by doing it through the same services, and keeps none of it.
    It rolls back the whole session, so it must start with nothing pending."""
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("A rehearsal must start with nothing pending: it would undo it.")
    try:
        yield
    finally:
        db.session.rollback()


@contextmanager
def savepoint() -> Iterator[None]:
    """A nested transaction: what the block wrote is rolled back alone if it raises, and
    kept for the unit of work otherwise. SQLite's driver opens no transaction before the
    first write, and there a SAVEPOINT would open one that its RELEASE commits at once:
    the transaction is opened first (taking the write lock the block is about to need)."""
    connection = db.session.connection()
    driver = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    with db.session.begin_nested():
        yield


def in_unit_of_work(work: Callable[[], T]) -> T:
    """Run work in one unit of work. If it loses a race on a unique key (the same photo,
    visit or op sent twice at once), it runs once more: the second run finds the row the
    winner wrote and answers as for a resend."""
    try:
        with unit_of_work():
            return work()
    except sa.exc.IntegrityError:
        with unit_of_work():
            return work()


def roll_back() -> None:
    """End a failed request's transaction (the error handlers call this before rendering)."""
    db.session.rollback()


@sa.event.listens_for(Session, "before_flush")
def _refuse_writes_in_safe_requests(session: Session, _context, _instances) -> None:
    if not (has_request_context() and request.method in SAFE_METHODS):
        return
    changed = session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    if changed:
        raise WriteInSafeRequest(f"{request.method} {request.path} tried to write to the database")
