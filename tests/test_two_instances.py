"""Two app instances (as two servers behind a load balancer) on one database and one S3
bucket: what a phone sends to one is what the other serves, and an outbox batch replayed to
the other instance is applied once."""

from __future__ import annotations

import uuid

import pytest
import requests
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.inventory.models import StockLevel, StockMovement
from fieldapp.photos.models import Photo
from fieldapp.visits.models import Visit
from tests import factories
from tests.conftest import make_test_app
from tests.live import LiveServer
from tests.s3 import s3_settings, use_test_credentials
from tests.scenarios import complete_visit, make_site


@pytest.fixture
def instances(tmp_path, postgres_schema, s3, monkeypatch):
    """Two apps made apart (two create_app calls), each served on its own port, sharing the
    test database and one bucket."""
    use_test_credentials(monkeypatch)
    settings = s3_settings(s3, s3.new_bucket())
    apps = [make_test_app(tmp_path, postgres_schema, **settings) for _ in range(2)]
    servers = [LiveServer(app).start() for app in apps]
    yield apps, [server.url for server in servers]
    for server in servers:
        server.stop()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_photo_sent_to_one_instance_is_served_by_the_other(instances):
    apps, (first, second) = instances
    assert apps[0] is not apps[1]
    with apps[0].app_context():
        email = factories.make_user("tech").email
    with requests.Session() as phone:
        signed_in = phone.post(
            f"{first}/login",
            data={"email": email, "password": factories.PASSWORD},
            allow_redirects=False,
        )
        assert signed_in.status_code == 302
        photo_id = uuid.uuid4()
        sent = phone.put(f"{first}/api/v1/photos/{photo_id}", data=factories.jpeg_bytes())
        assert sent.status_code == 201
        from_first = phone.get(f"{first}/photos/{photo_id}")
        from_second = phone.get(f"{second}/photos/{photo_id}")
        thumb = phone.get(f"{second}/photos/{photo_id}/thumb")
    assert from_second.status_code == 200 and thumb.status_code == 200
    assert from_second.content == from_first.content and len(from_second.content) > 1000
    assert from_second.headers["ETag"] == from_first.headers["ETag"]
    with apps[1].app_context():
        assert db.session.get(Photo, photo_id).size_bytes == len(from_second.content)
        db.session.remove()


def test_a_batch_replayed_to_the_other_instance_is_applied_once(instances):
    """The phone's answer from instance 1 was lost; it sends the same batch again and the load
    balancer gives it to instance 2: one visit, one stock movement, the van's stock down once."""
    apps, (first, second) = instances
    with apps[0].app_context():
        site = make_site()
        email, belt, van = site.tech.email, site.belt.id, site.van.id
        before = db.session.get(StockLevel, (belt, van)).quantity
        photo_id = uuid.uuid4()
        visit = complete_visit(
            site,
            photos=[str(photo_id)],
            parts=[{"sku": "CR357-67010", "quantity": 1, "from": "van"}],
        )
        movements = count(StockMovement)
        db.session.remove()
    batch = {"ops": [{"id": str(uuid.uuid4()), "type": "visit.record", "payload": visit}]}
    with requests.Session() as phone:
        phone.post(f"{first}/login", data={"email": email, "password": factories.PASSWORD})
        sent = phone.put(f"{first}/api/v1/photos/{photo_id}", data=factories.jpeg_bytes())
        assert sent.status_code == 201
        answers = [phone.post(f"{url}/api/v1/sync", json=batch) for url in (first, second)]
        shown = phone.get(f"{second}/photos/{photo_id}")
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["results"][0]["status"] for a in answers] == ["applied", "duplicate"]
    assert shown.status_code == 200
    with apps[1].app_context():
        assert count(Visit) == 1
        assert db.session.get(Photo, photo_id).visit_id == uuid.UUID(visit["id"])
        assert count(StockMovement) == movements + 1
        assert db.session.get(StockLevel, (belt, van)).quantity == before - 1
        db.session.remove()
