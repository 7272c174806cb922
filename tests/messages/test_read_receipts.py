"""Reading job threads: who has seen each message, and marking a thread read from its page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.extensions import db
from fieldapp.messages.models import Message, ThreadRead
from fieldapp.messages.queries import job_thread, unread_total
from fieldapp.messages.services import mark_read
from tests import factories
from tests.sql import count_queries

T0 = datetime.now(UTC).replace(microsecond=123456) - timedelta(hours=2)


@pytest.fixture
def people(app):
    """A job of Sam's, two office people, and another tech with a job of their own."""
    sam = factories.make_user("tech", name="Sam Okafor")
    other_tech = factories.make_user("tech", name="Lee Park")
    plotter = factories.make_equipment(factories.make_customer(name="Lakeshore Reprographics"))
    job = factories.make_job(
        equipment=plotter, assigned_to_id=sam.id, status="scheduled", problem="87:11 again"
    )
    other_job = factories.make_job(assigned_to_id=other_tech.id, status="scheduled")
    return {
        "sam": sam,
        "other_tech": other_tech,
        "maria": factories.make_user("office", name="Maria Chen"),
        "ana": factories.make_user("office", name="Ana Ruiz"),
        "job": job,
        "other_job": other_job,
    }


def add_message(job, author, body: str, at: datetime) -> Message:
    message = Message(id=uuid.uuid4(), job_id=job.id, author_id=author.id, body=body, created_at=at)
    db.session.add(message)
    db.session.commit()
    return message


def read_up_to(job, user, at: datetime) -> None:
    mark_read(job.id, user.id, at)
    db.session.commit()


def seen_names(thread) -> dict[str, list[str]]:
    return {
        entry.message.body: [reader.user.name for reader in entry.seen_by]
        for entry in thread.entries
        if entry.kind == "message"
    }


def test_a_message_is_seen_by_whoever_read_at_or_past_it_but_its_author(people):
    """A read marker exactly at a message's time has seen it; one before it has not; the
    author is never listed as having seen their own message."""
    job, sam, maria, ana = people["job"], people["sam"], people["maria"], people["ana"]
    add_message(job, maria, "Gate code 4471", T0)
    add_message(job, maria, "Parts are on the shelf", T0 + timedelta(minutes=5))
    add_message(job, sam, "On site", T0 + timedelta(minutes=10))
    read_up_to(job, sam, T0)  # Sam saw the first message only (his post moves it on later)
    read_up_to(job, ana, T0 + timedelta(minutes=10))
    read_up_to(job, maria, T0 + timedelta(minutes=5))  # her own posts, then nothing more

    assert seen_names(job_thread(job)) == {
        "Gate code 4471": ["Sam Okafor", "Ana Ruiz"],
        "Parts are on the shelf": ["Ana Ruiz"],
        "On site": ["Ana Ruiz"],
    }


def test_read_markers_on_other_jobs_do_not_count(people):
    """Another thread's reader never shows up on this one."""
    job, maria = people["job"], people["maria"]
    add_message(job, maria, "Gate code 4471", T0)
    read_up_to(people["other_job"], people["other_tech"], T0 + timedelta(hours=1))
    assert seen_names(job_thread(job)) == {"Gate code 4471": []}
    assert job_thread(job).newest_message_at == T0


def test_the_office_sees_who_has_read_each_message_on_the_job_page(client, auth, people):
    """Under each message: who else has read it, with how far they read on hover; the viewer
    is not listed (they know), and an unread message says nothing."""
    job, sam, maria, ana = people["job"], people["sam"], people["maria"], people["ana"]
    add_message(job, maria, "Gate code 4471", T0)
    add_message(job, maria, "Parts are on the shelf", T0 + timedelta(minutes=5))
    read_up_to(job, sam, T0)
    read_up_to(job, ana, T0 + timedelta(minutes=5))
    auth.login(user=maria)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    first, second = page.split('id="m-')[1:3]
    assert "Seen by <span" in first and ">Sam Okafor</span>, <span" in first
    assert ">Ana Ruiz</span>" in first
    assert 'title="Sam Okafor has read the thread up to ' in first
    assert ">Sam Okafor</span>" not in second and ">Ana Ruiz</span>" in second
    assert ">Maria Chen</span>" not in page  # the author, and the viewer

    auth.logout()
    auth.login(user=ana)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert ">Ana Ruiz</span>" not in page and ">Sam Okafor</span>" in page


def test_a_tech_sees_who_has_read_on_their_thread_page(client, auth, people):
    """The tech's own thread page shows the same line (the office's names, nothing more)."""
    job, sam, maria = people["job"], people["sam"], people["maria"]
    add_message(job, sam, "Trailing cable cracked", T0)
    read_up_to(job, maria, T0 + timedelta(minutes=1))
    read_up_to(job, people["other_tech"], T0 + timedelta(minutes=1))  # not in this thread now
    read_up_to(people["other_job"], people["ana"], T0 + timedelta(minutes=1))
    auth.login(user=sam)
    page = client.get(f"/jobs/{job.id}/messages").get_data(as_text=True)
    assert "Seen by <span" in page and ">Maria Chen</span>" in page
    assert "Ana Ruiz" not in page


