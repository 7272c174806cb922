"""The training matrix costs the same number of queries for 5 techs and SOPs as for 50."""

from __future__ import annotations

from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.sops.models import SopTraining
from tests import factories
from tests.sql import count_queries
from tests.training.conftest import publish

PATHS = [
    "/training",
    "/training?state=outdated",
    "/training.csv",
    "/api/v1/training",
    "/api/v1/training?state=current",
]


def grow(size: int, trainer, start: int) -> None:
    """size more techs and SOPs (half in two versions), with every kind of cell: current,
    outdated, never, observed. The records are added directly: only reading is counted."""
    techs = [factories.make_user("tech") for _ in range(size)]
    records = []
    for n in range(start, start + size):
        first = publish(f"sop-{n}", f"Procedure {n}", "First step")
        records += [
            SopTraining(user_id=tech.id, version_id=first.id, signed_at=utcnow())
            for i, tech in enumerate(techs)
            if i % 3 == 0
        ]
        if n % 2:
            second = publish(f"sop-{n}", f"Procedure {n}", "First step, reworded")
            records += [
                SopTraining(
                    user_id=tech.id,
                    version_id=second.id,
                    signed_at=utcnow() if i % 3 == 1 else None,
                    observed_at=utcnow() if i % 3 == 1 or i % 5 == 0 else None,
                    observed_by_id=trainer.id,
                )
                for i, tech in enumerate(techs)
                if i % 3 == 1 or i % 5 == 0
            ]
    db.session.add_all(records)
    db.session.commit()


def counts(client) -> dict[str, int]:
    found = {}
    for path in PATHS:
        db.session.expire_all()
        with count_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        found[path] = len(statements)
    return found


def test_the_matrix_queries_do_not_grow_with_techs_and_sops(client, auth):
    trainer = auth.login("office")
    grow(5, trainer, 0)
    small = counts(client)
    grow(45, trainer, 5)
    large = counts(client)
    assert large == small
    assert len(client.get("/api/v1/training").json["rows"]) == 50 * 50
