"""The Finish button a tech can trust, at 390x844: the phone never says "saved" for a visit
the server would refuse, corrections keep everything, the meter is asked once, Today and the
plotter page tell the truth at once, and a quick visit takes a few taps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.equipment.models import MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import Part
from fieldapp.jobs.models import Job
from fieldapp.photos.models import Photo
from tests import factories
from tests.e2e.browser import module_url, sign_in
from tests.e2e.phone import level, visits

pytestmark = pytest.mark.e2e


def start_on_the_job(phone, day, *, offline: bool):
    """Sign in, (go offline,) open the plotter of the job and start its visit."""
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    phone.ready_for_offline(f"/e/{day['on_job'].qr_token}", "/visits/form/repair", "/")
    if offline:
        phone.offline()
    phone.go(f"/e/{day['on_job'].qr_token}")
    page.get_by_role("link", name="Start visit").click()
    expect(page.locator("[data-visit-form]")).to_be_visible()
    return page


def do_the_steps(page, *, friction: str) -> None:
    """Check, pass, measure: the repair procedure's three steps done."""
    cards = page.locator("[data-step]")
    cards.nth(0).locator(".status-choice", has_text="Done").click()
    cards.nth(1).locator(".status-choice", has_text="Pass").click()
    cards.nth(2).locator(".status-choice", has_text="Done").click()
    page.get_by_label("Value (N)").fill(friction)


def sign(page):
    pad = page.locator("canvas.signature-pad")
    pad.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 50)
    page.mouse.down()
    page.mouse.move(box["x"] + 220, box["y"] + 110, steps=8)
    page.mouse.up()


INKED = """() => { const c = document.querySelector('canvas.signature-pad');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n > 50; }"""

QUEUED = "async (url) => (await (await import(url)).opsFor()).map((op) => op.type)"


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_the_phone_refuses_what_the_server_would(phone, live_server, day, offline, tmp_path):
    """A measure without its value, a photo step without a photo, no outcome, 150 parts, a
    summary of 5,001 characters and a meter below the last one: not saved, each fault on its
    field with the server's own message; fixed, it is saved and the server takes it."""
    factories.make_visit(
        day["on_job"], day["tech"], started_at=datetime.now(UTC) - timedelta(days=30), meter=182340
    )
    page = start_on_the_job(phone, day, offline=offline)
    cards = page.locator("[data-step]")
    cards.nth(0).locator(".status-choice", has_text="Done").click()
    cards.nth(1).locator(".status-choice", has_text="Pass").click()
    cards.nth(2).locator(".status-choice", has_text="Done").click()  # no value
    cards.nth(3).locator(".status-choice", has_text="Done").click()  # no photo
    page.get_by_label("Find a part").fill("belt")
    page.locator(".part-hit").first.click()
    page.get_by_label("Qty").first.fill("150")
    summary = page.get_by_label("What you did")
    summary.fill("x" * 5001)
    expect(summary).to_have_js_property("value", "x" * 5000)  # the field stops at the rule
    # A page cached before the field carried its limit: the phone's own check still refuses.
    summary.evaluate("(el) => el.removeAttribute('maxlength')")
    summary.fill("x" * 5001)
    page.get_by_label("Usage counter").fill("180000")
    expect(page.get_by_label("Why is it lower?")).to_be_visible()
    hint = page.locator("[data-meter-hint]")
    expect(hint).to_contain_text("Last reading 182,340")
    page.get_by_role("button", name="Finish visit").click()

    problems = page.locator("#visit-problems")
    expect(problems).to_contain_text("Not saved yet: 6 things to fix.")
    expect(cards.nth(2)).to_contain_text("Enter the measured value for “Carriage rod friction”.")
    expect(cards.nth(3)).to_contain_text("Take the photo for “Photo of the test plot”.")
    expect(page.locator("#outcome")).to_contain_text("Choose the outcome: Fixed, Needs parts")
    expect(page.locator("[data-part-row]").first).to_contain_text(
        "Enter a whole number from 1 to 99."
    )
    expect(page.locator("#summary").locator("..")).to_contain_text(
        "Keep it to 5,000 characters or fewer."
    )
    expect(page.locator("[data-meter-note]")).to_contain_text(
        "The reading is lower than the last one (182,340)."
    )
    expect(page.get_by_label("Value (N)")).to_have_attribute("aria-invalid", "true")
    assert (
        page.evaluate("() => document.activeElement.name")
        == f"step-{day['version'].steps[2].id}-value"
    )
    assert "visit.record" not in page.evaluate(
        QUEUED, module_url(page, "outbox.js")
    )  # nothing queued, nothing "saved"
    expect(page.locator("#sync-status")).not_to_contain_text("need")

    # Fixed: saved, and the server takes it as it is.
    page.get_by_label("Value (N)").fill("3.4")
    cards.nth(3).locator(".status-choice", has_text="N/A").click()
    page.get_by_label("Qty").first.fill("1")
    page.locator(".outcome-choices .status-choice", has_text="Fixed").click()
    page.get_by_label("What you did").fill("Replaced carriage belt; 86:01 cleared")
    page.get_by_label("Why is it lower?").fill("Counter reset after formatter swap")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    phone.offline(False)
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    logged = [v for v in visits() if v.source != "import"]
    assert len(logged) == 1 and logged[0].outcome == "fixed"
    db.session.expire_all()
    meter = db.session.scalar(sa.select(MeterReading).where(MeterReading.visit_id == logged[0].id))
    assert meter.value == 180000 and meter.note.startswith("Counter reset")