def test_opening_the_page_reads_nothing_until_the_page_says_so(client, auth, people):
    """Fetching the thread page or the job page (as a cache filling itself does) moves no
    read marker; the page carries what it needs to mark the thread read: the job, the newest
    message it shows, and how many of its messages were unread."""
    job, sam, maria = people["job"], people["sam"], people["maria"]
    add_message(job, maria, "Gate code 4471", T0)
    newest = add_message(job, maria, "Parts are on the shelf", T0 + timedelta(minutes=5))
    auth.login(user=sam)
    page = client.get(f"/jobs/{job.id}/messages").get_data(as_text=True)
    assert db.session.get(ThreadRead, (sam.id, job.id)) is None
    assert f'data-thread-read data-job="{job.number}"' in page
    assert f'data-at="{newest.created_at.isoformat()}" data-unread="2"' in page
    assert f'name="at" value="{newest.created_at.isoformat()}"' in page
    assert "Mark as read" in page and "/static/" in page and "js/thread-read.js" in page

    auth.logout()
    office = auth.login("office")
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert db.session.get(ThreadRead, (office.id, job.id)) is None
    assert 'data-unread="2"' in page and 'name="from" value="job"' in page
    assert "js/thread-read.js" in page


def test_a_thread_with_nothing_unread_shows_no_button(client, auth, people):
    job, sam, maria = people["job"], people["sam"], people["maria"]
    add_message(job, maria, "Gate code 4471", T0)
    read_up_to(job, sam, T0)
    auth.login(user=sam)
    page = client.get(f"/jobs/{job.id}/messages").get_data(as_text=True)
    assert "data-thread-read" not in page and "Mark as read" not in page


def test_the_button_marks_up_to_what_the_page_showed(client, auth, people):
    """Without JavaScript: the button marks the thread read up to the newest message the page
    showed; one that arrived meanwhile stays unread. The office goes back to the job page."""
    job, sam, maria = people["job"], people["sam"], people["maria"]
    shown = add_message(job, sam, "On site", T0)
    add_message(job, sam, "Needs a new belt", T0 + timedelta(minutes=5))  # after the page
    auth.login(user=maria)
    response = client.post(
        f"/jobs/{job.id}/messages/read", data={"at": shown.created_at.isoformat(), "from": "job"}
    )
    assert response.status_code == 302 and response.location == f"/jobs/{job.id}#thread"
    assert db.session.get(ThreadRead, (maria.id, job.id)).read_at == shown.created_at
    assert unread_total(maria) == 1
    assert 'data-unread="1"' in client.get(f"/jobs/{job.id}").get_data(as_text=True)

    # No time (or one that isn't an ISO time with its offset): everything up to now.
    for at in ("", "yesterday", "2026-01-01T10:00:00"):
        response = client.post(f"/jobs/{job.id}/messages/read", data={"at": at})
        assert response.status_code == 302
        assert response.location == f"/jobs/{job.id}/messages"
    assert unread_total(maria) == 0


def test_a_tech_coming_from_the_job_link_goes_back_to_their_thread(client, auth, people):
    """The job page is the office's; a tech's form (however it says it came) returns to the
    thread page."""
    job, sam = people["job"], people["sam"]
    add_message(job, people["maria"], "Gate code 4471", T0)
    auth.login(user=sam)
    response = client.post(f"/jobs/{job.id}/messages/read", data={"from": "job"})
    assert response.location == f"/jobs/{job.id}/messages"
    assert unread_total(sam) == 0
    auth.logout()
    auth.login("tech")
    assert client.post(f"/jobs/{job.id}/messages/read").status_code == 403


def test_seen_by_costs_the_same_whatever_the_thread_holds(client, auth, people):
    """The job page and the thread page run the same number of queries with one reader and
    one message as with many of each."""
    job, sam, maria = people["job"], people["sam"], people["maria"]
    add_message(job, sam, "On site", T0)
    read_up_to(job, maria, T0)
    auth.login("admin")

    def counts() -> list[int]:
        found = []
        for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/messages"):
            db.session.expire_all()
            with count_queries() as statements:
                assert client.get(path).status_code == 200
            found.append(len(statements))
        return found

    small = counts()
    for n in range(1, 9):
        reader = factories.make_user("office")
        add_message(job, sam if n % 2 else reader, f"Message {n}", T0 + timedelta(minutes=n))
        read_up_to(job, reader, T0 + timedelta(minutes=n))
    assert counts() == small


def test_the_api_lists_who_has_read_each_message(client, auth, people):
    """The phone's thread carries the same "seen by" as the pages."""
    job, sam, maria = people["job"], people["sam"], people["maria"]
    add_message(job, maria, "Gate code 4471", T0)
    add_message(job, maria, "Parts are on the shelf", T0 + timedelta(minutes=5))
    read_up_to(job, sam, T0)
    auth.login(user=sam)

    thread = client.get(f"/api/v1/jobs/{job.number}/messages").get_json()

    seen = {m["body"]: [r["name"] for r in m["seen_by"]] for m in thread["messages"]}
    assert seen == {"Gate code 4471": ["Sam Okafor"], "Parts are on the shelf": []}


def test_a_marker_never_moves_back(people):
    """An older mark (a page opened earlier, sent late) leaves a newer one alone."""
    job, sam = people["job"], people["sam"]
    read_up_to(job, sam, T0 + timedelta(minutes=10))
    read_up_to(job, sam, T0)
    db.session.expire_all()
    assert db.session.get(ThreadRead, (sam.id, job.id)).read_at == T0 + timedelta(minutes=10)
