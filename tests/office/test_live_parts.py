"""The live parts of the dashboard and the board (?part=live): what the page's poller swaps in
when the feed moves, drawn by the same templates as the page, for the office only."""

from __future__ import annotations

import re
import uuid

import pytest

from fieldapp.jobs.services import assign_job
from fieldapp.messages.services import post_message
from fieldapp.visits.services import start_visit
from tests import factories
from tests.factories import committed


def regions(html: str) -> dict[str, str]:
    """Each data-live region's inner HTML, by its name (the page's and the fragment's)."""
    found = {}
    for name in set(re.findall(r'data-live="([^"]+)"', html)):
        match = re.search(rf'<(\w+)[^>]*\bdata-live="{re.escape(name)}"[^>]*>', html)
        tag, start = match.group(1), match.end()
        depth, position = 1, start
        pattern = re.compile(rf"<(/?){tag}\b[^>]*>")
        while depth:
            step = pattern.search(html, position)
            depth += -1 if step.group(1) else 1
            position = step.end()
        found[name] = html[start : step.start()].strip()
    return found


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def office(client, auth):
    return auth.login("office", name="Maria Chen")


@pytest.fixture
def scene():
    tech = factories.make_user("tech", name="Sam Okafor")
    customer = factories.make_customer(name="Lakeshore Reprographics")
    plotter = factories.make_equipment(customer, model="DesignJet T830")
    job = factories.make_job(customer, equipment=plotter, status="new", scheduled_for=None)
    return tech, plotter, job


def test_dashboard_live_parts_are_the_pages_own(client, office, scene):
    """Does ?part=live send the tech cards, counters, unassigned and request lists and the nav
    labels, each exactly as the full page draws it, and nothing else of the page?"""
    page = regions(client.get("/").get_data(as_text=True))
    response = client.get("/?part=live")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    live = regions(html)
    wanted = {"stats", "tech-cards", "unassigned", "requests", "failed-steps", "nav-jobs.board"}
    assert wanted <= set(live)
    assert "<html" not in html and "data-feed" not in html
    for name, inner in live.items():
        assert inner == page[name], name


def test_dashboard_live_parts_follow_a_visit_an_assignment_and_a_message(client, office, scene):
    """The bug: a tech's card said Idle after the feed said on site, and the counters, the
    unassigned list and the unread badge changed only on reload. Does the fragment change?"""
    tech, plotter, job = scene
    before = regions(client.get("/?part=live").get_data(as_text=True))
    assert "Idle" in text(before["tech-cards"])
    assert job.number in before["unassigned"]
    assert "nav-count" not in before["nav-jobs.board"]

    committed(assign_job, job, tech.id, None, office.id)
    committed(
        start_visit, visit_id=uuid.uuid4(), equipment=plotter, tech=tech, job=job, strict_job=False
    )
    committed(post_message, job, tech, "On site, the carriage is stuck")

    after = regions(client.get("/?part=live").get_data(as_text=True))
    assert "On site at Lakeshore Reprographics" in text(after["tech-cards"])
    assert job.number not in after["unassigned"]
    assert "Every open job has a tech." in text(after["unassigned"])
    assert re.search(r'class="value">0<.*Unassigned', after["stats"])
    assert 'title="1 unread in job threads"' in after["nav-jobs.board"]


def test_board_live_parts_keep_the_filters(client, office, scene):
    """Does the board's fragment draw the columns and the total the page draws, with the same
    filters, and show a new unread message on the job's card?"""
    tech, _, job = scene
    other = factories.make_job(status="scheduled", assigned_to_id=tech.id)
    path = "/jobs?tech=none"
    page = regions(client.get(path).get_data(as_text=True))
    live = regions(client.get(path + "&part=live").get_data(as_text=True))
    assert live["board"] == page["board"] and live["board-total"] == page["board-total"]
    assert job.number in live["board"] and other.number not in live["board"]

    committed(post_message, job, tech, "Which floor?")
    live = regions(client.get(path + "&part=live").get_data(as_text=True))
    card = live["board"].split(f'data-job="{job.number}"')[1].split("</a>")[0]
    assert "1 unread messages" in card
    assert 'title="1 unread in job threads"' in live["nav-jobs.board"]


def test_board_live_parts_are_not_a_techs(client, auth):
    """Is the board's fragment refused to a tech and to someone not signed in?"""
    assert client.get("/jobs?part=live").status_code == 302
    auth.login("tech")
    assert client.get("/jobs?part=live").status_code == 403
