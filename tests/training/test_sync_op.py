"""The `sop.signoff` outbox op, and what the offline pack tells the phone about sign-offs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.sops.models import SopTraining
from fieldapp.sync.models import SyncOp
from tests.training.conftest import publish, signed


def op(payload: dict, op_id=None) -> dict:
    return {"id": str(op_id or uuid.uuid4()), "type": "sop.signoff", "payload": payload}


def sync(client, *ops) -> list[dict]:
    response = client.post("/api/v1/sync", json={"ops": list(ops)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["results"]


def records() -> list[SopTraining]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SopTraining)))


@pytest.fixture
def belts(app):
    return publish("belts", "Carriage belt replacement")


def test_a_sign_off_made_offline_is_applied_with_the_phones_time(client, auth, belts):
    tech = auth.login("tech")
    at = datetime.now(UTC) - timedelta(hours=5)
    results = sync(client, op({"sop": "belts", "version": 1, "at": at.isoformat()}))
    assert results[0]["status"] == "applied"
    (record,) = records()
    assert (record.user_id, record.version_id) == (tech.id, belts.id)
    assert abs((record.signed_at - at).total_seconds()) < 1


def test_a_time_in_the_future_is_taken_as_now(client, auth, belts):
    auth.login("tech")
    later = datetime.now(UTC) + timedelta(days=3)
    sync(client, op({"sop": "belts", "version": 1, "at": later.isoformat()}))
    assert records()[0].signed_at <= datetime.now(UTC)


def test_the_same_op_sent_again_is_a_duplicate(client, auth, belts):
    auth.login("tech")
    same = op({"sop": "belts", "version": 1})
    assert sync(client, same)[0]["status"] == "applied"
    assert sync(client, same)[0]["status"] == "duplicate"
    assert len(records()) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncOp)) == 1


def test_a_second_sign_off_of_the_same_version_is_a_duplicate(client, auth, belts):
    """Signed on the page, then again offline under a new op id: still one sign-off."""
    tech = auth.login("tech")
    first = signed(tech, belts, days_ago=1)
    results = sync(client, op({"sop": "belts", "version": 1}))
    assert results[0]["status"] == "duplicate"
    (record,) = records()
    assert record.signed_at == first.signed_at


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sop": "belts", "version": 2}, "version"),
        ({"sop": "nothing-here", "version": 1}, "sop"),
        ({"sop": "belts", "version": 0}, "version"),
        ({"sop": "belts", "version": "1"}, "version"),
        ({"sop": "belts", "version": 2**40}, "version"),
        ({"sop": "", "version": 1}, "sop"),
        ({"sop": "b" * 500, "version": 1}, "sop"),
        ({"version": 1}, "sop"),
        ({"sop": "belts", "version": 1, "at": "0001-01-01T00:00:00+00:00"}, "at"),
    ],
)
def test_an_unknown_or_bad_version_is_rejected_and_changes_nothing(
    client, auth, belts, payload, field
):
    auth.login("tech")
    after = op({"sop": "belts", "version": 1})
    results = sync(client, op(payload), after)
    assert results[0]["status"] == "rejected"
    assert field in results[0]["fields"], results[0]
    assert results[0]["reason"]
    assert results[1]["status"] == "applied"  # the batch goes on
    assert len(records()) == 1


def test_the_office_cannot_sign_off_through_the_outbox(client, auth, belts):
    auth.login("office")
    results = sync(client, op({"sop": "belts", "version": 1}))
    assert results[0]["status"] == "rejected"
    assert "Only techs" in results[0]["reason"]
    assert records() == []


# --- the offline pack ----------------------------------------------------------------------------


def test_the_pack_names_what_the_tech_has_signed_and_the_version_pages(client, auth):
    belts_v1 = publish("belts", "Carriage belt replacement", "Release the tension")
    tech = auth.login("tech")
    signed(tech, belts_v1)
    publish("belts", "Carriage belt replacement", "Loosen the tensioner")
    pm = publish("pm", "Preventive maintenance")
    pack = client.get("/api/v1/pack").json
    assert pack["signed"] == {"belts": 1}  # v2 is out: the phone shows it as new to read
    assert {"/sops/belts/v2", "/sops/pm/v1"} <= set(pack["urls"])
    signed(tech, pm)
    assert client.get("/api/v1/pack").json["signed"] == {"belts": 1, "pm": 1}


def test_a_sign_off_changes_the_packs_etag(client, auth):
    """The phone refreshes with If-None-Match: a sign-off must not be answered 304."""
    belts = publish("belts", "Carriage belt replacement")
    tech = auth.login("tech")
    etag = client.get("/api/v1/pack").headers["ETag"]
    signed(tech, belts)
    assert client.get("/api/v1/pack", headers={"If-None-Match": etag}).status_code == 200
