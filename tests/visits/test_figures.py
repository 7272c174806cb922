"""An SOP's figures: in the last 90 days, how many visits followed it and which steps fail or
are marked N/A most often (the same step across versions), with links to those visits, in a
fixed number of queries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template

from fieldapp.extensions import db
from fieldapp.sops.models import Sop
from fieldapp.sops.services import StepText, publish_sop_version
from fieldapp.visits.figures import step_figures
from fieldapp.visits.models import StepResult, Visit
from tests import factories
from tests.sql import count_queries


def publish_v2(version):
    """Version 2: "Test print before" moves down a place; a step is added before it."""
    return factories.committed(
        publish_sop_version,
        version.sop.slug,
        title=version.sop.title,
        category=version.sop.category,
        summary="",
        steps=[
            StepText("Read the history", "Open the plotter page.", "check"),
            StepText("Clean the encoder strip", "Isopropyl alcohol.", "check"),
            StepText("Test print before", "Print the customer's job first.", "pass_fail"),
            StepText("Carriage rod friction", "Scan-axis diagnostic.", "measure", unit="N"),
            StepText("Photo of the test plot", "", "photo", required=False),
        ],
        change_note="Encoder strip cleaning added",
        author_id=None,
    )


def log(version, tech, plotter, *, days_ago: float, results: dict | None = None, **fields):
    """A visit that followed this version days ago: every step done (or passed), except the
    titles given in results ({title: status} or {title: (status, value)})."""
    started = datetime.now(UTC) - timedelta(days=days_ago)
    visit = factories.make_visit(plotter, tech, started_at=started, commit=False)
    visit.sop_version_id = version.id
    for name, value in fields.items():
        setattr(visit, name, value)
    for step in version.steps:
        given = (results or {}).get(step.title, "pass" if step.kind == "pass_fail" else "done")
        status, value = given if isinstance(given, tuple) else (given, None)
        db.session.add(
            StepResult(
                visit_id=visit.id, step_id=step.id, status=status, value=value, by_id=tech.id
            )
        )
    db.session.commit()
    return visit


@pytest.fixture
def shop(app):
    tech = factories.make_user("tech", name="Sam Okafor")
    plotter = factories.make_equipment(factories.make_customer(name="Halvorsen Kline"))
    return tech, plotter, factories.make_sop()


def test_no_visits_is_said_plainly(client, auth, shop):
    """No visit in 90 days: the office reads so, not an empty table."""
    _, _, v1 = shop
    figures = step_figures(v1.sop)
    assert (figures.visits, figures.by_version, figures.steps) == (0, (), ())
    auth.login("office")
    page = client.get(f"/sops/{v1.sop.slug}").get_data(as_text=True)
    assert "No visits used this procedure in the last 90 days." in page


def test_steps_are_counted_by_key_across_versions_in_the_window(shop):
    """Three visits on v1 and two on v2 in the window, one older and one unfinished outside
    the count; "Test print before" failed on both versions though it moved."""
    tech, plotter, v1 = shop
    log(v1, tech, plotter, days_ago=60, results={"Test print before": "fail"})
    log(
        v1,
        tech,
        plotter,
        days_ago=50,
        results={"Test print before": "fail", "Photo of the test plot": "n/a"},
    )
    log(v1, tech, plotter, days_ago=40, results={"Carriage rod friction": ("fail", 7.5)})
    log(v1, tech, plotter, days_ago=120, results={"Test print before": "fail"})  # too old
    v2 = publish_v2(v1)
    newest = log(
        v2,
        tech,
        plotter,
        days_ago=2,
        results={"Test print before": "fail", "Photo of the test plot": "n/a"},
    )
    log(v2, tech, plotter, days_ago=5, results={"Clean the encoder strip": "n/a"})
    log(
        v2,
        tech,
        plotter,
        days_ago=1,
        results={"Test print before": "fail"},
        status="in_progress",
        finished_at=None,
        outcome=None,
    )

    figures = step_figures(v1.sop)
    assert figures.visits == 5 and figures.by_version == ((1, 3), (2, 2))
    by_title = {step.title: step for step in figures.steps}
    assert list(by_title) == [
        "Test print before",
        "Photo of the test plot",
        "Carriage rod friction",
        "Clean the encoder strip",
    ]
    test_print = by_title["Test print before"]
    assert (test_print.failed, test_print.not_applicable, test_print.followed) == (3, 0, 5)
    assert test_print.positions == {1: 2, 2: 3} and test_print.share == 60
    assert [link.version for link in test_print.visits] == [2, 1, 1]
    assert test_print.visits[0].id == newest.id
    assert [link.started_at for link in test_print.visits] == sorted(
        (link.started_at for link in test_print.visits), reverse=True
    )
    assert test_print.visits[0].plotter == plotter.display_name
    assert test_print.visits[0].customer == "Halvorsen Kline"
    assert test_print.visits[0].tech == "Sam Okafor"
    friction = by_title["Carriage rod friction"]
    assert friction.visits[0].value == 7.5 and friction.visits[0].unit == "N"
    encoder = by_title["Clean the encoder strip"]
    assert (encoder.not_applicable, encoder.followed, encoder.positions) == (1, 2, {2: 2})
    assert step_figures(v1.sop, days=30).visits == 2


def test_each_step_links_its_five_latest_visits(shop):
    tech, plotter, v1 = shop
    visits = [
        log(v1, tech, plotter, days_ago=days, results={"Test print before": "fail"})
        for days in range(1, 8)
    ]
    (step,) = step_figures(v1.sop).steps
    assert step.failed == 7
    assert [link.id for link in step.visits] == [visit.id for visit in visits[:5]]


def test_the_office_sees_the_figures_with_links_and_techs_do_not(client, auth, shop):
    tech, plotter, v1 = shop
    visit = log(v1, tech, plotter, days_ago=3, results={"Carriage rod friction": ("fail", 9)})
    auth.login("office")
    page = client.get(f"/sops/{v1.sop.slug}").get_data(as_text=True)
    assert "In the field, last 90 days" in page
    assert "1 visit</strong> followed this procedure" in page
    assert f'href="/visits/{visit.id}"' in page and "failed at 9 N" in page
    client.post("/logout")
    client.post("/login", data={"email": tech.email, "password": factories.PASSWORD})
    page = client.get(f"/sops/{v1.sop.slug}").get_data(as_text=True)
    assert "In the field, last 90 days" not in page


def grow(size: int, version, sops: list) -> None:
    """`size` more techs, plotters, SOPs and visits on the procedure (failed, n/a, done)."""
    now = datetime.now(UTC)
    for n in range(size):
        tech = factories.make_user("tech")
        plotter = factories.make_equipment()
        sops.append(factories.make_sop(slug=f"other-{uuid.uuid4().hex[:8]}"))
        statuses = {"Test print before": "fail", "Photo of the test plot": "n/a"}
        if n % 2:
            statuses["Carriage rod friction"] = ("fail", 8.0)
        log(version, tech, plotter, days_ago=(n % 80) + 1, results=statuses)
        log(sops[-1], tech, plotter, days_ago=3, results={"Test print before": "fail"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) and now


def test_the_figures_cost_the_same_queries_for_5_and_for_50(app, client, auth):
    """step_figures, its partial and the version page run as many queries with 5 techs,
    SOPs and visits as with 50."""
    version = factories.make_sop()
    sops: list = []
    auth.login("office")

    def counted() -> tuple[int, int]:
        db.session.expire_all()
        sop = db.session.get(Sop, version.sop_id)  # what the page has loaded already
        with count_queries() as statements, app.test_request_context():
            figures = step_figures(sop)
            html = render_template("sops/_figures.html", figures=figures)
        assert "Test print before" in html
        alone = len(statements)
        db.session.expire_all()
        with count_queries() as statements:
            response = client.get(f"/sops/{version.sop.slug}")
        assert response.status_code == 200
        return alone, len(statements)

    grow(5, version, sops)
    small = counted()
    grow(45, version, sops)
    large = counted()
    assert step_figures(version.sop).visits == 50
    assert small == large
    assert small[0] <= 5  # four of its own, and the company's settings (its time zone) once
