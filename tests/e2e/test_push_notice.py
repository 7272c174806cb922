"""A push reaches the phone and shows: the office writes on the tech's job, the worker sends
the encrypted push to the subscription's endpoint (a local HTTP server standing in for the
push service), and the payload it carried, delivered to the phone's service worker through
Chromium's DevTools protocol (headless Chromium has no push service of its own), shows as
a notification naming the job, which opens the job's thread."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from fieldapp.messages.services import post_message
from fieldapp.notify.push import send_queued_pushes, subscribe
from tests import factories
from tests.e2e.browser import PHONE, sign_in
from tests.push import Browser, PushEndpoint
from tests.scenarios import make_site

NOTICES = """async () => (await (await navigator.serviceWorker.ready).getNotifications())
  .map((n) => ({ title: n.title, body: n.body, url: n.data.url, tag: n.tag }))"""


@pytest.fixture
def endpoint():
    server = PushEndpoint()
    yield server
    server.stop()


def test_a_message_on_the_job_shows_on_the_techs_phone(browser, live_server, endpoint):
    site = make_site()
    office = factories.make_user("office", name="Maria Chen")
    keys = Browser(endpoint.url + "sam-phone")
    sent = keys.subscription()
    factories.committed(
        subscribe, site.tech.id, sent["endpoint"], sent["keys"]["p256dh"], sent["keys"]["auth"]
    )

    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, permissions=["notifications"]
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, site.tech.email, factories.PASSWORD)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        devtools = context.new_cdp_session(page)
        registrations = []
        devtools.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        devtools.send("ServiceWorker.enable")

        factories.committed(post_message, site.job, office, "The customer moved it to 3 pm")
        assert send_queued_pushes().sent == 1
        [(_, body)] = endpoint.received
        payload = keys.read(body)

        # The registration is reported by an event after "enable": each round trip to the
        # page lets Playwright hand the events it has received to the listener.
        deadline = time.monotonic() + 20
        while not registrations:
            assert time.monotonic() < deadline, "the phone's service worker is registered"
            page.evaluate("() => new Promise((done) => requestAnimationFrame(done))")
        devtools.send(
            "ServiceWorker.deliverPushMessage",
            {
                "origin": live_server.url,
                "registrationId": registrations[0]["registrationId"],
                "data": json.dumps(payload),
            },
        )
        # The worker shows it when it has handled the push: evaluate awaits each look.
        while not (shown := page.evaluate(NOTICES)):
            assert time.monotonic() < deadline + 20, "the notification is shown"
            page.evaluate("() => new Promise((done) => requestAnimationFrame(done))")
        [notice] = shown
        assert notice["title"] == f"Maria Chen on {site.job.number}"
        assert notice["body"] == "The customer moved it to 3 pm"
        assert notice["url"] == f"/jobs/{site.job.id}/messages"
        expect(page.locator("#sync-status")).to_contain_text("Online")
    finally:
        context.close()
