"""The owner writes an SOP in the browser at a desktop: steps with a measure range and a
reference image, saved as he types, published as version 1, revised and published as version
2 with a change note; What changed lists the differences. And work the server never took is
kept in the browser and offered back."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.sops.services import sop_by_slug, version_of
from tests import factories
from tests.e2e.browser import close_page, sign_in


def fresh_sop(slug: str):
    """The SOP as the server left it. Without expiring, an SOP this test read before may still
    be in the session (kept alive by its reference cycles until the garbage collector runs)
    with its draft as it was then."""
    db.session.expire_all()
    return sop_by_slug(slug)


DESKTOP = {"width": 1280, "height": 900}
AXE = Axe()
SLUG = "carriage-belt-replacement"


def diagram(tmp_path) -> str:
    """A reference image as the owner would pick it: a PNG from his computer."""
    path = tmp_path / "belt-routing.png"
    Image.new("RGB", (900, 600), (40, 90, 160)).save(path)
    return str(path)


def desktop(browser):
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(10_000)
    return context


def titles(page):
    return page.locator("[data-step] [data-field='title']")


def test_the_owner_writes_publishes_and_revises_an_sop(live_server, browser, tmp_path):
    owner = factories.make_user("admin", name="Dale Ruiz", email="dale@example.com")
    context = desktop(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.email, factories.PASSWORD)
        page.goto(f"{live_server.url}/sops/")
        page.get_by_role("link", name="New SOP").click()
        expect(page.get_by_role("heading", name="New SOP")).to_be_visible()
        status = page.locator("[data-save-status]")

        # A title alone is not an SOP yet: the server's message stands next to the step.
        page.get_by_label("Title", exact=True).fill("Carriage belt replacement")
        first = page.locator("[data-step]").nth(0)
        expect(first.locator('[data-error="title"]')).to_have_text("Fill this in.")
        expect(status).to_contain_text("Not saved: step 1: Fill this in.")
        first.get_by_label("What to do").fill("Power off and unplug")
        expect(status).to_contain_text(re.compile(r"Saved \d\d:\d\d"))
        expect(first.locator('[data-error="title"]')).to_be_hidden()
        expect(page).to_have_url(f"{live_server.url}/sops/{SLUG}/edit")

        # A measure with its expected range and a reference image.
        page.get_by_role("button", name="Add a step").click()
        belt = page.locator("[data-step]").nth(1)
        expect(belt.get_by_label("What to do")).to_be_focused()
        belt.get_by_label("What to do").fill("Belt tension")
        belt.get_by_label("How").fill("Hook the gauge on the **idler** side.\n\n- pull slowly")
        belt.get_by_label("Kind").select_option(label="Measure")
        belt.get_by_label("Unit").fill("N")
        belt.get_by_label("Lowest expected").fill("4")
        belt.get_by_label("Highest expected").fill("6")
        belt.get_by_label("Add a reference image").set_input_files(diagram(tmp_path))
        expect(belt.locator("[data-images] [data-photo] img")).to_have_count(1)

        page.get_by_role("button", name="Add a step").click()
        plot = page.locator("[data-step]").nth(2)
        plot.get_by_label("What to do").fill("Run a test plot")
        plot.get_by_label("Kind").select_option(label="Pass / fail")
        plot.get_by_label("Required").uncheck()
        expect(status).to_contain_text(re.compile(r"Saved \d\d:\d\d"))

        page.get_by_label("What changed").fill("First version.")
        page.get_by_role("button", name="Publish as version 1").click()
        expect(page).to_have_url(f"{live_server.url}/sops/{SLUG}/v1")
        expect(page.locator(".flash-success")).to_contain_text("Published version 1")
        steps = page.locator(".sop-steps")
        expect(steps).to_contain_text("Expected: 4 to 6 N")
        expect(steps.locator("strong", has_text="idler")).to_be_visible()
        expect(steps.locator(".sop-ref-images img")).to_have_count(1)
        expect(page.locator(".page-header")).to_contain_text("by Dale Ruiz")

        # Version 2: reworded, a wider range, the test plot moved to the top, a new step.
        page.get_by_role("link", name="Edit", exact=True).click()
        expect(page.get_by_role("heading", name="Edit Carriage belt replacement")).to_be_visible()
        expect(page.get_by_role("button", name="Publish as version 2")).to_be_visible()
        editors = page.locator("[data-step]")
        editors.nth(0).get_by_label("How").fill("Wait for the carriage to park.")
        editors.nth(1).get_by_label("Highest expected").fill("7")
        move_up = page.get_by_role("button", name="Move step 3 up")
        move_up.focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("button", name="Move step 2 up")).to_be_focused()
        page.keyboard.press("Enter")
        for index, title in enumerate(["Run a test plot", "Power off and unplug", "Belt tension"]):
            expect(titles(page).nth(index)).to_have_value(title)
        page.get_by_role("button", name="Add a step").click()
        editors.nth(3).get_by_label("What to do").fill("Grease the slider rod")
        expect(status).to_contain_text(re.compile(r"Saved \d\d:\d\d"))
        page.get_by_label("What changed").fill("Range up to 7 N; test plot first; grease the rod.")
        page.get_by_role("button", name="Publish as version 2").click()
        expect(page).to_have_url(f"{live_server.url}/sops/{SLUG}/v2")
        expect(page.locator(".sop-about")).to_contain_text("Range up to 7 N")

        page.get_by_role("link", name="What changed").first.click()
        expect(page).to_have_url(f"{live_server.url}/sops/{SLUG}/changes?from=1&to=2")
        changes = page.locator(".sop-changes")
        added = changes.locator(".sop-change-added")
        expect(added).to_contain_text("Grease the slider rod")
        expect(changes.locator(".sop-change-moved")).to_contain_text("Moved from step 3 to step 1")
        reworded = changes.locator(".sop-change-reworded")
        expect(reworded).to_contain_text("Power off and unplug")
        expect(reworded.locator("ins")).to_contain_text("Wait for the carriage to park.")
        expect(changes.locator(".sop-change-changed")).to_contain_text(
            "Expected range: 4 to 6 N → 4 to 7 N"
        )
        expect(page.locator(".sop-notes")).to_contain_text("test plot first")

        # The pages the owner used, as a screen reader or a keyboard meets them.
        problems = []
        for path in (f"/sops/{SLUG}/edit", f"/sops/{SLUG}", f"/sops/{SLUG}/changes", "/sops/"):
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("main h1")).to_be_visible()
            for violation in AXE.run(page).response["violations"]:
                problems.append(f"{path}: {violation['id']} {violation['nodes'][0]['target']}")
        assert problems == []
    finally:
        context.close()

    # What the browser showed is what was stored: version 1 as it was, version 2 as revised.
    db.session.expire_all()  # a new read: the server wrote meanwhile
    v1, v2 = version_of(SLUG, 1), version_of(SLUG, 2)
    assert [s.title for s in v1.steps] == [
        "Power off and unplug",
        "Belt tension",
        "Run a test plot",
    ]
    assert (v1.steps[1].min_value, v1.steps[1].max_value, len(v1.steps[1].images)) == (4, 6, 1)
    assert [s.key for s in v2.steps[:3]] == [v1.steps[2].key, v1.steps[0].key, v1.steps[1].key]
    assert v2.steps[2].max_value == 7 and v2.change_note.startswith("Range up to 7 N")
    assert fresh_sop(SLUG).draft is None


def test_unsaved_work_is_kept_in_the_browser_and_offered_back(live_server, browser):
    """Without a network the editor says it has not saved and saves when the network is
    back; when the server refuses (the session ended), a copy stays in the browser and the
    editor offers it back the next time it opens."""
    owner = factories.make_user("office", name="Maria Chen", email="maria@example.com")
    context = desktop(browser)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, owner.email, factories.PASSWORD)
        page.goto(f"{live_server.url}/sops/new")
        status = page.locator("[data-save-status]")
        title = page.locator("[data-step] [data-field='title']")
        page.get_by_label("Title", exact=True).fill("Head alignment")
        title.fill("Print the pattern")
        expect(status).to_contain_text(re.compile(r"Saved \d\d:\d\d"))

        context.set_offline(True)
        title.fill("Print pattern 2")
        expect(status).to_contain_text("Not saved: no connection")
        context.set_offline(False)
        expect(status).to_contain_text(re.compile(r"Saved \d\d:\d\d"))
        assert fresh_sop("head-alignment").draft.content["steps"][0]["title"] == "Print pattern 2"

        # Signed out in another tab: the server refuses the next save.
        other = context.new_page()
        other.goto(f"{live_server.url}/more")
        other.locator("#main").get_by_role("button", name="Sign out").click()
        expect(other.get_by_label("Password", exact=True)).to_be_visible()  # not /more's two
        close_page(other)
        title.fill("Print pattern 3")
        expect(status).to_contain_text("Not saved: you are signed out")
        close_page(page)

        page = context.new_page()
        sign_in(page, live_server.url, owner.email, factories.PASSWORD)
        page.goto(f"{live_server.url}/sops/head-alignment/edit")
        offer = page.locator("[data-restore]")
        expect(offer).to_contain_text("were not saved")
        title = page.locator("[data-step] [data-field='title']")
        expect(title).to_have_value("Print pattern 2")
        offer.get_by_role("button", name="Restore them").click()
        expect(title).to_have_value("Print pattern 3")
        expect(page.locator("[data-save-status]")).to_contain_text(re.compile(r"Saved \d\d:\d\d"))
        expect(offer).to_be_hidden()
    finally:
        context.close()
    draft = fresh_sop("head-alignment").draft
    assert draft.content["steps"][0]["title"] == "Print pattern 3"
