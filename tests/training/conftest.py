"""Training fixtures: SOPs published in versions, techs, sign-offs and observations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.sops.services import StepText, publish_sop_version
from fieldapp.training.services import record_observed, sign_off
from fieldapp.unit_of_work import unit_of_work
from tests import factories


def publish(slug: str, title: str, step: str = "Check the carriage", note: str = ""):
    """Publish the next version of an SOP whose one step has this title."""
    with unit_of_work():
        return publish_sop_version(
            slug,
            title=title,
            category="repair",
            summary="",
            steps=[StepText(step, "Move it by hand.", "check")],
            change_note=note,
            author_id=None,
        )


def signed(tech, version, days_ago: int = 0):
    with unit_of_work():
        record, _ = sign_off(tech, version, at=datetime.now(UTC) - timedelta(days=days_ago))
    return record


def observed(tech, version, trainer):
    with unit_of_work():
        return record_observed(tech, version, trainer=trainer)


@dataclass
class Team:
    """Three techs and two SOPs: Ada current on belts (observed), Ben outdated on belts
    (signed v1, v2 is out), Cy never signed anything; nobody signed the PM procedure."""

    ada: object
    ben: object
    cy: object
    trainer: object
    belts_v1: object
    belts_v2: object
    pm: object


@pytest.fixture
def team(app) -> Team:
    ada = factories.make_user("tech", name="Ada Lovelace")
    ben = factories.make_user("tech", name="Ben Okafor")
    cy = factories.make_user("tech", name="Cy Young")
    trainer = factories.make_user("office", name="Tara Trainer")
    belts_v1 = publish("belts", "Carriage belt replacement", "Release the belt tension")
    signed(ben, belts_v1, days_ago=20)
    belts_v2 = publish("belts", "Carriage belt replacement", "Loosen the tensioner", "New tool")
    signed(ada, belts_v1, days_ago=20)
    signed(ada, belts_v2, days_ago=2)
    observed(ada, belts_v2, trainer)
    pm = publish("pm", "Preventive maintenance", "Clean the encoder strip")
    return Team(ada, ben, cy, trainer, belts_v1, belts_v2, pm)
