"""The plotter page runs a few SQL statements, the same few however long the history is."""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from fieldapp.customers.models import Contact, Site
from fieldapp.extensions import db
from fieldapp.photos.services import add_photo
from fieldapp.visits.models import StepResult, Visit
from tests import factories
from tests.contracts.helpers import contract_for, plan_for
from tests.sql import count_queries

# Every statement of a scan as a new request makes them: the signed-in user, the company's
# settings, the plotter (customer, site and site contact), the timeline (each visit with its
# codes, parts, failed steps, photos and meter), the rest of the page in one row, the badge.
PLOTTER_PAGE_STATEMENTS = {"tech": 6, "office": 6}


def busy_plotter(tech, visits: int, sop=None):
    """A plotter at a site with a contact, on a contract with a PM plan, two open jobs and a
    done one, `visits` visits with error codes, parts, photos, failed steps and meter
    readings, and the tech's visit under way."""
    customer = factories.make_customer(name="Halvorsen Kline Architects")
    site = Site(customer_id=customer.id, name="Loop office", address="200 W Adams St")
    db.session.add(site)
    db.session.flush()
    db.session.add(
        Contact(
            customer_id=customer.id,
            site_id=site.id,
            name="Dana Ruiz",
            phone="+1 555 0199",
            is_site_contact=True,
        )
    )
    db.session.commit()
    plotter = factories.make_equipment(customer, site_id=site.id, meter_unit="sq_ft")
    sop = sop or factories.make_sop()
    today = date.today()
    contract = contract_for(
        customer, [plotter], starts_on=today - timedelta(days=30), ends_on=today + timedelta(300)
    )
    plan_for([plotter], contract=contract, starts_on=today - timedelta(days=30), every_months=3)
    factories.make_job(customer, equipment=plotter, status="scheduled", assigned_to_id=tech.id)
    factories.make_job(customer, equipment=plotter, status="new", priority="urgent")
    done = factories.make_job(customer, equipment=plotter, status="done")
    part = factories.make_part(name="Carriage belt 44in")
    van = factories.van_of(tech)
    start = datetime.now(UTC) - timedelta(days=2 * visits + 2)
    for n in range(visits):
        visit = factories.make_visit(
            plotter,
            tech,
            started_at=start + timedelta(days=2 * n),
            summary=f"Visit number {n}",
            codes=("86:01", "87:11") if n % 2 else ("86:01",),
            parts=((part, 1, van),),
            meter=100_000 + 1_000 * n,
            job=done if n == 0 else None,
            commit=False,
        )
        visit.sop_version_id = sop.id
        db.session.add(
            StepResult(visit_id=visit.id, step_id=sop.steps[1].id, status="fail", by_id=tech.id)
        )
        add_photo(factories.jpeg_bytes(64, 48), uploaded_by_id=tech.id).visit_id = visit.id
    db.session.add(
        Visit(
            id=uuid.uuid4(),
            equipment_id=plotter.id,
            tech_id=tech.id,
            status="in_progress",
            started_at=datetime.now(UTC) - timedelta(minutes=20),
        )
    )
    db.session.commit()
    return plotter


def statements_of(client, path: str) -> list[str]:
    """The statements of one GET made as a new request does: a new session, nothing cached."""
    client.get(path)  # warm up (templates, the compiled statements)
    db.session.remove()
    gc.collect()
    with count_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return statements


@pytest.mark.parametrize("role", ["tech", "office"])
def test_plotter_page_statements_are_few_and_do_not_grow_with_history(client, auth, role):
    """Does the page of a busy plotter run the same 6 statements for 3 visits and for 12?"""
    tech = factories.make_user("tech")
    auth.login(role) if role == "office" else auth.login(user=tech)
    sop = factories.make_sop()
    short = f"/e/{busy_plotter(tech, 3, sop).qr_token}"
    long = f"/e/{busy_plotter(tech, 12, sop).qr_token}"
    few, many = statements_of(client, short), statements_of(client, long)
    assert len(few) == PLOTTER_PAGE_STATEMENTS[role], "\n\n".join(few)
    assert len(many) == len(few), "\n\n".join(many)


@pytest.mark.parametrize("role", ["tech", "office"])
def test_the_busy_plotter_page_shows_what_its_one_row_brought(client, auth, role):
    """Does the page still show each thing the lists read together bring: the open jobs and
    who has them, the plan with its contract, the contract's cover, the meter, the parts,
    the hints, the visit under way, photos and failed steps (and the job history)?"""
    tech = factories.make_user("tech", name="Sam Okafor")
    auth.login(role) if role == "office" else auth.login(user=tech)
    plotter = busy_plotter(tech, 4)
    path = f"/e/{plotter.qr_token}"
    db.session.remove()
    html = client.get(path).get_data(as_text=True)
    for text in (
        "Loop office",
        "Call Dana",
        "Open jobs",
        "Sam Okafor · ",
        "Unassigned",
        "Every 3 months",
        "SC-T-",
        "Under contract until",
        "Labour covered",
        "103,000",  # the latest meter reading
        "About 15,000 per month over the last 4 readings.",
        "Carriage belt 44in</strong>",
        "4 in 4 visits",
        "86:01</span> keeps coming back",
        "Failed:</strong> Test print before",
    ):
        assert text in html, text
    assert html.count('loading="lazy"></a>') == 4  # a photo on each visit
    if role == "tech":
        assert "Continue visit" in html and "Start visit" not in html
    else:
        assert "Continue visit" not in html
        assert html.count('class="item"') == 3  # the job history: all three jobs
