"""Web push to a subscription whose endpoint is an HTTP server made by the test: the payload
arrives encrypted (aes128gcm) and VAPID-signed, and decrypts with the subscription's own keys
to the expected notification; a 410 from the endpoint removes the subscription."""

from __future__ import annotations

import base64
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from fieldapp.config import ConfigError, ensure_vapid_key
from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.inventory.restock import ask_for_restock, pick_restock
from fieldapp.jobs.services import schedule_job
from fieldapp.notify.models import OutboxPush, PushSubscription
from fieldapp.notify.push import send_queued_pushes
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.push import Browser, PushEndpoint, b64
from tests.scenarios import make_site


@pytest.fixture
def endpoint():
    server = PushEndpoint()
    yield server
    server.stop()


def subscribe(client, user, browser):
    client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    response = client.post("/api/v1/push/subscriptions", json=browser.subscription())
    assert response.status_code == 204, response.get_data(as_text=True)
    client.post("/logout")


def test_a_job_assigned_reaches_the_techs_phone_encrypted_and_decrypts(app, client, endpoint):
    site = make_site()
    phone = Browser(endpoint.url + "sam-phone")
    subscribe(client, site.tech, phone)
    office = factories.make_user("office", name="Maria Chen")
    start = (utcnow() + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
    with unit_of_work():
        schedule_job(
            site.job,
            tech_id=site.tech.id,
            start=start,
            duration_minutes=None,
            arrival_window_minutes=60,
            actor_id=office.id,
        )
    assert endpoint.received == []  # queued with the change, sent by the worker
    assert send_queued_pushes().sent == 1
    [(headers, body)] = endpoint.received
    assert headers["Content-Encoding"] == "aes128gcm"
    assert headers["Authorization"].startswith("vapid t=")
    assert f"k={app.config['VAPID_PUBLIC_KEY']}" in headers["Authorization"]
    assert int(headers["TTL"]) > 0
    assert b"Halvorsen" not in body  # encrypted on the wire
    notice = phone.read(body)
    assert notice["title"] == f"{site.job.number}: Halvorsen Kline Architects"
    assert notice["body"].startswith("HP DesignJet T830 · ")
    assert notice["url"] == "/"
    assert send_queued_pushes().sent == 0  # once


def test_a_message_and_a_restock_reach_the_tech_and_a_request_the_office(client, endpoint, smtp):
    site = make_site()
    phone = Browser(endpoint.url + "sam-phone")
    subscribe(client, site.tech, phone)
    office = factories.make_user("office", name="Maria Chen")
    desk = Browser(endpoint.url + "maria-desk")
    subscribe(client, office, desk)

    client.post("/login", data={"email": office.email, "password": factories.PASSWORD})
    message = {"id": "1b9ba847-551b-4791-bc75-d3495972323a", "body": "Customer says it's urgent"}
    assert client.post(f"/api/v1/jobs/{site.job.number}/messages", json=message).status_code == 201
    client.post("/logout")
    with unit_of_work():
        asked, _ = ask_for_restock(
            {"id": uuid.uuid4(), "lines": [{"sku": site.belt.sku, "quantity": 2}]}, site.tech
        )
    factories.stock(site.belt, site.warehouse, 5)
    with unit_of_work():
        pick_restock(asked, {line.id: 2 for line in asked.lines}, actor=office)
    response = client.post(
        f"/e/{site.plotter.qr_token}/request",
        data={"name": "Dana", "phone": "630 555 0114", "problem": "Banding on every plot"},
    )
    assert response.status_code == 302

    assert send_queued_pushes().sent == 3
    bodies = [body for _, body in endpoint.received]
    sam = [phone.read(b) for p, b in zip(endpoint.paths, bodies, strict=True) if "sam" in p]
    maria = [desk.read(b) for p, b in zip(endpoint.paths, bodies, strict=True) if "maria" in p]
    assert [n["title"] for n in sam] == [
        f"Maria Chen on {site.job.number}",
        f"Restock {asked.reference} is on its way",
    ]
    assert sam[0]["body"] == "Customer says it's urgent"
    assert sam[0]["url"] == f"/jobs/{site.job.id}/messages"
    assert sam[1]["url"] == "/van"
    assert [n["url"] for n in maria] == ["/requests"]
    assert maria[0]["title"].startswith("New request SR-")


def test_a_410_removes_the_subscription(client, endpoint):
    site = make_site()
    old, new = Browser(endpoint.url + "old-phone"), Browser(endpoint.url + "new-phone")
    subscribe(client, site.tech, old)
    subscribe(client, site.tech, new)
    endpoint.status = 410
    office = factories.make_user("office")
    client.post("/login", data={"email": office.email, "password": factories.PASSWORD})
    message = {"id": "2b9ba847-551b-4791-bc75-d3495972323a", "body": "Parts are in"}
    client.post(f"/api/v1/jobs/{site.job.number}/messages", json=message)
    result = send_queued_pushes()
    assert result.removed == 2 and result.failed == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    db.session.expire_all()
    [push] = db.session.scalars(sa.select(OutboxPush))
    assert push.state == "failed" and "any more" in push.last_error
    # No browser takes pushes now: nothing more is queued for the tech.
    again = {**message, "id": str(uuid.uuid4())}
    assert client.post(f"/api/v1/jobs/{site.job.number}/messages", json=again).status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxPush)) == 1