def test_required_steps_left_open_take_the_tech_to_the_first(phone, live_server, day):
    """The checklist's note lists every open required step; the tech lands on the first."""
    page = start_on_the_job(phone, day, offline=False)
    cards = page.locator("[data-step]")
    cards.nth(0).locator(".status-choice", has_text="Done").click()
    page.get_by_role("button", name="Finish visit").click()

    expect(page.locator("#visit-problems")).to_contain_text("Required steps not done")
    expect(cards.nth(1).locator("input[type=radio]").first).to_be_focused()
    expect(cards.nth(1)).to_be_in_viewport()


def test_a_correction_keeps_signature_and_photos(phone, live_server, day, tmp_path):
    """The server refuses a visit only for what the phone could not know (a part taken off
    the list meanwhile). "Correct and send" opens it with its signature, photos and the
    reason beside the part; sent again, it is stored once, and no file is left over."""
    photo = tmp_path / "plot.jpg"
    photo.write_bytes(factories.jpeg_bytes(800, 600))
    page = start_on_the_job(phone, day, offline=True)
    do_the_steps(page, friction="3.1")
    page.get_by_label("Find a part").fill("wiper")
    page.locator(".part-hit").first.click()
    page.get_by_label("Add photos").set_input_files(str(photo))
    expect(page.locator("[data-visit-thumbs] img")).to_have_count(1)
    page.locator(".outcome-choices .status-choice", has_text="Fixed").click()
    page.get_by_label("What you did").fill("Wiper kit fitted")
    page.get_by_label("Signed by").fill("Dana Ruiz")
    sign(page)
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    wiper = db.session.get(Part, day["wiper"].id)
    wiper.active = False  # the office takes the kit off the list meanwhile
    db.session.commit()
    phone.offline(False)
    expect(phone.status()).to_contain_text("1 needs attention", timeout=30_000)
    phone.go("/sync")
    page.get_by_role("link", name="Correct and send").click()
    row = page.locator("[data-part-row]").first
    expect(row).to_contain_text(
        "Service station wiper kit (1XB42-67001) is no longer in the parts list."
    )
    expect(page.locator("#visit-problems")).to_contain_text("The server refused this visit")
    expect(page.locator("[data-visit-thumbs] img")).to_have_count(1)
    expect(page.get_by_label("Signed by")).to_have_value("Dana Ruiz")
    page.wait_for_function(INKED)  # the signature is back on the pad
    row.locator("select[name='part-sku']").select_option("")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    logged = [v for v in visits() if v.source != "import"]
    assert len(logged) == 1
    stored = db.session.scalars(sa.select(Photo)).all()
    assert sorted(p.kind for p in stored) == ["photo", "signature"]
    assert all(p.visit_id == logged[0].id for p in stored)
    report = phone.page
    phone.go(f"/visits/{logged[0].id}/report")
    expect(report.get_by_role("img", name="Signature of Dana Ruiz")).to_be_visible()
    uploads = Path(live_server.app.config["UPLOAD_FOLDER"])
    files = [p for p in uploads.rglob("*") if p.is_file()]
    assert len(files) == 4  # photo and signature, each with its thumbnail: nothing orphaned


