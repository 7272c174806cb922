"""Read means read: a thread is read when a person opens it, never when a cache fetches it.

The phone's offline pack prefetches the thread pages of the tech's jobs; that used to clear
the tech's unread badges though the tech had opened nothing. Now the page marks the thread
read once it is in front of the person (through the outbox on the phone, so it works offline;
straight to the API from the office's desk), and the office sees who has read each message.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.messages.models import Message, ThreadRead
from fieldapp.messages.queries import job_thread
from fieldapp.messages.services import post_message
from tests import factories
from tests.e2e.browser import sign_in, wait_until_cached

DESKTOP = {"width": 1366, "height": 900}
SYNC_TIMEOUT = 30_000


@pytest.fixture
def thread(live_server):
    """Sam's job with two messages from the office he has not read."""
    sam = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    maria = factories.make_user("office", name="Maria Chen", email="maria@example.com")
    plotter = factories.make_equipment(
        factories.make_customer(name="Lakeshore Reprographics"), model="DesignJet T830"
    )
    job = factories.make_job(
        plotter.customer,
        equipment=plotter,
        assigned_to_id=sam.id,
        status="scheduled",
        problem="87:11 again, stops partway through plots",
    )
    factories.committed(post_message, job, maria, "Gate code 4471")
    factories.committed(post_message, job, maria, "Belt is on the shelf in the van")
    return {"sam": sam, "maria": maria, "job": job, "url": f"/jobs/{job.id}/messages"}


def job_messages(job) -> list[Message]:
    """The job's messages, oldest first, as stored now."""
    db.session.expire_all()
    return [entry.message for entry in job_thread(job).entries if entry.kind == "message"]


def marker(user, job) -> ThreadRead | None:
    db.session.expire_all()
    return db.session.get(ThreadRead, (user.id, job.id))


def is_thread_read_sync(response) -> bool:
    request = response.request
    return (
        request.method == "POST"
        and response.url.endswith("/api/v1/sync")
        and '"thread.read"' in (request.post_data or "")
    )


def today_card(page, job):
    return page.locator(f'article[data-job="{job.number}"]')


def sign_in_and_wait_for_the_pack(page, base, thread) -> None:
    """The tech signs in; the pack prefetches the thread page; Today still shows 2 unread."""
    sign_in(page, base, thread["sam"].email, factories.PASSWORD)
    wait_until_cached(page, thread["url"])
    assert marker(thread["sam"], thread["job"]) is None  # the prefetch read nothing
    page.goto(f"{base}/")
    expect(today_card(page, thread["job"]).locator(".nav-count")).to_have_text(re.compile(r"^2\b"))
    expect(page.locator(".bottomnav .nav-count")).to_have_text(re.compile(r"^2\b"))


HIDDEN_UNTIL_SHOWN = """
if (location.pathname.endsWith("/messages")) {
  let hidden = true;
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true,
    get: () => (hidden ? "hidden" : "visible"),
  });
  window.showPage = () => {
    hidden = false;
    document.dispatchEvent(new Event("visibilitychange"));
  };
}
"""

WAITING_READS = """async () => {
  const src = document.querySelector('script[src*="thread-read.js"]').src;
  const { opsFor } = await import(src.replace("thread-read.js", "outbox.js"));
  return (await opsFor()).filter((op) => op.type === "thread.read").length;
}"""


def test_opening_the_thread_clears_the_badge_that_the_prefetch_left(live_server, page, thread):
    """The pack's prefetch leaves the badges; opening the thread clears the navigation badge at
    once and Today's card at the next load; a message sent after the page was made stays
    unread."""
    sam, job = thread["sam"], thread["job"]
    sign_in_and_wait_for_the_pack(page, live_server.url, thread)

    with page.expect_response(is_thread_read_sync, timeout=SYNC_TIMEOUT) as synced:
        today_card(page, job).get_by_role("link", name=re.compile("^Messages")).click()
        expect(page.get_by_role("heading", name=f"{job.number} · Messages")).to_be_visible()
        expect(page.locator(".bottomnav .nav-count")).to_have_count(0)
        expect(page.get_by_role("button", name="Mark as read")).to_be_hidden()
    assert synced.value.json()["results"][0]["status"] == "applied"
    newest = job_messages(job)[-1].created_at
    assert marker(sam, job).read_at == newest

    factories.committed(post_message, job, thread["maria"], "Customer asks for 10:30")
    page.goto(f"{live_server.url}/")
    expect(today_card(page, job).locator(".nav-count")).to_have_text(re.compile(r"^1\b"))
    expect(page.locator(".bottomnav .nav-count")).to_have_text(re.compile(r"^1\b"))


