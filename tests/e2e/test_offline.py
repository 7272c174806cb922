"""A day in a basement: the offline pack, the outbox, restarts, failures and corrections.

Each test uses a phone with a persistent browser profile (so a restart keeps the service
worker, its caches and IndexedDB, as a real phone does) and cuts the network with
context.set_offline.
"""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from playwright.sync_api import expect

from fieldapp.extensions import db
from fieldapp.inventory.models import StockMovement
from fieldapp.jobs.models import Job
from fieldapp.photos.models import Photo
from fieldapp.visits.models import StepResult
from tests import factories
from tests.e2e.browser import click_and_wait_for_reload, sign_in
from tests.e2e.camera import qr_video
from tests.e2e.phone import level, log_visit, log_visit_offline, visits


def test_a_day_without_signal(phone, live_server, day, tmp_path):
    """Pack → offline → three plotters (one scanned) → two visits with parts and a photo →
    restart while offline → still pending → online → exactly those two visits on the server."""
    scanned = day["scanned"]
    label = f"{live_server.app.config['PUBLIC_URL']}/e/{scanned.qr_token}"
    video = qr_video(tmp_path / "label.y4m", label)
    photo = tmp_path / "test-plot.jpg"
    photo.write_bytes(factories.jpeg_bytes(2400, 1600))
    page = phone.start(video=video)
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    expect(page.locator("[data-pack-summary]")).to_contain_text("Offline ready: 3 plotters, 1 SOP")
    phone.ready_for_offline(
        "/",
        f"/e/{day['on_job'].qr_token}",
        "/visits/form/repair",
        "/visits/form/none",
        "/scan",
        "/offline/plotter",
    )

    phone.offline()
    # 1. the plotter on my job: its page was cached with the pack
    phone.go(f"/e/{day['on_job'].qr_token}")
    expect(page.get_by_role("heading", name="HP DesignJet T830")).to_be_visible()
    # 2. a plotter whose page was never opened: drawn from the pack
    phone.go(f"/e/{day['nearby'].qr_token}")
    expect(page.get_by_role("heading", name="HP DesignJet T1700")).to_be_visible()
    expect(page.locator("[data-timeline]")).to_contain_text("Cleaned encoder strip")
    # 3. the in-app scanner reads a label with the camera
    phone.go("/scan")
    start = page.get_by_role("button", name="Start camera")
    if start.is_visible():
        start.click()
    expect(page).to_have_url(re.compile(rf"/e/{scanned.qr_token}$"), timeout=20_000)
    expect(page.get_by_role("heading", name="Canon imagePROGRAF TM-300")).to_be_visible()

    # Visit one: the scanned plotter, with a part and a photo.
    page.get_by_role("link", name="Start visit").click()
    log_visit(
        page, part_search="wiper", summary="Replaced the wiper kit; nozzles clean", photo=photo
    )
    expect(page).to_have_url(re.compile(rf"/e/{scanned.qr_token}#saved$"))
    expect(page.locator("[data-pending-visit]")).to_contain_text("Waiting to sync")
    # Visit two: the plotter on my job, started from its cached page.
    phone.go(f"/e/{day['on_job'].qr_token}")
    page.get_by_role("link", name="Start visit").click()
    log_visit(page, part_search="belt", summary="Replaced carriage belt; 86:01 cleared")
    expect(page.locator("[data-pending-visit]")).to_contain_text("Replaced carriage belt")
    expect(phone.status()).to_contain_text("Offline")
    expect(phone.status()).to_contain_text("waiting to sync")
    assert visits() == [v for v in visits() if v.source == "import"]  # nothing reached the server

    # The phone restarts (battery swap) while still offline: the work is still there.
    phone.stop()
    page = phone.start(offline=True)
    phone.go("/")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    expect(phone.status()).to_contain_text("waiting to sync")

    # Signal again: everything is sent, once.
    phone.offline(False)
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    logged = [v for v in visits() if v.source != "import"]
    assert sorted(v.equipment_id for v in logged) == sorted([scanned.id, day["on_job"].id])
    by_plotter = {v.equipment_id: v for v in logged}
    first, second = by_plotter[scanned.id], by_plotter[day["on_job"].id]
    assert first.summary == "Replaced the wiper kit; nozzles clean" and first.status == "finished"
    assert second.job_id == day["job"].id
    for visit in (first, second):
        results = db.session.scalars(sa.select(StepResult).where(StepResult.visit_id == visit.id))
        assert len(list(results)) == 3
    photos = list(db.session.scalars(sa.select(Photo).where(Photo.visit_id == first.id)))
    assert len(photos) == 1 and max(photos[0].width, photos[0].height) <= 2048
    assert level(day["wiper"], day["van"]) == 4 and level(day["belt"], day["van"]) == 4
    assert db.session.get(Job, day["job"].id).status == "done"


def test_server_errors_and_lost_answers_never_duplicate(phone, live_server, day):
    """First sync answers 500, the second commits but the answer is lost: still one visit and
    one stock movement."""
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    phone.ready_for_offline("/visits/form/repair")
    calls = {"n": 0}

    def flaky(route):
        calls["n"] += 1
        if calls["n"] == 1:
            route.fulfill(status=500, body="boom")
        elif calls["n"] == 2:
            route.fetch()  # the server applies the ops...
            route.abort("connectionreset")  # ...but the phone never hears back
        else:
            route.continue_()

    phone.context.route("**/api/v1/sync", flaky)
    phone.go(f"/e/{day['on_job'].qr_token}")
    page.get_by_role("link", name="Start visit").click()
    log_visit(page, part_search="belt", summary="Belt swapped")
    expect(phone.status()).to_contain_text("all synced", timeout=40_000)
    assert calls["n"] >= 3
    logged = [v for v in visits() if v.source != "import"]
    assert len(logged) == 1
    uses = db.session.scalars(
        sa.select(StockMovement).where(
            StockMovement.visit_id == logged[0].id, StockMovement.kind == "use"
        )
    ).all()
    assert len(uses) == 1 and level(day["belt"], day["van"]) == 4