def test_the_meter_step_feeds_the_meter_history(phone, live_server, day):
    """A PM's meter step is the plotter's meter reading: asked once, in the step, and it is
    what the plotter page shows after the visit."""
    factories.make_meter_sop()
    job = db.session.get(Job, day["job"].id)
    job.kind = "preventive"
    db.session.commit()
    page = start_on_the_job(phone, day, offline=False)
    expect(page.get_by_label("Usage counter")).to_have_count(0)  # no second meter field
    cards = page.locator("[data-step]")
    cards.nth(0).locator(".status-choice", has_text="Done").click()
    cards.nth(1).locator(".status-choice", has_text="Done").click()
    cards.nth(1).get_by_label("Meter reading (ft²)").fill("182,340")
    page.locator(".outcome-choices .status-choice", has_text="PM done").click()
    page.get_by_label("What you did").fill("Quarterly PM")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    phone.go(f"/e/{day['on_job'].qr_token}")
    expect(page.locator(".meter-value")).to_contain_text("182,340")
    expect(page.locator("[data-visit]").first).to_contain_text("meter 182,340")


def test_a_draft_belongs_to_its_phone(phone, live_server, day, browser):
    """A visit started on this phone is continued here; another device says where it was
    started and offers to discard it, never an empty form."""
    page = start_on_the_job(phone, day, offline=False)
    page.locator("[data-step]").nth(0).locator(".status-choice", has_text="Done").click()
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)  # the start is in
    phone.go("/")
    mine = page.locator("[data-open-visits]")
    expect(mine).to_contain_text("Visit in progress on this phone")
    expect(mine.get_by_role("link", name=re.compile("Continue: HP DesignJet T830"))).to_be_visible()
    card = page.locator(f'[data-job="{day["job"].number}"]')
    expect(card.locator("[data-elsewhere]")).to_have_count(0)

    other = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    tablet = other.new_page()
    tablet.on("dialog", lambda dialog: dialog.accept())
    sign_in(tablet, live_server.url, day["tech"].email, factories.PASSWORD)
    card = tablet.locator(f'[data-job="{day["job"].number}"]')
    expect(card).to_contain_text("Started on another device at")
    expect(card.get_by_role("link", name="Continue visit")).to_be_hidden()
    card.get_by_role("button", name="Discard this visit").click()
    expect(tablet.locator(".flash-success")).to_contain_text("The unfinished visit is gone")
    expect(card.get_by_role("link", name="Start visit")).to_be_visible()
    other.close()
    assert [v for v in visits() if v.source != "import"] == []


def test_today_shows_a_follow_up_visit_at_once(phone, live_server, day):
    """Offline, after a needs-follow-up visit, Today says the job goes back to the office
    (no Start visit); synced, the job is off Today and the follow-up job is the tech's, its
    text in local dates."""
    page = start_on_the_job(phone, day, offline=True)
    cards = page.locator("[data-step]")
    cards.nth(0).locator(".status-choice", has_text="Done").click()
    cards.nth(1).locator(".status-choice", has_text="Fail").click()
    cards.nth(1).get_by_label("Create a follow-up job for this failed step").check()
    cards.nth(2).locator(".status-choice", has_text="Done").click()
    page.get_by_label("Value (N)").fill("4.1")
    page.locator(".outcome-choices .status-choice", has_text="Needs follow-up").click()
    page.get_by_label("What you did").fill("Banding left; needs a new head")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("on this phone")
    phone.go("/")
    card = page.locator(f'[data-job="{day["job"].number}"]')
    expect(card).to_contain_text("back to the office to plan the next visit")
    expect(card.get_by_role("link", name="Start visit")).to_be_hidden()
    expect(card.get_by_role("link", name="Continue visit")).to_be_hidden()
    phone.offline(False)
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    phone.go("/")
    expect(page.locator(f'[data-job="{day["job"].number}"]')).to_have_count(0)
    follow_up = db.session.scalar(sa.select(Job).where(Job.source == "follow_up"))
    expect(page.locator(f'[data-job="{follow_up.number}"]')).to_contain_text("Follow-up:")
    assert follow_up.assigned_to_id == day["tech"].id
    visit = [v for v in visits() if v.source != "import"][0]
    local = visit.started_at.astimezone(ZoneInfo("America/Chicago"))
    assert f"{local:%b} {local.day}, {local.year}" in follow_up.problem


def test_a_quick_visit_takes_a_few_taps(phone, live_server, day):
    """A visit on its own (no job): from the plotter page to a saved quick visit in at most
    eight taps."""
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready")
    phone.go(f"/e/{day['nearby'].qr_token}")
    taps = 0

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.tap()

    start = page.get_by_role("link", name="Quick visit")
    expect(start).to_be_in_viewport()
    tap(start)
    tap(page.locator(".outcome-choices .status-choice", has_text="Fixed"))
    summary = page.get_by_label("What you did")
    tap(summary)
    summary.press_sequentially("Reseated the trailing cable")
    tap(page.get_by_role("button", name="Finish visit"))
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    assert taps <= 8
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    logged = [v for v in visits() if v.source != "import" and v.status == "finished"]
    assert len(logged) == 1 and logged[0].sop_version_id is None


