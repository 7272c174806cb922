"""The training API: a tech signs off an SOP version; the office reads the matrix."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.sops.models import SopTraining
from fieldapp.sops.services import retire_sop
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.training.conftest import publish


def trainings() -> list[SopTraining]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(SopTraining)))


# --- POST /api/v1/sops/<slug>/v<n>/signoff ---------------------------------------------------


def test_a_tech_signs_off_a_version_once_even_when_sending_twice(client, auth):
    """Signing twice is one sign-off: 201, then 200 with the first date, one row."""
    version = publish("belts", "Carriage belt replacement")
    tech = auth.login("tech")
    first = client.post("/api/v1/sops/belts/v1/signoff")
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.json["slug"] == "belts" and first.json["number"] == 1
    assert first.json["created"] is True
    again = client.post("/api/v1/sops/belts/v1/signoff")
    assert again.status_code == 200
    assert again.json["created"] is False
    assert again.json["signed_at"] == first.json["signed_at"]
    rows = trainings()
    assert [(r.user_id, r.version_id) for r in rows] == [(tech.id, version.id)]
    assert rows[0].signed_at is not None


def test_signing_an_older_version_is_kept_as_that_version(client, auth):
    """A phone that still shows v1 may sign v1: is it stored as v1, not as the latest?"""
    v1 = publish("belts", "Carriage belt replacement", "Release the tension")
    publish("belts", "Carriage belt replacement", "Loosen the tensioner")
    auth.login("tech")
    assert client.post("/api/v1/sops/belts/v1/signoff").status_code == 201
    assert [r.version_id for r in trainings()] == [v1.id]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/sops/nothing-here/v1/signoff", "sop"),
        ("/api/v1/sops/belts/v2/signoff", "version"),
        ("/api/v1/sops/belts/v0/signoff", "version"),
        ("/api/v1/sops/belts/v99999999999999999999/signoff", "version"),
        ("/api/v1/sops/bel%00ts/v1/signoff", "sop"),
        ("/api/v1/sops/" + "b" * 300 + "/v1/signoff", "sop"),
    ],
)
def test_an_unknown_sop_or_version_is_a_404_that_says_which(client, auth, path, field):
    publish("belts", "Carriage belt replacement")
    auth.login("tech")
    response = client.post(path)
    assert response.status_code == 404
    assert response.is_json
    assert field in response.json["error"]["fields"]
    assert trainings() == []


@pytest.mark.parametrize("role", ["office", "admin"])
def test_only_techs_sign_off(client, auth, role):
    """Does the office get a 403 (a sign-off is a tech's own), with nothing stored?"""
    publish("belts", "Carriage belt replacement")
    auth.login(role)
    response = client.post("/api/v1/sops/belts/v1/signoff")
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert trainings() == []


def test_signing_off_without_a_session_is_a_json_401(client):
    publish("belts", "Carriage belt replacement")
    response = client.post("/api/v1/sops/belts/v1/signoff")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert trainings() == []


# --- GET /api/v1/training ----------------------------------------------------------------------


def rows_by(response) -> dict[tuple[str, str], dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {(row["tech"]["name"], row["sop"]): row for row in response.json["rows"]}


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_office_reads_one_row_per_tech_and_sop(client, auth, team, role):
    auth.login(role)
    rows = rows_by(client.get("/api/v1/training"))
    assert len(rows) == 3 * 2  # three techs, two SOPs in use
    ada = rows[("Ada Lovelace", "belts")]
    assert ada["tech"] == {"id": team.ada.id, "name": "Ada Lovelace"}
    assert (ada["latest_version"], ada["signed_version"], ada["state"]) == (2, 2, "current")
    assert ada["signed_at"] and ada["observed_at"]
    ben = rows[("Ben Okafor", "belts")]
    assert (ben["latest_version"], ben["signed_version"], ben["state"]) == (2, 1, "outdated")
    assert ben["signed_at"] and ben["observed_at"] is None
    cy = rows[("Cy Young", "belts")]
    assert (cy["signed_version"], cy["signed_at"], cy["state"]) == (None, None, "never")
    assert {rows[(name, "pm")]["state"] for name in ("Ada Lovelace", "Ben Okafor", "Cy Young")} == {
        "never"
    }


def test_retired_sops_and_inactive_techs_are_not_rows(client, auth, team):
    with unit_of_work():
        retire_sop(team.pm.sop, actor_id=None)
        team.cy.active = False
    auth.login("office")
    rows = rows_by(client.get("/api/v1/training"))
    assert set(rows) == {("Ada Lovelace", "belts"), ("Ben Okafor", "belts")}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=current", {("Ada Lovelace", "belts")}),
        ("state=outdated", {("Ben Okafor", "belts")}),
        ("sop=belts&state=never", {("Cy Young", "belts")}),
        ("sop=pm", {("Ada Lovelace", "pm"), ("Ben Okafor", "pm"), ("Cy Young", "pm")}),
        ("sop=no-such-sop", set()),
    ],
)
def test_the_training_rows_filter_by_sop_and_state(client, auth, team, query, expected):
    auth.login("office")
    assert set(rows_by(client.get(f"/api/v1/training?{query}"))) == expected


def test_the_training_rows_filter_by_tech(client, auth, team):
    auth.login("office")
    rows = rows_by(client.get(f"/api/v1/training?tech={team.ben.id}"))
    assert set(rows) == {("Ben Okafor", "belts"), ("Ben Okafor", "pm")}
    assert rows_by(client.get("/api/v1/training?tech=999999")) == {}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("state=expired", "state"),
        ("tech=abc", "tech"),
        ("tech=0", "tech"),
        ("tech=99999999999999999999", "tech"),
        ("sop=" + "x" * 200, "sop"),
    ],
)
def test_a_bad_filter_is_a_422_with_the_field(client, auth, team, query, field):
    auth.login("office")
    response = client.get(f"/api/v1/training?{query}")
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_a_nul_in_a_filter_is_refused_not_a_500(client, auth, team):
    auth.login("office")
    response = client.get("/api/v1/training?sop=a%00b")
    assert response.status_code in (400, 422) and response.is_json


def test_techs_may_not_read_the_matrix(client, auth, team):
    auth.login("tech", user=team.ada)
    assert client.get("/api/v1/training").status_code == 403


def test_reading_the_matrix_without_a_session_is_a_json_401(client, team):
    response = client.get("/api/v1/training")
    assert response.status_code == 401 and response.is_json


def test_no_techs_and_no_sops_is_an_empty_list(client, auth):
    auth.login("office")
    assert client.get("/api/v1/training").json == {"rows": []}
    factories.make_user("tech")
    assert client.get("/api/v1/training").json == {"rows": []}


def test_both_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    signoff = paths["/api/v1/sops/{slug}/v{number}/signoff"]["post"]
    assert {"201", "200", "401", "403", "404"} <= set(signoff["responses"])
    training = paths["/api/v1/training"]["get"]
    assert {"200", "401", "403", "422"} <= set(training["responses"])
    assert {p["in"] for p in training["parameters"]} == {"query"}