def test_a_push_a_dead_worker_held_is_sent_later_and_a_broken_one_never_stops_the_rest(
    client, endpoint
):
    site = make_site()
    phone = Browser(endpoint.url + "sam-phone")
    subscribe(client, site.tech, phone)
    office = factories.make_user("office")
    client.post("/login", data={"email": office.email, "password": factories.PASSWORD})
    for body in ("First", "Second"):
        message = {"id": str(uuid.uuid4()), "body": body}
        client.post(f"/api/v1/jobs/{site.job.number}/messages", json=message)
    first, second = db.session.scalars(sa.select(OutboxPush).order_by(OutboxPush.id))
    with unit_of_work():  # a worker took the first and died
        first.state, first.claimed_at = "sending", utcnow() - timedelta(minutes=1)
    assert send_queued_pushes().sent == 1
    assert send_queued_pushes(now=utcnow() + timedelta(minutes=20)).sent == 1
    assert sorted(phone.read(body)["body"] for _, body in endpoint.received) == [
        "First",
        "Second",
    ]


def test_a_tech_who_turned_a_topic_off_gets_no_push(client, auth, endpoint):
    site = make_site()
    subscribe(client, site.tech, Browser(endpoint.url + "sam-phone"))
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    client.post("/account/notifications", data={"push": ["job_assigned", "restock_picked"]})
    client.post("/logout")
    auth.login("office")
    message = {"id": "3b9ba847-551b-4791-bc75-d3495972323a", "body": "Parts are in"}
    response = client.post(f"/api/v1/jobs/{site.job.number}/messages", json=message)
    assert response.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxPush)) == 0
    restock, _ = factories.committed(
        ask_for_restock,
        {"id": uuid.uuid4(), "lines": [{"sku": site.belt.sku, "quantity": 1}]},
        site.tech,
    )
    factories.stock(site.belt, site.warehouse, 2)
    with unit_of_work():
        pick_restock(restock, {line.id: 1 for line in restock.lines}, actor=site.tech)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxPush)) == 0


def test_subscriptions_are_checked_and_belong_to_their_user(client, auth, endpoint):
    site = make_site()
    browser = Browser(endpoint.url + "shared-tablet")
    auth.login("tech")
    bad = browser.subscription()
    for change in (
        {"endpoint": "ftp://push.example.com/x"},
        {"endpoint": "http://push.example.com/x"},  # plain http only to this machine
        {"keys": {"p256dh": "short", "auth": b64(browser.auth)}},
        {"keys": {"p256dh": "A" * 87, "auth": b64(browser.auth)}},  # not a point on P-256
        {"keys": {"p256dh": bad["keys"]["p256dh"], "auth": b64(b"x" * 15) + "AAAA"}},
        {"keys": {"p256dh": bad["keys"]["p256dh"], "auth": "not base64!"}},
        {"endpoint": "https://push.example.com/" + "x" * 1000},
    ):
        response = client.post("/api/v1/push/subscriptions", json={**bad, **change})
        assert response.status_code == 422, change
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    client.post("/logout")
    subscribe(client, site.tech, browser)
    # Someone else signs in on the same tablet and turns notifications on: it is theirs now.
    other = auth.login("office")
    assert client.post("/api/v1/push/subscriptions", json=browser.subscription()).status_code == 204
    [kept] = db.session.scalars(sa.select(PushSubscription))
    assert kept.user_id == other.id
    gone = client.delete("/api/v1/push/subscriptions", json={"endpoint": browser.endpoint})
    assert gone.status_code == 204
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0


def test_the_vapid_key_is_made_once_in_the_instance_folder_or_taken_from_the_environment(
    tmp_path,
):
    config = {"PUBLIC_URL": "https://service.example.com"}
    ensure_vapid_key(config, str(tmp_path))
    assert (tmp_path / "vapid_private.pem").stat().st_mode & 0o777 == 0o600
    again = {"PUBLIC_URL": "https://service.example.com"}
    ensure_vapid_key(again, str(tmp_path))
    assert again["VAPID_PUBLIC_KEY"] == config["VAPID_PUBLIC_KEY"]
    assert len(base64.urlsafe_b64decode(config["VAPID_PUBLIC_KEY"] + "=")) == 65
    assert config["VAPID_SUBJECT"] == "mailto:fieldapp@service.example.com"

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    given = {"PUBLIC_URL": "https://x.example", "VAPID_PRIVATE_KEY": pem}
    ensure_vapid_key(given, str(tmp_path / "elsewhere"))
    assert given["VAPID_PUBLIC_KEY"] != config["VAPID_PUBLIC_KEY"]
    assert not (tmp_path / "elsewhere").exists()
    with pytest.raises(ConfigError, match="not a PEM private key"):
        ensure_vapid_key({"PUBLIC_URL": "x", "VAPID_PRIVATE_KEY": "nonsense"}, str(tmp_path))