def test_new_plotter_and_unknown_label(phone, live_server, day):
    """A plotter added after the pack syncs to the right plotter; an unknown label is refused
    and shown under "needs attention" with the reason."""
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    phone.ready_for_offline("/offline/plotter", "/visits/form/repair")
    late = factories.make_equipment(model="SureColor T5170", make="Epson")
    phone.offline()
    for token, summary in ((late.qr_token, "Replaced maintenance box"), ("ZZZZZZZZ", "Mystery")):
        phone.go(f"/e/{token}")
        expect(page.get_by_role("heading", name="Not in your offline data")).to_be_visible()
        page.get_by_role("link", name="Log a visit anyway").click()
        log_visit(page, part_search=None, summary=summary)
        expect(page).to_have_url(re.compile(rf"/e/{token}#saved$"))
    phone.offline(False)
    expect(phone.status()).to_contain_text("need", timeout=30_000)
    logged = [v for v in visits() if v.source != "import"]
    assert [(v.equipment_id, v.summary) for v in logged] == [(late.id, "Replaced maintenance box")]
    phone.go("/sync")
    attention = page.locator('[data-ops="rejected"]')
    expect(attention).to_contain_text("Visit on PM-ZZZZ-ZZZZ")
    expect(attention).to_contain_text("No plotter has that label")
    page.get_by_role("button", name="Discard").first.click()
    expect(attention.locator("li")).to_have_count(1)  # the refused visit.start


def test_status_change_on_a_cancelled_job_is_refused_and_the_visit_kept(phone, live_server, day):
    page = log_visit_offline(phone, day, "Belt replaced before I heard")
    job = db.session.get(Job, day["job"].id)
    job.status = "cancelled"  # the office cancelled the job meanwhile
    db.session.commit()
    phone.offline(False)
    expect(phone.status()).to_contain_text("need", timeout=30_000)
    logged = [v for v in visits() if v.source != "import"]
    assert len(logged) == 1 and logged[0].job_id == job.id  # the visit is kept
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "cancelled"
    phone.go("/sync")
    expect(page.locator('[data-ops="rejected"]')).to_contain_text("cancelled")


def test_sign_out_keeps_pending_work_for_that_user_only(phone, live_server, day):
    other = factories.make_user("tech", email="priya@example.com")
    page = log_visit_offline(phone, day, "Logged before signing out")
    # Back online, but the sync endpoint is out of reach: the visit stays on the phone.
    phone.context.route("**/api/v1/sync", lambda route: route.abort("internetdisconnected"))
    phone.offline(False)
    messages = []
    page.on("dialog", lambda dialog: messages.append(dialog.message))
    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile("/login"))
    assert messages and "not sent yet" in messages[0]
    phone.context.unroute("**/api/v1/sync")
    sign_in(page, phone.base, other.email, factories.PASSWORD)
    expect(phone.status()).to_contain_text("all synced")
    assert [v for v in visits() if v.source != "import"] == []  # Priya never sends Sam's work
    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile("/login"))
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    logged = [v for v in visits() if v.source != "import"]
    assert len(logged) == 1 and logged[0].tech_id == day["tech"].id


def test_same_visit_id_resent_is_a_duplicate(phone, live_server, day):
    """The outbox resending a batch the server already applied reports duplicates."""
    page = phone.start()
    sign_in(page, phone.base, day["tech"].email, factories.PASSWORD)
    visit_id = str(uuid.uuid4())
    body = {
        "ops": [
            {
                "id": str(uuid.uuid4()),
                "type": "message.post",
                "payload": {"id": visit_id, "job": day["job"].number, "body": "On my way"},
            }
        ]
    }
    statuses = page.evaluate(
        """async (body) => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const headers = {"Content-Type": "application/json", "X-CSRFToken": token};
            const send = () => fetch("/api/v1/sync",
                {method: "POST", body: JSON.stringify(body), headers}).then(r => r.json());
            return [(await send()).results[0].status, (await send()).results[0].status];
        }""",
        body,
    )
    assert statuses == ["applied", "duplicate"]


def test_new_app_version_while_work_is_pending_keeps_it_and_sends_it(phone, live_server, day):
    """A deploy lands while a visit waits offline: the update waits for the tech, and after
    Reload the visit is still there and is sent."""
    from tests.e2e.test_pwa import publish_new_version

    page = log_visit_offline(phone, day, "Logged before the update")
    expect(phone.status()).to_contain_text("waiting to sync")
    # Back in range, but the sync endpoint is unreachable for now: the work stays pending.
    phone.context.route("**/api/v1/sync", lambda route: route.abort("connectionreset"))
    phone.offline(False)
    publish_new_version(live_server, page)
    banner = page.get_by_role("status").filter(has_text="A new version of FieldApp is ready.")
    expect(banner).to_be_visible()
    expect(phone.status()).to_contain_text("waiting to sync")
    click_and_wait_for_reload(page, banner.get_by_role("button", name="Reload"))
    expect(banner).to_have_count(0)
    expect(phone.status()).to_contain_text("waiting to sync")
    phone.context.unroute("**/api/v1/sync")
    phone.go("/sync")
    page.get_by_role("button", name="Sync now").click()
    expect(phone.status()).to_contain_text("all synced", timeout=30_000)
    logged = [v for v in visits() if v.source != "import"]
    assert [v.summary for v in logged] == ["Logged before the update"]
