"""No op can fail a batch: values beyond the database's limits, reused op ids and races are
each answered for that op alone, and the ops after them are applied."""

from __future__ import annotations

import uuid

import pytest
import requests
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.messages.models import Message
from fieldapp.sync.models import SyncOp
from fieldapp.visits.models import Visit
from tests import factories
from tests.auth.test_sessions import run_parallel
from tests.scenarios import complete_visit, make_site
from tests.sync.test_sync import count, op, sync


@pytest.fixture
def tech_client(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    return client


def message(site, body="Back tomorrow with the part.") -> dict:
    return op("message.post", {"id": str(uuid.uuid4()), "job": site.job.number, "body": body})


def bad_ops(site) -> dict[str, dict]:
    """One op per way a phone (or an attacker) can send what no column holds."""
    visit = complete_visit
    return {
        "job number over 2^63": op(
            "job.status", {"job": "J-92233720368547758080", "status": "done"}
        ),
        "meter of 10^19": op("visit.record", visit(site, meter_reading=10**19)),
        "step id of 10^20": op(
            "visit.record",
            visit(site, steps=[{"step": 10**20, "status": "done"}]),
        ),
        "year-1 date": op("visit.record", visit(site, started_at="0001-01-01T00:00:00+00:00")),
        "year-9999 date": op(
            "visit.start",
            {
                "id": str(uuid.uuid4()),
                "equipment": site.plotter.qr_token,
                "started_at": "9999-12-31T23:59:59+00:00",
            },
        ),
        "NUL byte": op(
            "message.post", {"id": str(uuid.uuid4()), "job": site.job.number, "body": "a\x00b"}
        ),
        "over-long make": op(
            "label.claim",
            {
                "token": "ABCDEFGH",
                "new_equipment": {
                    "customer_id": site.plotter.customer_id,
                    "make": "H" * 500,
                    "model": "T830",
                    "serial_number": "SN1",
                },
            },
        ),
        "float quantity": op(
            "visit.record", visit(site, parts=[{"sku": "CR357-67010", "quantity": 1.5}])
        ),
        "customer id over 2^31": op(
            "label.claim",
            {
                "token": "ABCDEFGH",
                "new_equipment": {
                    "customer_id": 2**40,
                    "make": "HP",
                    "model": "T830",
                    "serial_number": "SN2",
                },
            },
        ),
    }


def test_each_bad_op_is_rejected_alone_and_the_batch_goes_on(tech_client, site):
    """Is every out-of-range op rejected with a reason, and the op after it applied?"""
    for name, bad in bad_ops(site).items():
        after = message(site, f"After the {name}")
        results = sync(tech_client, bad, after)
        assert results[0]["status"] == "rejected", (name, results[0])
        assert results[0]["reason"], name
        assert results[1]["status"] == "applied", (name, results[1])
    assert count(Message) == len(bad_ops(site))
    assert count(Visit) == 0


def test_the_same_op_id_for_a_different_op_is_not_a_duplicate(tech_client, site):
    """Two different ops under one id: is the second refused, not answered "duplicate"
    as though it had been applied?"""
    op_id = uuid.uuid4()
    first = op(
        "message.post", {"id": str(uuid.uuid4()), "job": site.job.number, "body": "one"}, op_id
    )
    second = op(
        "message.post", {"id": str(uuid.uuid4()), "job": site.job.number, "body": "two"}, op_id
    )
    results = sync(tech_client, first, second)
    assert results[0]["status"] == "applied"
    assert results[1]["status"] == "rejected"
    assert "different change" in results[1]["reason"]
    assert [m.body for m in db.session.scalars(sa.select(Message))] == ["one"]
    assert sync(tech_client, first)[0]["status"] == "duplicate"
    assert db.session.get(SyncOp, op_id).result == "applied"


def test_a_fault_of_ours_rejects_the_op_and_keeps_the_batch(tech_client, site, monkeypatch):
    """An op that hits a bug: is it answered rejected (logged), not a 500 for the batch?"""
    from fieldapp.sync import services

    def broken(payload, user):
        raise RuntimeError("a bug")

    monkeypatch.setitem(services.HANDLERS, "job.status", broken)
    results = sync(
        tech_client, op("job.status", {"job": site.job.number, "status": "done"}), message(site)
    )
    assert results[0]["status"] == "rejected" and "could not apply" in results[0]["reason"]
    assert results[1]["status"] == "applied"


def test_one_visit_under_two_op_ids_at_once_is_applied_once(live_app):
    """The phone retried while the first request was still running: two op ids, one visit.
    Is it stored once, and both ops answered applied or duplicate (never a 500)?"""
    app, url = live_app
    with app.app_context():
        site = make_site()
        payload = complete_visit(site)
        email = site.tech.email

    def attempt(session: requests.Session):
        session.post(f"{url}/login", data={"email": email, "password": factories.PASSWORD})
        return session.post(f"{url}/api/v1/sync", json={"ops": [op("visit.record", payload)]})

    responses = []

    def record(session):
        response = attempt(session)
        responses.append(response)
        return response

    statuses = run_parallel(6, record)
    assert statuses == [200] * 6
    answers = sorted(r.json()["results"][0]["status"] for r in responses)
    assert answers == ["applied"] + ["duplicate"] * 5
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 1
