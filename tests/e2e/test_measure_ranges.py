"""At 390x844: a measure typed outside its expected range fails its step at once and offers
the follow-up job, offline, in a draft, in "Correct and send" and in a correction; and a visit
started on version 1 of its procedure, finished offline after version 2 came out, is kept
with version 1."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.inventory.models import Part
from fieldapp.jobs.models import Job
from fieldapp.sops.models import SopStep, SopVersion
from fieldapp.visits.models import StepResult
from tests import factories
from tests.e2e.browser import module_url
from tests.e2e.phone import make_day, visits
from tests.e2e.test_accessibility import check_page
from tests.e2e.test_visit_trust import start_on_the_job

pytestmark = pytest.mark.e2e

FAILED = "{} N is outside the expected 4 to 6 N: this step failed."
OPS = "async (url) => (await (await import(url)).opsFor()).map((op) => [op.type, op.payload])"


@pytest.fixture
def day(live_server):
    """The tech's day; the repair procedure expects 4 to 6 N of carriage rod friction."""
    return make_day(friction=(4, 6))


class Friction:
    """The friction step's card and what it shows."""

    def __init__(self, page):
        self.card = page.locator("[data-step]").nth(2)
        self.value = self.card.get_by_label("Value (N)")
        self.failed = self.card.get_by_role("radio", name="Fail")
        self.done = self.card.get_by_role("radio", name="Done")
        self.note = self.card.locator("[data-range-note]")
        self.follow_up = self.card.get_by_label("Create a follow-up job for this failed step")

    def choose(self, status: str):
        self.card.locator(".status-choice", has_text=status).click()

    def shows_failed(self, value: str = "3.2", *, follow_up_checked: bool | None = None):
        expect(self.failed).to_be_checked()
        expect(self.note).to_have_text(FAILED.format(value))
        expect(self.follow_up).to_be_visible()
        if follow_up_checked is not None:
            expect(self.follow_up).to_be_checked(checked=follow_up_checked)


def first_two_steps(page):
    cards = page.locator("[data-step]")
    cards.nth(0).locator(".status-choice", has_text="Done").click()
    cards.nth(1).locator(".status-choice", has_text="Pass").click()


def finish(page, summary: str, *, button: str = "Finish visit"):
    page.locator(".outcome-choices .status-choice", has_text="Fixed").click()
    page.get_by_label("What you did").fill(summary)
    page.get_by_role("button", name=button).click()


def logged():
    return [v for v in visits() if v.source != "import"]


def friction_result(visit_id, step_id) -> StepResult:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(StepResult).where(StepResult.visit_id == visit_id, StepResult.step_id == step_id)
    )


def test_outside_the_range_the_step_fails_offline_in_a_draft_and_in_correct_and_send(
    phone, live_server, day
):
    """Offline: 3,2 N fails the step at once with the reason and the follow-up offer; 5 N is
    done again; back at 3.2 the tech asks for the follow-up job. The draft survives a reload,
    the phone queues "fail", and after the server refuses the visit for a withdrawn part,
    "Correct and send" shows the step failed as it was. Synced: fail, and the job."""
    page = start_on_the_job(phone, day, offline=True)
    friction = Friction(page)
    expect(friction.card).to_contain_text("Expected 4 to 6 N")
    expect(friction.follow_up).to_be_hidden()
    first_two_steps(page)
    friction.value.fill("3,2")
    friction.shows_failed(follow_up_checked=False)
    friction.follow_up.check()
    friction.value.fill("5")
    expect(friction.done).to_be_checked()
    expect(friction.note).to_have_text("")
    expect(friction.follow_up).to_be_hidden()
    friction.value.fill("3.2")
    friction.shows_failed(follow_up_checked=False)
    friction.follow_up.check()
    # The tech's choice stands: N/A is not overruled by the value, Done is (the server keeps
    # a measure done outside its range as failed).
    friction.choose("N/A")
    expect(friction.note).to_have_text("")
    expect(friction.follow_up).to_be_hidden()
    friction.choose("Done")
    friction.shows_failed(follow_up_checked=False)
    friction.follow_up.check()
    assert check_page(page, "visit form, failed measure") == []

    page.reload()  # offline: the cached form, and the draft kept on the phone
    friction = Friction(page)
    friction.shows_failed(follow_up_checked=True)
    page.get_by_label("Find a part").fill("wiper")
    page.locator(".part-hit").first.click()
    finish(page, "Friction low: oiled the rear bushing")
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    queued = dict(page.evaluate(OPS, module_url(page, "outbox.js")))
    sent = queued["visit.record"]["steps"][2]
    assert (sent["status"], sent["value"], sent["follow_up"]) == ("fail", 3.2, True)

    wiper = db.session.get(Part, day["wiper"].id)
    wiper.active = False  # the office takes the kit off the list meanwhile
    db.session.commit()
    phone.offline(False)
    expect(phone.status()).to_contain_text("1 needs attention", timeout=30_000)
    phone.go("/sync")
    page.get_by_role("link", name="Correct and send").click()
    expect(page.locator("#visit-problems")).to_contain_text("The server refused this visit")
    friction = Friction(page)
    friction.shows_failed(follow_up_checked=True)
    page.locator("[data-part-row]").first.locator("select[name='part-sku']").select_option("")
    page.get_by_role("button", name="Finish visit").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)

    (visit,) = logged()
    result = friction_result(visit.id, day["version"].steps[2].id)
    assert (result.status, result.value) == ("fail", 3.2)
    job = db.session.get(Job, result.follow_up_job_id)
    assert job.source == "follow_up" and "(3.2 N, expected 4 to 6 N)" in job.problem


