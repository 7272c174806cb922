"""The training matrix page: states, observed, filters, CSV, who may open it; and the sign-off
as pages show it (Today, the SOP page, the visit start)."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.sops.models import SopTraining
from fieldapp.sops.services import retire_sop
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.training.conftest import publish, signed


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def row_of(html: str, tech) -> str:
    """The matrix row of one tech, as HTML."""
    found = re.search(rf'<tr id="tech-{tech.id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for {tech.name}"
    return found.group(1)


def cells_of(row: str) -> list[str]:
    return re.findall(r'<td class="training-cell[^"]*"[^>]*>(.*?)</td>', row, re.S)


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",")


@pytest.fixture
def office(client, auth):
    auth.login("office")
    return client


# --- the matrix --------------------------------------------------------------------------------


def test_each_cell_says_current_outdated_or_never_with_dates(office, team):
    """Ada signed v2 (observed), Ben only v1, Cy nothing: does each cell say so?"""
    html = page_of(office.get("/training"))
    assert "Carriage belt replacement" in html and "Preventive maintenance" in html
    # Columns by title: Carriage belt replacement, then Preventive maintenance.
    ada_belts, ada_pm = (text(cell) for cell in cells_of(row_of(html, team.ada)))
    assert ada_belts.startswith("Current Signed ")
    assert "Observed" in ada_belts and "by Tara Trainer" in ada_belts
    assert ada_pm.startswith("Never signed")
    ben_belts = text(cells_of(row_of(html, team.ben))[0])
    assert ben_belts.startswith("Outdated Signed version 1 on ")
    assert "Mark observed" in ben_belts
    cy_belts = text(cells_of(row_of(html, team.cy))[0])
    assert cy_belts.startswith("Never signed")
    # The totals above the table: 1 current, 1 outdated, 4 never.
    stats = text(
        re.search(
            r'<div class="stats training-stats".*?</div>\s*</div>\s*</div>', html, re.S
        ).group(0)
    )
    assert stats == "1 Current 1 Outdated 4 Never signed"
    assert "Version 2" in html  # the column names the current version


def test_the_office_and_admin_open_it_from_the_navigation(client, auth, team):
    for role in ("office", "admin"):
        auth.login(role)
        html = page_of(client.get("/training"))
        assert 'href="/training"' in html  # in the office's navigation
        auth.logout()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("state=current", ["Ada Lovelace"], ["Ben Okafor", "Cy Young"]),
        ("state=outdated", ["Ben Okafor"], ["Ada Lovelace", "Cy Young"]),
        ("state=never", ["Ada Lovelace", "Ben Okafor", "Cy Young"], []),
        ("tech={ben}", ["Ben Okafor"], ["Ada Lovelace", "Cy Young"]),
        ("sop=pm", ["Ada Lovelace", "Ben Okafor", "Cy Young"], []),
    ],
)
def test_the_filters_narrow_the_rows(office, team, query, shown, hidden):
    html = page_of(office.get("/training?" + query.format(ben=team.ben.id)))
    rows = text("".join(re.findall(r"<tbody>.*?</tbody>", html, re.S)))
    for name in shown:
        assert name in rows, (query, name)
    for name in hidden:
        assert name not in rows, (query, name)


def test_a_state_filter_keeps_only_the_sops_with_such_cells(office, team):
    html = page_of(office.get("/training?state=outdated"))
    head = text(re.search(r"<thead>.*?</thead>", html, re.S).group(0))
    assert "Carriage belt replacement" in head and "Preventive maintenance" not in head


def test_the_sop_filter_shows_one_column(office, team):
    html = page_of(office.get("/training?sop=belts"))
    head = text(re.search(r"<thead>.*?</thead>", html, re.S).group(0))
    assert "Carriage belt replacement" in head and "Preventive maintenance" not in head


def test_filters_that_match_nothing_say_so(office, team):
    html = page_of(office.get("/training?tech=999999"))
    assert "Nothing matches these filters" in html
    assert "<table" not in html


def test_a_nonsense_filter_is_ignored_not_an_error(office, team):
    html = page_of(office.get("/training?state=expired&tech=abc&sop="))
    assert all(name in html for name in ("Ada Lovelace", "Ben Okafor", "Cy Young"))


def test_no_techs_yet(office):
    publish("belts", "Carriage belt replacement")
    html = page_of(office.get("/training"))
    assert "No techs yet" in html and "<table" not in html


def test_no_procedures_in_use(office):
    factories.make_user("tech")
    html = page_of(office.get("/training"))
    assert "No procedures in use" in html and "<table" not in html


def test_retired_sops_leave_the_matrix(office, team):
    with unit_of_work():
        retire_sop(team.pm.sop, actor_id=None)
    html = page_of(office.get("/training"))
    assert "Preventive maintenance" not in html


# --- CSV ---------------------------------------------------------------------------------------


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="training_')
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_has_one_line_per_tech_and_sop(office, team):
    rows = csv_rows(office.get("/training.csv"))
    assert len(rows) == 6
    by = {(row["Tech"], row["SOP"]): row for row in rows}
    ada = by[("Ada Lovelace", "belts")]
    assert ada["State"] == "current" and ada["Signed version"] == "2"
    assert ada["Current version"] == "2" and ada["Observed by"] == "Tara Trainer"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", ada["Signed at"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", ada["Observed at"])
    ben = by[("Ben Okafor", "belts")]
    assert (ben["State"], ben["Signed version"], ben["Observed at"]) == ("outdated", "1", "")
    cy = by[("Cy Young", "pm")]
    assert (cy["State"], cy["Signed version"], cy["Signed at"]) == ("never", "", "")


def test_the_csv_follows_the_filters(office, team):
    rows = csv_rows(office.get("/training.csv?state=never&sop=belts"))
    assert [(row["Tech"], row["State"]) for row in rows] == [("Cy Young", "never")]


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(office, team):
    factories.make_user("tech", name='=HYPERLINK("http://evil")')
    rows = csv_rows(office.get("/training.csv?sop=pm"))
    assert any(row["Tech"].startswith("'=HYPERLINK") for row in rows)


# --- observed doing it -------------------------------------------------------------------------


def observation(tech, version) -> SopTraining | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(SopTraining).where(
            SopTraining.user_id == tech.id, SopTraining.version_id == version.id
        )
    )


def test_a_trainer_records_observed_from_a_cell(client, auth, team):
    trainer = auth.login("office", name="Olga Office")
    html = page_of(client.get("/training?sop=belts"))
    assert f'value="{team.ben.id}:{team.belts_v2.id}"' in html  # Ben's belts cell has the button
    response = client.post(
        "/training/observed",
        data={"observe": f"{team.ben.id}:{team.belts_v2.id}", "sop": "belts"},
    )
    assert response.status_code == 302
    assert response.location == f"/training?sop=belts#tech-{team.ben.id}"
    record = observation(team.ben, team.belts_v2)
    assert record.observed_at is not None and record.observed_by_id == trainer.id
    assert record.signed_at is None  # seen doing it is not a sign-off: Ben is still outdated
    html = page_of(client.get("/training?sop=belts"))
    assert "was seen doing Carriage belt replacement (version 2)" in html
    ben = text(cells_of(row_of(html, team.ben))[0])
    assert ben.startswith("Outdated") and "Observed" in ben and "by Olga Office" in ben


def test_observing_twice_keeps_the_first_trainer(client, auth, team):
    auth.login("office")
    response = client.post(
        "/training/observed", data={"observe": f"{team.ada.id}:{team.belts_v2.id}"}
    )
    assert response.status_code == 302
    assert observation(team.ada, team.belts_v2).observed_by_id == team.trainer.id


@pytest.mark.parametrize(
    "value", ["", "abc", "1:", ":1", "999999:1", "{ada}:999999", "{office}:{v2}"]
)
def test_a_bad_observation_says_why_and_changes_nothing(client, auth, team, value):
    auth.login("office")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(SopTraining))
    value = value.format(ada=team.ada.id, office=team.trainer.id, v2=team.belts_v2.id)
    response = client.post("/training/observed", data={"observe": value})
    assert response.status_code == 302
    html = page_of(client.get(response.location))
    assert "flash-error" in html
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SopTraining)) == before


@pytest.mark.parametrize("path", ["/training", "/training.csv"])
def test_techs_get_a_403(client, auth, team, path):
    auth.login("tech", user=team.ada)
    assert client.get(path).status_code == 403


def test_a_tech_cannot_record_an_observation(client, auth, team):
    auth.login("tech", user=team.ada)
    response = client.post(
        "/training/observed", data={"observe": f"{team.ben.id}:{team.belts_v2.id}"}
    )
    assert response.status_code == 403
    assert observation(team.ben, team.belts_v2) is None


# --- the sign-off as the pages show it ----------------------------------------------------------


def test_today_lists_the_new_procedures_until_signed(client, auth, team):
    """Ben signed belts v1 only and nothing else: Today names belts v2 and PM, linked."""
    auth.login("tech", user=team.ben)
    html = page_of(client.get("/"))
    assert "New procedures to read" in html
    assert 'href="/sops/belts/v2"' in html and 'href="/sops/pm/v1"' in html
    signed(team.ben, team.belts_v2)
    signed(team.ben, team.pm)
    html = page_of(client.get("/"))
    section = re.search(r"<section[^>]*data-to-read[^>]*>", html).group(0)
    assert "hidden" in section
    assert 'href="/sops/belts/v2"' not in html


def test_today_says_procedure_for_one(client, auth, team):
    signed(team.ada, team.pm)
    signed(team.ben, team.belts_v2)
    auth.login("tech", user=team.ben)
    html = page_of(client.get("/"))
    assert "New procedure to read" in html and "New procedures to read" not in html


def test_the_office_dashboard_has_no_procedures_to_read(office, team):
    assert "New procedure" not in page_of(office.get("/"))


def test_the_sign_off_button_and_the_signed_line_on_the_sop_page(client, auth, team):
    auth.login("tech", user=team.ben)
    html = page_of(client.get("/sops/belts/v2"))
    assert "I have read and understood version 2" in html
    assert 'action="/training/signoff/belts/v2"' in html
    # An older version's page points at the current one instead.
    html = page_of(client.get("/sops/belts/v1"))
    assert "I have read and understood" not in html
    assert "read version 2" in html
    auth.logout()
    auth.login("tech", user=team.ada)
    html = page_of(client.get("/sops/belts/v2"))
    assert "You signed off version 2 on " in html
    assert "I have read and understood" not in html


def test_the_office_sees_who_signed_from_the_sop_page(office, team):
    html = page_of(office.get("/sops/belts"))
    assert 'href="/training?sop=belts"' in html
    assert "1 of 3 techs signed off version 2." in text(html)
    assert "I have read and understood" not in html


def test_the_sign_off_form_posts_without_javascript(client, auth, team):
    auth.login("tech", user=team.cy)
    response = client.post("/training/signoff/belts/v2")
    assert response.status_code == 302 and response.location == "/sops/belts/v2"
    assert observation(team.cy, team.belts_v2).signed_at is not None
    html = page_of(client.get(response.location))
    assert "You signed off Carriage belt replacement, version 2" in html
    # Again: the same sign-off, said so.
    response = client.post("/training/signoff/belts/v2", data={"next": "/visits/new"})
    assert response.location == "/visits/new"
    assert "You had already signed off" in page_of(client.get("/sops/belts/v2"))


def test_the_sign_off_form_never_redirects_elsewhere(client, auth, team):
    auth.login("tech", user=team.cy)
    response = client.post("/training/signoff/belts/v2", data={"next": "//evil.example/x"})
    assert response.location == "/sops/belts/v2"


def test_the_sign_off_form_of_an_unknown_version_says_so(client, auth, team):
    auth.login("tech", user=team.cy)
    response = client.post("/training/signoff/belts/v7")
    assert response.status_code == 302
    assert "There is no version 7 of this SOP." in page_of(client.get(response.location))
    assert observation(team.cy, team.belts_v2) is None


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_office_cannot_sign_off_through_the_form(client, auth, team, role):
    auth.login(role)
    assert client.post("/training/signoff/belts/v2").status_code == 403


def test_starting_a_visit_shows_the_notice_until_signed(client, auth, team):
    """Not a block: the start page still offers "Start visit now", with the sign-off there."""
    plotter = factories.make_equipment()
    auth.login("tech", user=team.ben)
    html = page_of(client.get(f"/visits/new?plotter={plotter.qr_token}&sop=belts"))
    notice = re.search(
        rf'<section class="card sop-notice" data-sop-notice data-for="{team.belts_v2.id}"'
        r"[^>]*>(.*?)</section>\s*(?=<section|<script|<form)",
        html,
        re.S,
    )
    assert notice, "no notice for belts v2"
    assert "hidden" not in notice.group(0).split(">", 1)[0]  # the chosen procedure's shows
    words = text(notice.group(1))
    assert "You have not signed off Carriage belt replacement, version 2" in words
    assert "New tool" in words  # what changed
    assert "I have read and understood version 2" in words
    assert f'name="next" value="/visits/new?plotter={plotter.qr_token}&amp;sop=belts"' in html
    assert "Start visit now" in html
    signed(team.ben, team.belts_v2)
    html = page_of(client.get(f"/visits/new?plotter={plotter.qr_token}&sop=belts"))
    assert f'data-for="{team.belts_v2.id}"' not in html


def test_the_visit_form_of_an_unsigned_procedure_has_the_notice(client, auth, team):
    auth.login("tech", user=team.cy)
    html = page_of(client.get("/visits/form/belts"))
    assert "New version to sign off" in html
    notice_at, form_at = html.index("data-sop-notice"), html.index("data-visit-form")
    assert notice_at < form_at  # outside the visit's own form: the sign-off is a form of its own
    auth.logout()
    auth.login("tech", user=team.ada)
    assert "data-sop-notice" not in page_of(client.get("/visits/form/belts"))