def test_a_thread_opened_offline_is_read_once_the_phone_syncs(live_server, page, context, thread):
    """In a basement: the cached thread page clears the badge on the phone and keeps the read
    in the outbox; the server hears of it when the signal is back."""
    sam, job = thread["sam"], thread["job"]
    sign_in_and_wait_for_the_pack(page, live_server.url, thread)

    context.set_offline(True)
    page.goto(f"{live_server.url}{thread['url']}")
    expect(page.get_by_role("heading", name=f"{job.number} · Messages")).to_be_visible()
    expect(page.locator(".bottomnav .nav-count")).to_have_count(0)
    assert page.evaluate(WAITING_READS) == 1  # in the outbox (the badge went after it was)
    assert marker(sam, job) is None

    with page.expect_response(is_thread_read_sync, timeout=SYNC_TIMEOUT):
        context.set_offline(False)
    assert marker(sam, job).read_at == job_messages(job)[-1].created_at
    page.goto(f"{live_server.url}/")
    expect(today_card(page, job)).to_contain_text("Messages")
    expect(today_card(page, job).locator(".nav-count")).to_have_count(0)
    expect(page.locator(".bottomnav .nav-count")).to_have_count(0)


def test_a_thread_opened_in_the_background_is_read_when_it_is_shown(
    live_server, page, context, thread
):
    """A page that opens hidden (a background tab) marks nothing until it is shown."""
    sam, job = thread["sam"], thread["job"]
    sign_in(page, live_server.url, sam.email, factories.PASSWORD)
    context.add_init_script(HIDDEN_UNTIL_SHOWN)
    page.goto(f"{live_server.url}{thread['url']}")
    button = page.get_by_role("button", name="Mark as read", include_hidden=True)
    expect(button).to_be_attached()
    expect(button).to_be_hidden()  # the module has run
    expect(page.locator(".bottomnav .nav-count")).to_have_text(re.compile(r"^2\b"))
    assert page.evaluate(WAITING_READS) == 0

    with page.expect_response(is_thread_read_sync, timeout=SYNC_TIMEOUT):
        page.evaluate("window.showPage()")
        expect(page.locator(".bottomnav .nav-count")).to_have_count(0)
    assert marker(sam, job) is not None


def test_the_office_reads_on_the_job_page_and_sees_who_else_has(live_server, browser):
    """Opening the job page marks its thread read (the Jobs badge goes at once, the button
    for browsers without JavaScript stays hidden); a message the tech has read says "Seen by
    Sam Okafor", one the tech has not read yet says nothing."""
    sam = factories.make_user("tech", name="Sam Okafor", email="sam@example.com")
    maria = factories.make_user("office", name="Maria Chen", email="maria@example.com")
    ana = factories.make_user("office", name="Ana Ruiz", email="ana@example.com")
    job = factories.make_job(assigned_to_id=sam.id, status="scheduled")
    factories.committed(post_message, job, ana, "Gate code 4471")
    factories.committed(post_message, job, sam, "On site, starting now")  # has read Ana's
    factories.committed(post_message, job, ana, "Customer asks for a call at 10:30")

    office_context = browser.new_context(viewport=DESKTOP)
    office_context.set_default_timeout(10_000)
    office = office_context.new_page()
    try:
        sign_in(office, live_server.url, maria.email, factories.PASSWORD)
        expect(office.locator(".sidenav .nav-count")).to_have_text(re.compile(r"^3\b"))
        office.goto(f"{live_server.url}/jobs/{job.id}")
        expect(office.locator(".sidenav .nav-count")).to_have_count(0)
        expect(office.get_by_role("button", name="Mark as read")).to_be_hidden()
        assert marker(maria, job).read_at == job_messages(job)[-1].created_at

        messages = office.locator("#thread li.msg")
        expect(messages).to_have_count(3)
        seen = messages.nth(0).locator("[data-seen-by]")
        expect(seen).to_have_text("Seen by Sam Okafor")
        expect(seen.get_by_text("Sam Okafor")).to_have_attribute(
            "title", re.compile("^Sam Okafor has read the thread up to ")
        )
        expect(messages.nth(1).locator("[data-seen-by]")).to_have_text("Seen by Ana Ruiz")
        expect(messages.nth(2).locator("[data-seen-by]")).to_have_count(0)

        office.reload()
        expect(office.locator("#thread li.msg")).to_have_count(3)
        expect(office.locator(".sidenav .nav-count")).to_have_count(0)
        expect(office.get_by_role("button", name="Mark as read")).to_have_count(0)
    finally:
        office.goto("about:blank")
        office_context.close()
