"""POST /api/v1/sync: each op applied once, in its own transaction, with a per-op answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.inventory.models import StockMovement
from fieldapp.messages.models import Message
from fieldapp.sops.services import StepText, publish_sop_version
from fieldapp.sync.models import SyncOp
from fieldapp.visits.models import Visit
from tests import factories
from tests.scenarios import complete_visit


@pytest.fixture
def tech_client(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    return client


def op(type_: str, payload: dict, op_id=None) -> dict:
    return {"id": str(op_id or uuid.uuid4()), "type": type_, "payload": payload}


def sync(client, *ops):
    response = client.post("/api/v1/sync", json={"ops": list(ops)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_batch_is_applied_in_order_with_one_result_per_op(tech_client, site):
    visit = complete_visit(site)
    start = op(
        "visit.start",
        {
            "id": visit["id"],
            "equipment": site.plotter.qr_token,
            "job": site.job.number,
            "sop": site.version.sop.slug,
            "started_at": visit["started_at"],
        },
    )
    record = op("visit.record", visit)
    message = op(
        "message.post",
        {"id": str(uuid.uuid4()), "job": site.job.number, "body": "Belt replaced, all good."},
    )
    results = sync(tech_client, start, record, message)
    assert [r["id"] for r in results] == [start["id"], record["id"], message["id"]]
    assert [r["status"] for r in results] == ["applied", "applied", "applied"]
    stored = db.session.get(Visit, uuid.UUID(visit["id"]))
    assert stored.status == "finished" and stored.source == "sync"
    db.session.refresh(site.job)
    assert site.job.status == "done"
    assert count(SyncOp) == 3 and count(Message) == 1


def test_the_same_batch_twice_reports_duplicates_and_changes_nothing(tech_client, site):
    ops = [
        op("visit.record", complete_visit(site)),
        op("message.post", {"id": str(uuid.uuid4()), "job": site.job.number, "body": "Hi"}),
    ]
    assert [r["status"] for r in sync(tech_client, *ops)] == ["applied", "applied"]
    before = (count(Visit), count(StockMovement), count(Message), count(SyncOp))
    assert [r["status"] for r in sync(tech_client, *ops)] == ["duplicate", "duplicate"]
    assert (count(Visit), count(StockMovement), count(Message), count(SyncOp)) == before


def test_a_visit_resent_under_a_new_op_id_is_still_one_visit(tech_client, site):
    """After a lost answer the phone may resend the visit as a new op: still one visit."""
    visit = complete_visit(site)
    assert sync(tech_client, op("visit.record", visit))[0]["status"] == "applied"
    assert sync(tech_client, op("visit.record", visit))[0]["status"] == "duplicate"
    assert count(Visit) == 1
    assert count(StockMovement) == 2 + 3  # two uses + the three receipts of the fixture


def test_a_bad_op_is_rejected_without_failing_the_batch(tech_client, site):
    good = op("visit.record", complete_visit(site))
    unknown_plotter = op("visit.record", complete_visit(site, equipment="ZZZZZZZZ"))
    unknown_type = op("coffee.make", {})
    results = sync(tech_client, unknown_plotter, unknown_type, good)
    assert [r["status"] for r in results] == ["rejected", "rejected", "applied"]
    assert "No plotter has that label" in results[0]["reason"]
    assert "Unknown operation" in results[1]["reason"]
    assert count(Visit) == 1


def test_a_visit_for_a_plotter_not_in_the_pack_resolves_by_token(tech_client, site):
    """Is a visit naming a scanned token resolved to its plotter at sync?"""
    other = factories.make_equipment(model="imagePROGRAF TM-300", make="Canon")
    visit = complete_visit(site, equipment=other.short_code.lower(), job=None)
    assert sync(tech_client, op("visit.record", visit))[0]["status"] == "applied"
    assert db.session.get(Visit, uuid.UUID(visit["id"])).equipment_id == other.id


def test_status_change_on_a_cancelled_job_is_rejected_and_the_visit_kept(tech_client, site):
    visit = complete_visit(site, job=site.job.number)
    site.job.status = "cancelled"
    db.session.commit()
    results = sync(
        tech_client,
        op(
            "job.status",
            {"job": site.job.number, "status": "in_progress", "at": datetime.now(UTC).isoformat()},
        ),
        op("visit.record", visit),
    )
    assert results[0]["status"] == "rejected"
    assert "cancelled" in results[0]["reason"]
    assert results[1]["status"] == "applied"
    assert db.session.get(Visit, uuid.UUID(visit["id"])) is not None
    db.session.refresh(site.job)
    assert site.job.status == "cancelled"


def test_a_tech_cannot_change_another_techs_job(tech_client, site):
    other_job = factories.make_job(assigned_to_id=factories.make_user("tech").id)
    result = sync(tech_client, op("job.status", {"job": other_job.number, "status": "cancelled"}))
    assert result[0]["status"] == "rejected" and "not to you" in result[0]["reason"]
    db.session.refresh(other_job)
    assert other_job.status == "new"


def test_ops_are_authorised_as_the_session_user(client, site):
    """Can a tech write a visit as another tech through sync? (The tech is never a field.)"""
    other = factories.make_user("tech")
    client.post("/login", data={"email": other.email, "password": factories.PASSWORD})
    visit = complete_visit(site, tech=site.tech.id, parts=[], job=None)
    result = sync(client, op("visit.record", visit))[0]
    assert result["status"] == "rejected" and "tech" in result["fields"]
    visit.pop("tech")
    assert sync(client, op("visit.record", visit))[0]["status"] == "applied"
    assert db.session.get(Visit, uuid.UUID(visit["id"])).tech_id == other.id


def test_someone_elses_op_id_is_refused(client, site, auth):
    op_id = uuid.uuid4()
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    sync(
        client,
        op(
            "message.post",
            {"id": str(uuid.uuid4()), "job": site.job.number, "body": "first"},
            op_id,
        ),
    )
    auth.logout()
    office = auth.login("office")
    result = sync(
        client,
        op(
            "message.post",
            {"id": str(uuid.uuid4()), "job": site.job.number, "body": "second"},
            op_id,
        ),
    )[0]
    assert result["status"] == "rejected"
    assert office.id != site.tech.id and count(Message) == 1


def test_a_rejected_op_is_tried_again_when_resent(tech_client, site):
    """Is a rejected op re-evaluated on retry (the reason may be gone by then)?"""
    plotter = factories.make_equipment()
    job = factories.make_job(equipment=plotter, assigned_to_id=site.tech.id, status="done")
    status = op("job.status", {"job": job.number, "status": "in_progress"})
    assert sync(tech_client, status)[0]["status"] == "rejected"
    job.status = "scheduled"
    db.session.commit()
    assert sync(tech_client, status)[0]["status"] == "applied"


@pytest.mark.parametrize(
    "body",
    [
        {"ops": "not a list"},
        {"nope": []},
        {"ops": [{"id": "x", "type": "visit.record"}]},
        {"ops": [{"type": "visit.record", "payload": {}}]},
    ],
)
def test_a_malformed_envelope_is_a_400(tech_client, site, body):
    response = tech_client.post("/api/v1/sync", json=body)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert count(SyncOp) == 0


def test_not_json_is_a_400(tech_client, site):
    assert tech_client.post("/api/v1/sync", data="x", content_type="text/plain").status_code == 400


def test_label_claim_op(tech_client, site):
    from fieldapp.equipment.services import issue_unclaimed_labels, resolve_code

    token = issue_unclaimed_labels(1, actor_id=None)[0].token
    claim = op("label.claim", {"token": token, "equipment_id": site.plotter.id})
    assert sync(tech_client, claim)[0]["status"] == "applied"
    assert resolve_code(token).equipment.id == site.plotter.id
    again = op("label.claim", {"token": token, "equipment_id": site.plotter.id})
    assert sync(tech_client, again)[0]["status"] == "duplicate"


def test_sync_needs_sign_in(client):
    assert client.post("/api/v1/sync", json={"ops": []}).status_code == 401


def test_a_visit_started_offline_keeps_the_version_the_phone_showed(tech_client, site):
    """The phone started on version 1; version 2 was published before the start reached the
    server: the visit is started (and kept) with version 1, never moved to 2 in between."""
    sop = site.version.sop
    publish_sop_version(
        sop.slug,
        title=sop.title,
        category=sop.category,
        summary=sop.summary,
        steps=[StepText("A step added in version 2", "", "check")],
        change_note="Version 2",
        author_id=None,
    )
    visit_id = str(uuid.uuid4())
    start = op(
        "visit.start",
        {
            "id": visit_id,
            "equipment": site.plotter.qr_token,
            "sop": sop.slug,
            "version": 1,
            "started_at": datetime.now(UTC).isoformat(),
        },
    )
    unknown = op(
        "visit.start",
        {
            "id": str(uuid.uuid4()),
            "equipment": site.plotter.qr_token,
            "sop": sop.slug,
            "version": 9,
            "started_at": datetime.now(UTC).isoformat(),
        },
    )
    results = sync(tech_client, start, unknown)
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert "version 9" in results[1]["reason"] or "version 9" in str(results[1])
    stored = db.session.get(Visit, uuid.UUID(visit_id))
    assert stored.sop_version_id == site.version.id and site.version.number == 1
