"""SOP pages and publishing versions."""

from __future__ import annotations

import pytest

from fieldapp.errors import Invalid
from fieldapp.sops.services import StepText, current_versions, publish_sop_version
from fieldapp.unit_of_work import unit_of_work


def _publish(slug="pm", note="First", steps=None):
    with unit_of_work():
        return publish_sop_version(
            slug,
            title="Preventive maintenance",
            category="preventive",
            summary="Quarterly PM for DesignJets.",
            steps=steps
            or [
                StepText("Clean the encoder strip", "IPA on a lint-free cloth.", "check"),
                StepText("Carriage rod friction", "", "measure", unit="N"),
                StepText("Photo of the test plot", "", "photo", required=False),
            ],
            change_note=note,
            author_id=None,
        )


def test_sop_list_and_detail_show_the_current_version(client, auth):
    auth.login("tech")
    _publish()
    _publish(note="Added a step", steps=[StepText("New first step", "", "pass_fail")])
    assert [v.number for v in current_versions()] == [2]
    listing = client.get("/sops/").get_data(as_text=True)
    assert "Preventive maintenance" in listing and "version 2" in listing
    detail = client.get("/sops/pm").get_data(as_text=True)
    assert "New first step" in detail and "Clean the encoder strip" not in detail
    old = client.get("/sops/pm/v1").get_data(as_text=True)
    assert "Clean the encoder strip" in old
    assert "The current version is" in old
    assert "Measure (N)" in old and "Optional" in old


def test_unknown_sop_is_404(client, auth):
    auth.login("tech")
    assert client.get("/sops/nope").status_code == 404
    _publish()
    assert client.get("/sops/pm/v9").status_code == 404


def test_empty_sop_list_explains(client, auth):
    auth.login("tech")
    assert "No procedures yet" in client.get("/sops/").get_data(as_text=True)


def test_invalid_sop_is_refused(app):
    with pytest.raises(Invalid) as caught:
        publish_sop_version(
            "x",
            title="",
            category="nonsense",
            summary="",
            steps=[StepText("", "", "dance")],
            change_note="",
            author_id=None,
        )
    assert {"title", "category", "steps.0.kind", "steps.0.title"} <= set(caught.value.fields)
    assert current_versions() == []
