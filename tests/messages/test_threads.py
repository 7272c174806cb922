"""Job threads: techs and the office talk on each job, with photos, from pages and the API."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.extensions import db
from fieldapp.messages.models import Message
from fieldapp.messages.services import post_message
from fieldapp.photos.models import Photo
from tests import factories


@pytest.fixture
def job(app):
    sam = factories.make_user("tech", name="Sam Okafor")
    plotter = factories.make_equipment(factories.make_customer(name="Lakeshore Reprographics"))
    return factories.make_job(
        equipment=plotter, assigned_to_id=sam.id, status="scheduled", problem="87:11 again"
    )


@pytest.fixture
def sam(job):
    return job.assigned_to


def sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def test_tech_posts_from_the_phone_form_with_a_photo(client, job, sam, tmp_path):
    """The thread form is a plain POST (no JS): the message and its photo are stored, the
    form is marked for the offline outbox, and sending it twice posts it once."""
    sign_in(client, sam)
    page = client.get(f"/jobs/{job.id}/messages").get_data(as_text=True)
    assert f'data-message-form data-job="{job.number}"' in page
    assert 'name="body"' in page and "87:11 again" in page
    message_id = uuid.uuid4()
    form = {
        "id": str(message_id),
        "body": "Trailing cable is cracked at the fold",
        "photos": (io.BytesIO(factories.jpeg_bytes()), "cable.jpg"),
    }
    response = client.post(
        f"/jobs/{job.id}/messages", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    assert response.location == f"/jobs/{job.id}/messages#m-{message_id}"
    again = {"id": str(message_id), "body": "Trailing cable is cracked at the fold"}
    assert client.post(f"/jobs/{job.id}/messages", data=again).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 1
    photo = db.session.scalar(sa.select(Photo))
    assert photo.message_id == message_id and photo.uploaded_by_id == sam.id
    thread = client.get(f"/jobs/{job.id}/messages").get_data(as_text=True)
    assert "Trailing cable is cracked at the fold" in thread
    assert f"/photos/{photo.id}/thumb" in thread


def test_an_empty_message_is_explained_and_nothing_is_stored(client, job, sam):
    sign_in(client, sam)
    response = client.post(f"/jobs/{job.id}/messages", data={"body": "  "})
    assert response.status_code == 422
    assert "Write a message before sending." in response.get_data(as_text=True)
    bad_photo = {"body": "Photo", "photos": (io.BytesIO(b"not a photo"), "x.jpg")}
    response = client.post(
        f"/jobs/{job.id}/messages", data=bad_photo, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "not a photo we can read" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_tech_reads_only_threads_of_their_jobs(client, auth, job):
    auth.login("tech")
    assert client.get(f"/jobs/{job.id}/messages").status_code == 403
    assert client.post(f"/jobs/{job.id}/messages", data={"body": "Hi"}).status_code == 403
    assert client.get(f"/api/v1/jobs/{job.number}/messages").status_code == 403


def test_status_changes_and_visits_show_inline(client, auth, job, sam):
    """The thread mixes messages with what happened on the job, in time order."""
    office = factories.make_user("office", name="Maria Chen")
    post_message(job, office, "Can you be there before 11?")
    record_event(
        "visit.logged",
        "visit",
        uuid.uuid4(),
        "Sam logged fixed on the HP DesignJet T830: new trailing cable",
        actor_id=sam.id,
        job_id=job.id,
    )
    record_event(
        "message.posted", "message", "x", "duplicate of a message", actor_id=sam.id, job_id=job.id
    )
    db.session.commit()
    auth.login(user=office)
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert html.index("Can you be there before 11?") < html.index("new trailing cable")
    assert "Service report" in html
    assert "duplicate of a message" not in html


def test_unread_counts_in_the_navigation(client, auth, job, sam):
    """A message from the office shows as unread for the tech on Today's nav and job card,
    until the tech opens the thread (the page says so: fetching it is not reading it); the
    author never sees their own message as unread."""
    office = factories.make_user("office", name="Maria Chen")
    factories.committed(post_message, job, office, "Parts are on the shelf")
    factories.committed(post_message, job, office, "Gate code 4471")
    sign_in(client, sam)
    today = client.get("/").get_data(as_text=True)
    assert 'title="2 unread in job threads">2' in today
    assert f'href="/jobs/{job.id}/messages"' in today
    client.get(f"/jobs/{job.id}/messages")  # a cache filling itself does this too
    assert 'title="2 unread in job threads">2' in client.get("/").get_data(as_text=True)
    assert client.post(f"/api/v1/jobs/{job.number}/read", json={}).status_code == 204
    assert "unread in job threads" not in client.get("/").get_data(as_text=True)
    factories.committed(post_message, job, sam, "Thanks")
    auth.logout()
    auth.login(user=office)
    board = client.get("/jobs").get_data(as_text=True)
    assert 'title="1 unread in job threads">1' in board
    client.get(f"/jobs/{job.id}")
    assert 'title="1 unread in job threads">1' in client.get("/jobs").get_data(as_text=True)
    client.post(f"/jobs/{job.id}/messages/read", data={"from": "job"})
    assert "unread in job threads" not in client.get("/jobs").get_data(as_text=True)


# -- the API ------------------------------------------------------------------------------


def test_api_posts_once_per_client_id_and_reads_the_thread(client, job, sam):
    sign_in(client, sam)
    message_id = str(uuid.uuid4())
    photo_id = str(uuid.uuid4())
    assert client.put(f"/api/v1/photos/{photo_id}", data=factories.jpeg_bytes()).status_code == 201
    body = {"id": message_id, "body": "On site, starting now", "photos": [photo_id]}
    first = client.post(f"/api/v1/jobs/{job.number}/messages", json=body)
    assert first.status_code == 201, first.json
    assert first.json["duplicate"] is False and first.json["author"]["name"] == "Sam Okafor"
    assert first.json["photos"][0]["url"] == f"/photos/{photo_id}"
    again = client.post(f"/api/v1/jobs/{job.number}/messages", json=body)
    assert again.status_code == 200 and again.json["duplicate"] is True
    thread = client.get(f"/api/v1/jobs/{job.number}/messages")
    assert thread.status_code == 200
    assert [m["body"] for m in thread.json["messages"]] == ["On site, starting now"]
    assert thread.json["job"] == job.number


def test_api_errors_follow_the_error_format(client, auth, job, sam):
    sign_in(client, sam)
    url = f"/api/v1/jobs/{job.number}/messages"
    assert client.post(url, data="nope", content_type="application/json").status_code == 400
    invalid = client.post(url, json={"id": "not-a-uuid", "body": ""})
    assert invalid.status_code == 422
    assert set(invalid.json["error"]["fields"]) == {"id", "body"}
    missing = client.get("/api/v1/jobs/J-9999/messages")
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    client.post("/logout")
    assert client.get(url).status_code == 401


def test_office_reads_and_answers_every_thread(client, auth, job):
    auth.login("office")
    body = {"id": str(uuid.uuid4()), "body": "Customer says it's urgent"}
    assert client.post(f"/api/v1/jobs/{job.number}/messages", json=body).status_code == 201
    assert client.get(f"/jobs/{job.id}/messages").status_code == 200
