"""A tech logs a whole visit on a phone: from the job to the plotter's history."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.inventory.models import PartCompatibility, StockLevel
from fieldapp.jobs.models import Job
from fieldapp.photos.models import Photo
from fieldapp.visits.models import Visit
from tests import factories
from tests.e2e.browser import sign_in
from tests.scenarios import make_site


def test_tech_logs_a_visit_end_to_end(live_server, page, tmp_path):
    """Job → start → tick steps, fail one with a follow-up → two parts and a photo → sign →
    finish → the visit tops the plotter's history, the job is closed, the van went down."""
    site = make_site()
    tech, plotter, job, van = site.tech, site.plotter, site.job, site.van
    belt, head = site.belt, site.head
    db.session.add(PartCompatibility(part_id=belt.id, model="DesignJet T830"))
    db.session.commit()
    factories.stock(head, van, 1)  # a second printhead: both parts come from the van
    photo = tmp_path / "test-plot.jpg"
    photo.write_bytes(factories.jpeg_bytes(3000, 2000))

    sign_in(page, live_server.url, tech.email, factories.PASSWORD)
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready: 1 plotter, 1 SOP")
    card = page.locator(f'[data-job="{job.number}"]')
    card.get_by_role("link", name="Start visit").click()
    expect(page.get_by_role("heading", name="HP DesignJet T830")).to_be_visible()
    expect(page.locator(".visit-header")).to_contain_text("Halvorsen Kline Architects")

    steps = page.locator("[data-step]")
    expect(steps).to_have_count(4)
    steps.nth(0).locator(".status-choice", has_text="Done").click()
    steps.nth(1).locator(".status-choice", has_text="Fail").click()
    steps.nth(1).get_by_label("Note").fill("Banding in cyan on the test print")
    steps.nth(1).get_by_label("Create a follow-up job for this failed step").check()
    # Finishing with a required step missing (and no outcome) says so, and saves nothing.
    page.get_by_role("button", name="Finish visit").click()
    problems = page.locator("#visit-problems")
    expect(problems).to_contain_text("Not saved yet: 2 things to fix.")
    expect(problems).to_contain_text("Required steps not done: 3. Carriage rod friction")
    expect(page.locator("#outcome")).to_contain_text("Choose the outcome")
    steps.nth(2).locator(".status-choice", has_text="Done").click()
    steps.nth(2).get_by_label("Value (N)").fill("3.4")
    expect(page.locator("[data-progress]")).to_have_text("3 of 4 done")

    search = page.get_by_label("Find a part")
    search.fill("belt")
    page.locator(".part-hit", has_text="Carriage belt 24in").click()
    search.fill("f9j81")
    page.locator(".part-hit", has_text="HP 729 printhead").click()
    expect(page.locator("select[name='part-sku']").nth(0)).to_have_value("CR357-67010")
    expect(page.locator("select[name='part-sku']").nth(1)).to_have_value("F9J81A")

    page.get_by_label("Add photos").set_input_files(str(photo))
    expect(page.locator("[data-visit-thumbs] img")).to_have_count(1)
    page.get_by_label("Usage counter").fill("182340")
    page.locator(".status-choice", has_text="Needs follow-up").click()
    page.get_by_label("What you did").fill("Replaced carriage belt; 86:01 cleared. Banding left.")
    page.get_by_label("Signed by").fill("Dana Ruiz")
    pad = page.locator("canvas.signature-pad")
    pad.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 100, steps=8)
    page.mouse.up()
    expect(page.locator("[data-signature-png]")).to_have_value(
        re.compile("^data:image/png;base64,")
    )
    page.get_by_role("button", name="Finish visit").click()

    expect(page).to_have_url(re.compile(rf"/e/{plotter.qr_token}#saved$"))
    confirmation = page.locator("[data-saved-confirmation]")
    expect(confirmation).to_contain_text("Visit saved.")
    expect(page.locator("#sync-status")).to_contain_text("all synced")
    expect(confirmation.get_by_role("link", name="Service report")).to_be_visible()
    expect(confirmation).to_contain_text("Follow-up job J-1002 is open.")
    assert page.evaluate("window.scrollY") == 0  # the confirmation is in view, at the top
    first = page.locator("[data-visit]").first
    expect(first).to_contain_text("Replaced carriage belt; 86:01 cleared")
    expect(first).to_contain_text("Carriage belt 24in")
    expect(first).to_contain_text("Banding in cyan")
    expect(first.locator(".thumbs img")).to_have_count(1)

    db.session.expire_all()
    visit = db.session.scalar(sa.select(Visit))
    assert visit.status == "finished" and visit.job_id == job.id
    assert db.session.get(Job, job.id).status == "new"  # needs follow-up: back to the office
    follow_up = db.session.scalar(sa.select(Job).where(Job.source == "follow_up"))
    assert "Test print before" in follow_up.problem and follow_up.equipment_id == plotter.id
    kinds = sorted(p.kind for p in db.session.scalars(sa.select(Photo)))
    assert kinds == ["photo", "signature"]
    stored = db.session.scalar(sa.select(Photo).where(Photo.kind == "photo"))
    assert max(stored.width, stored.height) <= 2048
    levels = dict(
        db.session.execute(
            sa.select(StockLevel.part_id, StockLevel.quantity).where(
                StockLevel.location_id == van.id
            )
        ).all()
    )
    assert levels == {belt.id: 2, head.id: 1}


def test_fixed_visit_closes_the_job(live_server, page):
    tech = factories.make_user("tech", email="priya@example.com")
    plotter = factories.make_equipment()
    job = factories.make_job(equipment=plotter, assigned_to_id=tech.id, status="scheduled")
    sign_in(page, live_server.url, tech.email, factories.PASSWORD)
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready")
    page.locator(f'[data-job="{job.number}"]').get_by_role("link", name="Start visit").click()
    page.locator(".status-choice", has_text="Fixed").click()
    page.get_by_label("What you did").fill("Reseated the encoder strip; 87:11 gone.")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-visit]").first).to_contain_text("Reseated the encoder strip")
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
