"""The plotter page a scan opens for staff: facts, last visit, hints, history in pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fieldapp.extensions import db
from tests import factories
from tests.sql import count_queries


def build_history(plotter, tech, visits: int, *, start=None):
    part = factories.make_part(name="HP 729 printhead")
    van = factories.van_of(tech)
    start = start or datetime.now(UTC) - timedelta(days=visits * 3 + 1)
    for n in range(visits):
        factories.make_visit(
            plotter,
            tech,
            started_at=start + timedelta(days=3 * n),
            summary=f"Visit number {n}: cleaned encoder strip",
            codes=("87:11",) if n % 10 == 0 else (),
            parts=((part, 1, van),) if n % 7 == 0 else (),
            meter=100_000 + 1_000 * n,
            commit=False,
        )
    db.session.commit()


def test_plotter_page_shows_everything_a_tech_needs(client, auth):
    """Does the page show customer, site, location, model, serial, jobs, meter and history?"""
    tech = auth.login("tech", name="Sam Okafor")
    customer = factories.make_customer(
        name="Halvorsen Kline Architects", phone="+1 555 0142", address="400 Lake St, Chicago"
    )
    plotter = factories.make_equipment(
        customer, model="DesignJet T1700", location_note="18th floor print room"
    )
    job = factories.make_job(
        customer,
        equipment=plotter,
        problem="Carriage stuck, 86:01",
        assigned_to_id=tech.id,
        status="scheduled",
    )
    part = factories.make_part(name="Carriage belt 44in", sku="CR357-67010", unit_cost_cents=8900)
    van = factories.make_location("van", tech=tech)
    factories.make_visit(
        plotter,
        tech,
        started_at=datetime.now(UTC) - timedelta(days=12),
        summary="Replaced carriage belt; 86:01 cleared, test plot clean",
        codes=("86:01",),
        parts=((part, 1, van),),
        meter=182_340,
    )
    html = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    for text in (
        "Halvorsen Kline Architects",
        "400 Lake St, Chicago",
        "18th floor print room",
        "DesignJet T1700",
        plotter.serial_number,
        plotter.short_code,
        job.number,
        "Carriage stuck, 86:01",
        "182,340",
        "Carriage belt 44in",
        "86:01",
    ):
        assert text in html, text
    assert re.search(r"Last visit: 12 days ago</strong> by Sam: Replaced carriage belt", html)
    assert 'href="tel:+15550142"' in html
    assert "google.com/maps/dir" in html
    assert "Edit" not in re.sub(r"<[^>]+>", " ", html).split()  # office-only actions hidden
    assert 'action="/e/' not in html  # no reprint form for techs


def test_office_sees_edit_and_label_actions(client, auth):
    auth.login("office")
    plotter = factories.make_equipment()
    html = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert f"/plotters/{plotter.id}/edit" in html
    assert "Reprint with a new code" in html


def test_failed_steps_and_sop_show_in_the_timeline(client, auth):
    from fieldapp.sops.services import StepText, publish_sop_version
    from fieldapp.visits.models import StepResult

    tech = auth.login("tech")
    plotter = factories.make_equipment()
    version = publish_sop_version(
        "repair",
        title="On-site repair",
        category="repair",
        summary="",
        steps=[StepText("Test print before", "", "pass_fail"), StepText("Clean", "", "check")],
        change_note="",
        author_id=None,
    )
    visit = factories.make_visit(plotter, tech, outcome="needs_followup", commit=False)
    visit.sop_version_id = version.id
    db.session.add_all(
        [
            StepResult(
                visit_id=visit.id,
                step_id=version.steps[0].id,
                status="fail",
                note="Banding in cyan",
                by_id=tech.id,
            ),
            StepResult(
                visit_id=visit.id, step_id=version.steps[1].id, status="done", by_id=tech.id
            ),
        ]
    )
    db.session.commit()
    html = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert "On-site repair v1" in html
    assert "Test print before" in html and "Banding in cyan" in html
    assert "Needs follow-up" in html


def test_history_loads_in_pages_newest_first(client, auth):
    """Are visits shown newest first, 10 at a time, with a working 'Older visits' link?"""
    tech = auth.login("tech")
    plotter = factories.make_equipment()
    build_history(plotter, tech, 25)
    html = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    timeline = html[html.index('id="history"') :]
    numbers = [int(n) for n in re.findall(r"Visit number (\d+):", timeline)]
    assert numbers == list(range(24, 14, -1))
    older = re.search(r'data-load-more href="([^"]+)"', html).group(1).replace("&amp;", "&")
    fragment = client.get(older.split("#")[0] + "&fragment=history").get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Visit number (\d+):", fragment)] == list(range(14, 4, -1))
    assert "<html" not in fragment
    last = re.search(r'data-load-more href="([^"]+)"', fragment).group(1).replace("&amp;", "&")
    rest = client.get(last.split("#")[0]).get_data(as_text=True)
    assert [int(n) for n in re.findall(r"Visit number (\d+):", rest)] == list(range(4, -1, -1))
    assert "data-load-more" not in rest


def test_tampered_cursor_starts_from_the_newest(client, auth):
    tech = auth.login("tech")
    plotter = factories.make_equipment()
    build_history(plotter, tech, 3)
    response = client.get(f"/e/{plotter.qr_token}?before=garbage")
    assert response.status_code == 200
    assert "Visit number 2:" in response.get_data(as_text=True)


def test_query_count_does_not_grow_with_history(client, auth):
    """Does the page run the same number of SQL queries for 3 visits and for 120?"""
    tech = auth.login("tech")
    short, long = factories.make_equipment(), factories.make_equipment()
    build_history(short, tech, 3)
    build_history(long, tech, 120)
    for plotter in (short, long):  # warm up: the first request also loads the user
        client.get(f"/e/{plotter.qr_token}")
    with count_queries() as few:
        assert client.get(f"/e/{short.qr_token}").status_code == 200
    with count_queries() as many:
        assert client.get(f"/e/{long.qr_token}").status_code == 200
    assert len(many) == len(few), "\n".join(many)
    assert len(many) <= 20


def test_page_stays_small_with_500_visits(client, auth):
    """Is the HTML of a plotter with 500 visits under 40 KB?"""
    tech = auth.login("tech")
    plotter = factories.make_equipment()
    build_history(plotter, tech, 500)
    response = client.get(f"/e/{plotter.qr_token}")
    assert response.status_code == 200
    assert len(response.data) < 40 * 1024, len(response.data)


def test_recurring_error_and_part_are_hinted(client, auth):
    """Is there a hint when the same error code or part comes back within 90 days?"""
    tech = auth.login("tech")
    plotter = factories.make_equipment()
    part = factories.make_part(name="Trailing cable T1700")
    van = factories.make_location("van", tech=tech)
    now = datetime.now(UTC)
    factories.make_visit(
        plotter,
        tech,
        started_at=now - timedelta(days=80),
        codes=("87:11",),
        parts=((part, 1, van),),
    )
    factories.make_visit(
        plotter,
        tech,
        started_at=now - timedelta(days=20),
        codes=("87:11",),
        parts=((part, 1, van),),
    )
    factories.make_visit(plotter, tech, started_at=now - timedelta(days=300), codes=("79:04",))
    factories.make_visit(plotter, tech, started_at=now - timedelta(days=150), codes=("79:04",))
    html = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert "87:11</span> keeps coming back" in html
    assert "Trailing cable T1700 replaced again" in html
    assert "79:04</span> keeps coming back" not in html  # 150 days apart: not a recurrence


def test_two_visits_of_one_job_are_not_a_recurrence(client, auth):
    tech = auth.login("tech")
    plotter = factories.make_equipment()
    job = factories.make_job(equipment=plotter)
    now = datetime.now(UTC)
    factories.make_visit(
        plotter,
        tech,
        started_at=now - timedelta(days=9),
        codes=("86:01",),
        outcome="needs_parts",
        job=job,
    )
    factories.make_visit(
        plotter, tech, started_at=now - timedelta(days=2), codes=("86:01",), job=job
    )
    assert "keeps coming back" not in client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)


def test_empty_history_has_a_real_empty_state(client, auth):
    auth.login("tech")
    plotter = factories.make_equipment()
    html = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert "No service history yet" in html and "No visits logged yet" in html


def test_short_code_in_the_url_redirects_to_the_token(client, auth):
    auth.login("tech")
    plotter = factories.make_equipment()
    response = client.get(f"/e/{plotter.short_code.lower()}")
    assert response.status_code == 301
    assert response.location.endswith(f"/e/{plotter.qr_token}")


def test_unknown_code_signed_in_gets_a_friendly_404(client, auth):
    auth.login("tech")
    response = client.get("/e/ZZZZZZZZ")
    assert response.status_code == 404
    assert "We don't know this label" in response.get_data(as_text=True)
