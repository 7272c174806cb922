"""Turning notifications on from More, on a phone: a permission the tech blocked is explained
(how to allow it), and a browser whose push service cannot be reached says so; neither
leaves a subscription behind. (Headless Chromium has no push service to subscribe with, so
the successful path is shown by tests/notify/test_push.py against the API and a real
endpoint.)"""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.notify.models import PushSubscription
from tests import factories
from tests.e2e.browser import PHONE, sign_in
from tests.e2e.test_accessibility import check_page


def open_more(browser, live_server, tech, permissions):
    context = browser.new_context(
        viewport=PHONE, is_mobile=True, has_touch=True, permissions=permissions
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, live_server.url, tech.email, factories.PASSWORD)
    page.goto(f"{live_server.url}/more")
    return context, page, page.locator("[data-push]")


def test_a_blocked_permission_is_explained(browser, live_server):
    tech = factories.make_user("tech", name="Sam Okafor")
    context, page, card = open_more(browser, live_server, tech, permissions=[])
    try:
        expect(card).to_contain_text("when the office gives you a job or moves one")
        # Blocked before (headless Chromium answers every permission it was not given "no"):
        # the page says how to allow it, instead of a button that cannot work.
        expect(card.locator("[data-push-state]")).to_contain_text(
            "Notifications are blocked for FieldApp in this browser"
        )
        expect(card.get_by_role("button", name="Turn on notifications")).to_be_hidden()
        assert check_page(page, "/more, notifications blocked") == []
    finally:
        context.close()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0


def test_a_push_service_out_of_reach_is_said(browser, live_server):
    tech = factories.make_user("tech", name="Sam Okafor")
    context, page, card = open_more(browser, live_server, tech, permissions=["notifications"])
    try:
        expect(card.locator("[data-push-state]")).to_have_text(
            "Notifications are off for this phone."
        )
        card.get_by_role("button", name="Turn on notifications").click()
        expect(card.locator("[data-push-state]")).to_contain_text(
            "Notifications could not be turned on"
        )
        expect(card.get_by_role("button", name="Turn on notifications")).to_be_visible()
    finally:
        context.close()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