def test_the_start_page_follows_the_job_picked(phone, live_server, day):
    """A preventive job brings the PM procedure and no quick visit; "No job" brings the
    repair procedure back and offers the quick visit."""
    preventive = factories.make_sop("pm", category="preventive")
    factories.make_job(equipment=day["nearby"], kind="preventive", status="new", problem="PM due")
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    phone.go(f"/visits/new?plotter={day['nearby'].qr_token}")
    procedure = page.locator('input[name="sop_version"]')
    quick = page.get_by_label("No procedure (quick visit)")
    expect(procedure.and_(page.locator(f'[value="{preventive.id}"]'))).to_be_checked()
    expect(quick).to_be_hidden()

    page.get_by_label("No job: a visit on its own").check()

    expect(procedure.and_(page.locator(f'[value="{day["version"].id}"]'))).to_be_checked()
    expect(quick).to_be_visible()
    quick.check()
    page.get_by_role("button", name="Start visit now").click()
    expect(page.locator("[data-visit-form]")).to_be_visible()
    started = [v for v in visits() if v.source != "import"]
    assert len(started) == 1 and started[0].sop_version_id is None and started[0].job_id is None


def test_start_visit_is_above_the_fold_and_hints_are_one_line(phone, live_server, day):
    """At 390x844 the action comes first; recurring problems fold into one line."""
    now = datetime.now(UTC)
    for days in (70, 30, 10):
        factories.make_visit(
            day["on_job"], day["tech"], started_at=now - timedelta(days=days), codes=("86:01",)
        )
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    phone.go(f"/e/{day['on_job'].qr_token}")
    expect(page.get_by_role("link", name="Start visit")).to_be_in_viewport(ratio=1)
    hints = page.locator("details.hints")
    expect(hints.locator("summary")).to_contain_text("1 recurring problem")
    expect(hints).not_to_have_attribute("open", "")
    expect(hints.get_by_text("keeps coming back")).to_be_hidden()


def test_a_photo_added_by_mistake_can_be_removed(phone, live_server, day, tmp_path):
    wrong, right = tmp_path / "wrong.jpg", tmp_path / "right.jpg"
    wrong.write_bytes(factories.jpeg_bytes(400, 300, (200, 0, 0)))
    right.write_bytes(factories.jpeg_bytes(400, 300, (0, 0, 200)))
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready")
    phone.go(f"/e/{day['nearby'].qr_token}")
    page.get_by_role("link", name="Quick visit").click()
    page.get_by_label("Add photos").set_input_files([str(wrong), str(right)])
    thumbs = page.locator("[data-visit-thumbs] .thumb")
    expect(thumbs).to_have_count(2)
    thumbs.first.get_by_role("button", name="Remove this photo").click()
    expect(thumbs).to_have_count(1)
    page.locator(".outcome-choices .status-choice", has_text="Fixed").click()
    page.get_by_label("What you did").fill("Cleaned the rollers")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    db.session.rollback()  # a new read: the server wrote meanwhile
    stored = db.session.scalars(sa.select(Photo)).all()
    assert len(stored) == 1 and stored[0].visit_id is not None
    kept = page.evaluate(
        "async (url) => (await (await import(url)).photosFor()).length",
        module_url(page, "outbox.js"),
    )
    assert kept == 0  # the removed photo left the phone too


def test_a_saved_visit_can_be_corrected_for_a_day(phone, live_server, day):
    """The tech opens the visit from the history, corrects a part and the summary; the van
    gets the part back and the visit reads as corrected."""
    page = start_on_the_job(phone, day, offline=False)
    do_the_steps(page, friction="3.3")
    page.get_by_label("Find a part").fill("belt")
    page.locator(".part-hit").first.click()
    page.locator(".outcome-choices .status-choice", has_text="Fixed").click()
    page.get_by_label("What you did").fill("Belt replaced")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    assert level(day["belt"], day["van"]) == 4
    phone.go(f"/e/{day['on_job'].qr_token}")
    page.locator("[data-visit] .visit-link").first.click()
    page.get_by_role("link", name="Correct this visit").click()
    expect(page.get_by_label("What you did")).to_have_value("Belt replaced")
    page.locator("select[name='part-sku']").first.select_option("")
    page.get_by_label("What you did").fill("Belt was fine: reseated the encoder cable")
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Correction saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    db.session.expire_all()
    assert level(day["belt"], day["van"]) == 5
    visit = [v for v in visits() if v.source != "import"][0]
    assert visit.summary.startswith("Belt was fine")
