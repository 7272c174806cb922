"""The visit pages: start from a job, log on site, finish, the report; and who may do what."""

from __future__ import annotations

import io
import re
import uuid

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.inventory.models import StockLevel
from fieldapp.photos.models import Photo
from fieldapp.visits.models import Visit
from tests import factories


@pytest.fixture
def signed_in(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    return client


def start(client, site) -> uuid.UUID:
    page = client.get(f"/visits/new?job={site.job.number}").get_data(as_text=True)
    assert "On-site diagnostic and repair visit" in page and "Suggested" in page
    visit_id = re.search(r'name="visit_id" value="([^"]+)"', page).group(1)
    response = client.post(
        "/visits/start",
        data={
            "visit_id": visit_id,
            "plotter": site.plotter.qr_token,
            "job": site.job.number,
            "sop_version": site.version.id,
        },
    )
    assert response.status_code == 302 and response.location == f"/visits/{visit_id}"
    return uuid.UUID(visit_id)


def finish_form(site, **changes) -> dict:
    from datetime import datetime, timedelta

    yesterday = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")
    steps = site.version.steps
    form = {
        f"step-{steps[0].id}-status": "done",
        f"step-{steps[1].id}-status": "pass",
        f"step-{steps[2].id}-status": "done",
        f"step-{steps[2].id}-value": "3,5",
        "part-sku": ["CR357-67010", "F9J81A", ""],
        "part-qty": ["1", "1", "1"],
        "part-from": ["van", "van", "van"],
        "meter_reading": "182,340",
        "outcome": "fixed",
        "summary": "Replaced carriage belt; 86:01 cleared",
        "error_codes": "86:01, 87:11",
        "started_at": f"{yesterday}T09:00",
        "finished_at": f"{yesterday}T10:10",
        "signoff_name": "Dana Ruiz",
    }
    form.update(changes)
    return form


def test_starting_from_a_job_puts_it_in_progress(signed_in, site):
    visit_id = start(signed_in, site)
    visit = db.session.get(Visit, visit_id)
    assert visit.status == "in_progress" and visit.sop_version_id == site.version.id
    db.session.refresh(site.job)
    assert site.job.status == "in_progress"
    page = signed_in.get(f"/visits/{visit_id}").get_data(as_text=True)
    for step in site.version.steps:
        assert step.title in page
    today = signed_in.get("/").get_data(as_text=True)
    assert "Continue visit" in today


def test_finishing_without_required_steps_lists_exactly_what_is_missing(signed_in, site):
    visit_id = start(signed_in, site)
    steps = site.version.steps
    form = finish_form(site)
    del form[f"step-{steps[0].id}-status"]
    del form[f"step-{steps[2].id}-status"]
    response = signed_in.post(f"/visits/{visit_id}", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Required steps not done: 1. Read the history; 3. Carriage rod friction" in html
    assert (
        "Photo of the test plot" not in html.split("Required steps not done")[1].split("</li>")[0]
    )
    assert db.session.get(Visit, visit_id).status == "in_progress"
    assert 'value="182,340"' in html  # what was typed is kept


def test_finishing_records_the_visit_and_shows_it_first_in_history(signed_in, site):
    from datetime import UTC, datetime, timedelta

    older = factories.make_visit(
        site.plotter, site.tech, started_at=datetime.now(UTC) - timedelta(days=40)
    )
    visit_id = start(signed_in, site)
    form = finish_form(site, **{"photo-file": (io.BytesIO(factories.jpeg_bytes()), "before.jpg")})
    response = signed_in.post(f"/visits/{visit_id}", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert response.location == f"/visits/{visit_id}"
    saved = signed_in.get(response.location).get_data(as_text=True)
    assert "Visit saved." in saved and f"/visits/{visit_id}/report" in saved
    visit = db.session.get(Visit, visit_id)
    assert visit.status == "finished" and visit.outcome == "fixed"
    assert sorted(c.code for c in visit.error_codes) == ["86:01", "87:11"]
    kinds = sorted(
        p.kind for p in db.session.scalars(sa.select(Photo).where(Photo.visit_id == visit_id))
    )
    assert kinds == ["photo"]  # a drawn signature needs JavaScript (it goes by the outbox)
    van = {
        part_id: quantity
        for part_id, quantity in db.session.execute(
            sa.select(StockLevel.part_id, StockLevel.quantity).where(
                StockLevel.location_id == site.van.id
            )
        )
    }
    assert van[site.belt.id] == 2 and van[site.head.id] == 0
    db.session.refresh(site.job)
    assert site.job.status == "done"
    page = signed_in.get(f"/e/{site.plotter.qr_token}").get_data(as_text=True)
    timeline = page[page.index('id="history"') :]
    shown = re.findall(r'data-visit="([^"]+)"', timeline)
    assert shown == [str(visit_id), str(older.id)]
    assert f'href="/visits/{visit_id}"' in timeline  # every entry opens its visit
    report = signed_in.get(f"/visits/{visit_id}/report").get_data(as_text=True)
    for text in (
        "Service report",
        "Dana Ruiz",
        "Carriage belt 24in",
        "182,340",
        "Pass",
        "3.5 N",
        "Halvorsen Kline Architects",
    ):
        assert text in report, text


def test_failed_step_follow_up_from_the_page(signed_in, site):
    visit_id = start(signed_in, site)
    fail_step = site.version.steps[1]
    form = finish_form(site, outcome="needs_followup")
    form[f"step-{fail_step.id}-status"] = "fail"
    form[f"step-{fail_step.id}-note"] = "Banding in cyan after belt swap"
    form[f"step-{fail_step.id}-follow_up"] = "1"
    response = signed_in.post(f"/visits/{visit_id}", data=form)
    assert response.status_code == 302
    page = signed_in.get(response.location).get_data(as_text=True)
    assert "Follow-up job J-" in page and "Banding in cyan" in page


def test_a_tech_cannot_open_or_finish_another_techs_visit(client, site):
    other = factories.make_user("tech")
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    visit_id = start(client, site)
    client.post("/logout")
    client.post("/login", data={"email": other.email, "password": factories.PASSWORD})
    assert client.get(f"/visits/{visit_id}").status_code == 403
    assert client.post(f"/visits/{visit_id}", data=finish_form(site)).status_code == 403
    from tests.scenarios import complete_visit

    payload = complete_visit(site, id=str(visit_id))
    response = client.post("/api/v1/visits", json=payload)
    assert response.status_code == 403
    assert db.session.get(Visit, visit_id).status == "in_progress"
    assert client.get(f"/visits/{visit_id}/report").status_code == 403


def test_office_cannot_log_visits_but_can_read_reports(client, site, auth):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    visit_id = start(client, site)
    client.post(f"/visits/{visit_id}", data=finish_form(site))
    auth.logout()
    auth.login("office")
    assert client.get("/visits/new").status_code == 403
    assert client.get(f"/visits/{visit_id}/report").status_code == 200
    assert client.get("/van").status_code == 403


def test_starting_on_a_closed_job_is_refused(signed_in, site):
    site.job.status = "done"
    db.session.commit()
    response = signed_in.post(
        "/visits/start",
        data={
            "visit_id": str(uuid.uuid4()),
            "plotter": site.plotter.qr_token,
            "job": site.job.number,
        },
        follow_redirects=True,
    )
    assert "already done" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_van_page_highlights_low_items(signed_in, site):
    factories.set_limits(site.belt, site.van, 5)
    html = signed_in.get("/van").get_data(as_text=True)
    assert "Carriage belt 24in" in html and "HP 729 printhead" in html
    assert "1 item low or out" in html
    belt_row = html[html.index('data-sku="CR357-67010"') :][:600]
    assert "Low" in belt_row


def test_sop_page_offers_use_in_a_visit(signed_in, site):
    html = signed_in.get(f"/sops/{site.version.sop.slug}").get_data(as_text=True)
    assert f"/visits/new?sop={site.version.sop.slug}" in html


def test_the_start_page_suggests_for_the_job_it_picks(signed_in, site):
    """From a plotter with an open preventive job, the job picked first brings its own
    procedure and no quick visit; "No job" suggests the repair procedure."""
    preventive = factories.make_sop("pm", category="preventive")
    plotter = factories.make_equipment(site.plotter.customer)
    factories.make_job(equipment=plotter, kind="preventive", status="new", problem="PM due")

    page = signed_in.get(f"/visits/new?plotter={plotter.qr_token}").get_data(as_text=True)

    assert re.search(rf'value="{preventive.id}" checked', page)
    assert re.search(r'data-suggests="(\d+)" data-needs-procedure checked', page).group(1) == str(
        preventive.id
    )
    assert f'value="" data-suggests="{site.version.id}"' in page  # "No job": repair
    assert re.search(r"data-quick-choice hidden>.*disabled", page)