def test_a_saved_visit_corrected_back_inside_the_range_is_done(phone, live_server, day):
    """Online: 7.5 N is saved failed; the tech corrects it to 5 N the same day and the step
    is done (no follow-up job was asked for, none is made)."""
    page = start_on_the_job(phone, day, offline=False)
    first_two_steps(page)
    friction = Friction(page)
    friction.value.fill("7.5")
    expect(friction.failed).to_be_checked()
    expect(friction.note).to_have_text("7.5 N is outside the expected 4 to 6 N: this step failed.")
    finish(page, "Friction high: cleaned the rod")
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    (visit,) = logged()
    step_id = day["version"].steps[2].id
    assert friction_result(visit.id, step_id).status == "fail"

    phone.go(f"/visits/{visit.id}")
    report = page.locator("article.report")
    expect(report).to_contain_text("Followed On-site diagnostic and repair visit, version 1")
    expect(report.locator("tr", has_text="Carriage rod friction")).to_contain_text("7.5 N")
    expect(report.locator("tr", has_text="Carriage rod friction")).to_contain_text(
        "Expected 4 to 6 N"
    )
    page.get_by_role("link", name="Correct this visit").click()
    friction = Friction(page)
    expect(friction.failed).to_be_checked()
    expect(friction.note).to_contain_text("7.5 N is outside")
    friction.value.fill("5")
    expect(friction.done).to_be_checked()
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Correction saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    result = friction_result(visit.id, step_id)
    assert (result.status, result.value, result.follow_up_job_id) == ("done", 5.0, None)


def test_a_visit_started_on_v1_is_kept_with_v1_when_v2_comes_out_meanwhile(phone, live_server, day):
    """The tech starts a visit offline on version 1; the office publishes version 2 (a step
    added, the range widened); the phone, still offline, finishes on version 1 (also after a
    reload). Synced, the visit is kept with version 1: its results point at v1's steps, the
    failure is judged by v1's range, and its page says version 1."""
    v1 = day["version"]
    page = start_on_the_job(phone, day, offline=True)
    first_two_steps(page)
    friction = Friction(page)
    friction.value.fill("3.5")  # outside v1's 4 to 6 N; inside v2's 3 to 7 N
    friction.shows_failed("3.5")

    v2 = factories.publish_repair_v2(v1)
    assert v2.number == 2

    page.reload()  # still offline: the phone's copy of the form is version 1's
    expect(page.locator("[data-step]")).to_have_count(4)
    Friction(page).shows_failed("3.5")
    finish(page, "Oiled the rear bushing; friction still low")
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("on this phone")
    phone.offline(False)
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)

    (visit,) = logged()
    assert visit.sop_version_id == v1.id and visit.status == "finished"
    db.session.expire_all()
    followed = db.session.scalars(
        sa.select(SopStep.version_id).join(StepResult).where(StepResult.visit_id == visit.id)
    ).all()
    assert len(followed) == 3 and set(followed) == {v1.id}  # the photo is optional
    assert friction_result(visit.id, v1.steps[2].id).status == "fail"
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(SopVersion).where(SopVersion.sop_id == v1.sop_id)
        )
        == 2
    )
    phone.go(f"/visits/{visit.id}/report")
    expect(page.locator("article.report")).to_contain_text(
        "Followed On-site diagnostic and repair visit, version 1"
    )
    expect(page.locator("article.report")).not_to_contain_text("Clean the encoder strip")


def test_a_draft_reopened_on_a_newer_version_keeps_what_the_steps_share(phone, live_server, day):
    """Online, the phone fetches version 2 of the form while a visit typed on version 1 waits
    in its draft: the ticks, notes and values of the steps both versions share are carried
    over (by step, not by position), the tech is told to check the steps, and the visit is
    kept with the version it was finished on."""
    v1 = day["version"]
    page = start_on_the_job(phone, day, offline=False)
    cards = page.locator("[data-step]")
    cards.nth(0).locator(".status-choice", has_text="Done").click()
    cards.nth(1).locator(".status-choice", has_text="Fail").click()
    cards.nth(1).get_by_label("Note").fill("Banding in the area fills")
    Friction(page).value.fill("5")
    Friction(page).choose("Done")
    v2 = factories.publish_repair_v2(v1)

    page.reload()  # online: the newer form
    expect(cards).to_have_count(5)
    expect(page.locator("[data-procedure-changed]")).to_contain_text("this phone now has version 2")
    test_print = page.locator("[data-step]", has_text="Test print before")
    expect(test_print.get_by_role("radio", name="Fail")).to_be_checked()
    expect(test_print.get_by_label("Note")).to_have_value("Banding in the area fills")
    friction = page.locator("[data-step]", has_text="Carriage rod friction")
    expect(friction.get_by_label("Value (N)")).to_have_value("5")
    expect(friction.get_by_role("radio", name="Done")).to_be_checked()
    encoder = page.locator("[data-step]", has_text="Clean the encoder strip")
    expect(encoder.locator("input[type=radio]:checked")).to_have_count(0)
    encoder.locator(".status-choice", has_text="Done").click()
    finish(page, "Encoder strip cleaned; banding remains")
    expect(page.locator("[data-saved-confirmation]")).to_contain_text("Visit saved.")
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)

    (visit,) = logged()
    assert visit.sop_version_id == v2.id
    db.session.expire_all()
    kept = {
        result.step.title: (result.status, result.note)
        for result in db.session.scalars(
            sa.select(StepResult).where(StepResult.visit_id == visit.id)
        )
    }
    assert kept["Test print before"] == ("fail", "Banding in the area fills")
    assert kept["Carriage rod friction"][0] == "done" and len(kept) == 4
