"""Who gets which email: each office user picks their topics; every email's unsubscribe link
works without signing in (asking first, stopping on the button); the office may opt a
customer's contacts out. Also the SMTP settings, and "On my way" from the phone's outbox."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldapp.config import ConfigError, from_environment
from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db
from fieldapp.jobs.services import change_job_status, planned_today, schedule_job
from fieldapp.notify.models import MailOptOut, NotificationChoice, OutboxMail
from fieldapp.notify.sender import send_queued
from fieldapp.public.services import convert_request
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.mail import body_of
from tests.notify.test_mail import CONTACT, mails, request_service, schedule
from tests.scenarios import make_site


@pytest.fixture
def plotter(app):
    return factories.make_equipment(factories.make_customer(name="Riverwalk Print & Copy"))


def unsubscribe_path(message) -> str:
    return re.search(r"http://fieldapp\.test(/unsubscribe/\S+)", body_of(message))[1]


def test_an_office_user_turns_a_topic_off_and_on(client, auth, smtp, plotter):
    olivia = auth.login("office", email="olivia@precision.example")
    factories.make_user("admin", email="ahmed@precision.example")
    page = client.get("/account/notifications").get_data(as_text=True)
    # New requests by email and push; refused visits and negative stock by email.
    assert page.count('type="checkbox"') == 4 and page.count("checked") == 4
    response = client.post(
        "/account/notifications",
        data={"email": ["visit_refused", "negative_stock"], "push": ["new_request"]},
    )
    assert response.status_code == 302
    assert 'value="new_request" >' in client.get("/account/notifications").get_data(as_text=True)
    request_service(client, plotter, email="")
    assert [m.to for m in mails()] == ["ahmed@precision.example"]

    client.post("/account/notifications", data={"email": ["new_request"]})
    request_service(client, plotter, email="")
    assert olivia.email in [m.to for m in mails()]


def test_a_tech_chooses_push_topics_only(client, auth):
    tech = auth.login("tech")
    page = client.get("/account/notifications").get_data(as_text=True)
    assert page.count('type="checkbox"') == 3 and 'name="email"' not in page
    assert "Jobs given to me or moved" in page and "New service requests" not in page
    client.post("/account/notifications", data={"push": ["job_assigned"], "email": ["x"]})
    stored = {c.topic: (c.email, c.push) for c in db.session.scalars(sa.select(NotificationChoice))}
    assert stored == {"job_message": (True, False), "restock_picked": (True, False)}
    assert all(c.user_id == tech.id for c in db.session.scalars(sa.select(NotificationChoice)))


def test_a_customer_unsubscribes_without_signing_in(client, auth, smtp, plotter):
    request_service(client, plotter)
    send_queued()
    [message] = smtp.to("carlos@riverwalk.example")
    path = unsubscribe_path(message)

    page = client.get(path)  # a mail scanner may open the link: that alone stops nothing
    assert page.status_code == 200 and "Stop these emails?" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailOptOut)) == 0
    done = client.post(path).get_data(as_text=True)
    assert "You will get no more of these emails" in done
    assert db.session.get(MailOptOut, "carlos@riverwalk.example") is not None

    plotter.customer.email = "carlos@riverwalk.example"
    db.session.commit()
    auth.login("office")
    customer_page = client.get(f"/customers/{plotter.customer_id}").get_data(as_text=True)
    assert "carlos@riverwalk.example unsubscribed from our emails" in customer_page
    client.post("/logout")
    request_service(client, plotter, email="Carlos@Riverwalk.example")
    latest = [m for m in mails() if m.to.lower() == "carlos@riverwalk.example"][-1]
    assert latest.state == "skipped" and latest.last_error == "The address unsubscribed."
    send_queued()
    assert len(smtp.to("carlos@riverwalk.example")) == 1
    assert client.get("/unsubscribe/not-a-real-token").status_code == 404
    assert client.post("/unsubscribe/" + "x" * 43).status_code == 404


def test_an_office_user_unsubscribes_from_one_topic(client, smtp, plotter):
    office = factories.make_user("office", email="olivia@precision.example")
    request_service(client, plotter, email="")
    send_queued()
    path = unsubscribe_path(smtp.to(office.email)[0])
    asked = client.get(path).get_data(as_text=True)
    assert "Stop all emails about “New service requests”" in asked
    client.post(path)
    again = client.get(path).get_data(as_text=True)  # the link opened again: it is done
    assert "You will get no more of these emails" in again
    assert "Emails about “New service requests” are off" in again
    choice = db.session.get(NotificationChoice, (office.id, "new_request"))
    assert choice is not None and choice.email is False
    request_service(client, plotter, email="")
    assert len(mails()) == 1


def test_the_smtp_settings_come_from_the_environment():
    found = from_environment(
        {
            "FIELDAPP_SMTP_HOST": "smtp.example.com",
            "FIELDAPP_SMTP_PORT": "587",
            "FIELDAPP_SMTP_USER": "fieldapp",
            "FIELDAPP_SMTP_PASSWORD": "s3cret",
            "FIELDAPP_SMTP_TLS": "starttls",
            "FIELDAPP_MAIL_FROM": "service@example.com",
        }
    )
    assert found["MAIL_SERVER"] == "smtp.example.com" and found["MAIL_PORT"] == 587
    assert (found["MAIL_USERNAME"], found["MAIL_PASSWORD"]) == ("fieldapp", "s3cret")
    assert (found["MAIL_USE_TLS"], found["MAIL_USE_SSL"]) == (True, False)
    assert found["MAIL_DEFAULT_SENDER"] == "service@example.com"
    ssl = from_environment({"FIELDAPP_SMTP_TLS": "ssl"})
    assert (ssl["MAIL_USE_TLS"], ssl["MAIL_USE_SSL"]) == (False, True)
    with pytest.raises(ConfigError, match="SMTP_TLS must be one of none, starttls, ssl"):
        from_environment({"FIELDAPP_SMTP_TLS": "tls"})
    with pytest.raises(ConfigError, match="SMTP_PORT must be a whole number"):
        from_environment({"FIELDAPP_SMTP_PORT": "smtp"})


def test_on_my_way_from_the_phones_outbox_reaches_the_status_page_and_the_customer(client, smtp):
    site = make_site()
    site.plotter.customer.email = CONTACT
    db.session.commit()
    start = utcnow().replace(microsecond=0)  # today's visit, whatever the hour
    with unit_of_work():
        schedule_job(
            site.job,
            tech_id=site.tech.id,
            start=start,
            duration_minutes=None,
            arrival_window_minutes=60,
            actor_id=None,
        )
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    op = {
        "id": str(uuid.uuid4()),
        "type": "job.on_the_way",
        "payload": {"job": site.job.number, "at": utcnow().isoformat()},
    }
    again = {**op, "id": str(uuid.uuid4())}  # tapped twice before the phone had signal
    results = client.post("/api/v1/sync", json={"ops": [op, again]}).get_json()["results"]
    assert [r["status"] for r in results] == ["applied", "duplicate"]
    db.session.expire_all()
    assert site.job.on_the_way_at is not None
    assert [m.topic for m in mails()] == ["on_the_way"]  # (a visit planned now: no schedule mail)
    today = client.get("/").get_data(as_text=True)
    assert "On the way since" in today and "data-on-the-way " not in today

    # Rescheduled: nobody is on the way to the new time yet.
    with unit_of_work():
        schedule_job(
            site.job,
            tech_id=site.tech.id,
            start=start + timedelta(days=1),
            duration_minutes=None,
            arrival_window_minutes=60,
            actor_id=None,
        )
    assert site.job.on_the_way_at is None
    assert "On the way since" not in client.get("/").get_data(as_text=True)


def test_on_my_way_is_for_a_scheduled_job_of_ones_own(client, smtp):
    site = make_site()
    other = factories.make_user("tech", name="Priya Natarajan")
    client.post("/login", data={"email": other.email, "password": factories.PASSWORD})
    op = {"id": str(uuid.uuid4()), "type": "job.on_the_way", "payload": {"job": site.job.number}}
    [result] = client.post("/api/v1/sync", json={"ops": [op]}).get_json()["results"]
    assert result["status"] == "rejected" and "assigned to Sam Okafor" in result["reason"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMail)) == 0
    bad = {"id": str(uuid.uuid4()), "type": "job.on_the_way", "payload": {"job": ""}}
    [result] = client.post("/api/v1/sync", json={"ops": [bad]}).get_json()["results"]
    assert result["status"] == "rejected"


def test_the_status_page_shows_the_tech_on_the_way(client, smtp, plotter):
    sent = request_service(client, plotter)
    tech = factories.make_user("tech", name="Priya Natarajan")
    office = factories.make_user("office")
    with unit_of_work():
        job = convert_request(sent, actor_id=office.id)
        schedule_job(
            job,
            tech_id=tech.id,
            start=utcnow().replace(microsecond=0),
            duration_minutes=None,
            arrival_window_minutes=60,
            actor_id=office.id,
        )
    client.post("/login", data={"email": tech.email, "password": factories.PASSWORD})
    client.post(f"/jobs/{job.id}/on-the-way")
    page = client.get(f"/r/{sent.status_token}").get_data(as_text=True)
    assert 'data-stage="on_the_way"' in page and "Your technician is on the way" in page
    assert "Priya set off at" in page
    # The visit started: the page says the tech is on site, not on the way.
    with unit_of_work():
        change_job_status(job, "in_progress", actor_id=tech.id)
    assert job.on_the_way_at is None
    assert 'data-stage="on_site"' in client.get(f"/r/{sent.status_token}").get_data(as_text=True)


def test_on_my_way_is_for_todays_visit_and_an_old_tap_is_not_news(client, smtp):
    site = make_site()
    site.plotter.customer.email = CONTACT
    db.session.commit()
    schedule(site.job, site.tech, days=2)
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    op = {"id": str(uuid.uuid4()), "type": "job.on_the_way", "payload": {"job": site.job.number}}
    [result] = client.post("/api/v1/sync", json={"ops": [op]}).get_json()["results"]
    assert result["status"] == "rejected" and "is for today's visits" in result["reason"]
    assert "data-on-the-way " not in client.get("/").get_data(as_text=True)  # not offered

    now = utcnow().replace(microsecond=0)
    with unit_of_work():
        site.job.scheduled_for = now
    # Tapped three hours ago with no signal since: the job shows it, the customer is not
    # told (it is no longer news); before 3 a.m. that tap was yesterday, and is refused.
    tapped = now - timedelta(hours=3)
    late = {
        "id": str(uuid.uuid4()),
        "type": "job.on_the_way",
        "payload": {"job": site.job.number, "at": tapped.isoformat()},
    }
    [result] = client.post("/api/v1/sync", json={"ops": [late]}).get_json()["results"]
    db.session.expire_all()
    if planned_today(site.job, tapped):
        assert result["status"] == "applied" and site.job.on_the_way_at == tapped
    else:
        assert result["status"] == "rejected" and site.job.on_the_way_at is None
    assert [m.topic for m in mails()] == ["visit_scheduled"]  # no "on the way"
