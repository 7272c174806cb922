"""The transaction helpers on both databases: a savepoint is part of its unit of work (kept or
rolled back with it, whatever was or was not written before it), and a rehearsal keeps
nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldapp.customers.models import Customer
from fieldapp.extensions import db
from fieldapp.unit_of_work import rehearsal, savepoint, unit_of_work


def names() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(sa.select(Customer.name)))


class Refused(Exception):
    pass


def test_a_savepoint_as_the_first_write_is_rolled_back_with_its_unit_of_work(app):
    """On SQLite a SAVEPOINT before any write used to open a transaction of its own, which
    its RELEASE committed: the unit of work's rollback then kept the row."""
    with pytest.raises(Refused), unit_of_work():
        db.session.scalar(sa.select(sa.func.count()).select_from(Customer))  # a read first
        with savepoint():
            db.session.add(Customer(name="Kept only with its unit"))
            db.session.flush()
        raise Refused
    assert names() == []


def test_a_rehearsal_keeps_nothing_a_savepoint_wrote(app):
    with rehearsal():
        with savepoint():
            db.session.add(Customer(name="Only rehearsed"))
            db.session.flush()
        assert names() == ["Only rehearsed"]
    assert names() == []


def test_a_savepoint_that_raises_undoes_only_its_own_writes(app):
    with unit_of_work():
        db.session.add(Customer(name="Before"))
        db.session.flush()
        with pytest.raises(Refused), savepoint():
            db.session.add(Customer(name="Refused"))
            db.session.flush()
            raise Refused
        with savepoint():
            db.session.add(Customer(name="After"))
            db.session.flush()
    assert names() == ["After", "Before"]
