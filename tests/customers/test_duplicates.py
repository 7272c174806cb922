"""One firm, one customer: a new customer whose name matches one we have is held back with a
"use the existing one" choice, and two customers that are one firm merge, plotters, jobs and
history with them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.customers.models import Customer
from fieldapp.customers.services import name_key
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from tests import factories


@pytest.mark.parametrize(
    "typed",
    [
        " oakridge survey & mapping ",
        "OAKRIDGE SURVEY AND MAPPING",
        "Oakridge  Survey-Mapping, Inc.",
        "Oákridge Survey & Mapping",
    ],
)
def test_a_name_we_have_is_held_back_with_the_existing_one_offered(client, auth, typed):
    existing = factories.make_customer(name="Oakridge Survey & Mapping")
    auth.login("office")
    response = client.post("/customers/new", data={"name": typed, "phone": "555-0101"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "This customer may already exist" in page
    assert f'href="/customers/{existing.id}">Use the existing one' in page
    assert 'value="555-0101"' in page  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1
    # "It is another firm": the form carries the confirmation and the customer is added.
    assert 'name="confirm_new" value="1"' in page
    again = client.post(
        "/customers/new", data={"name": typed, "phone": "555-0101", "confirm_new": "1"}
    )
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 2


def test_a_different_name_is_added_at_once(client, auth):
    factories.make_customer(name="Oakridge Survey & Mapping")
    auth.login("office")
    response = client.post("/customers/new", data={"name": "Oakridge Survey Supplies"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    "a, b",
    [("Okonkwo + Reyes", "Okonkwo Reyes"), ("The Print Room Ltd", "print room"), ("A&B", "a b")],
)
def test_names_compare_without_punctuation_and_filler(a, b):
    assert name_key(a) == name_key(b)


def test_two_customers_that_are_one_firm_merge(client, auth):
    """Do the duplicate's plotters and jobs move, its details fill the gaps, the merge show in
    the activity log, and the duplicate go?"""
    keep = factories.make_customer(name="Okonkwo + Reyes", phone="", notes="Dock at the back.")
    duplicate = factories.make_customer(
        name="Okonkwo Reyes", phone="555-0199", email="it@okonkwo.example", notes="Ask for Ada."
    )
    plotters = [factories.make_equipment(duplicate), factories.make_equipment(duplicate)]
    job = factories.make_job(duplicate, equipment=plotters[0])
    kept_plotter = factories.make_equipment(keep)
    auth.login("office")

    preview = client.get(f"/customers/{keep.id}/merge").get_data(as_text=True)
    assert f'<optgroup label="Same name"><option value="{duplicate.id}"' in preview
    preview = client.get(f"/customers/{keep.id}/merge?other={duplicate.id}").get_data(as_text=True)
    assert "<strong>2 plotters</strong> move to" in preview
    assert "<strong>1 job</strong> moves to" in preview

    response = client.post(f"/customers/{keep.id}/merge", data={"other": str(duplicate.id)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, duplicate.id) is None
    owners = set(db.session.scalars(sa.select(Equipment.customer_id)))
    assert owners == {keep.id}
    assert db.session.get(Job, job.id).customer_id == keep.id
    merged = db.session.get(Customer, keep.id)
    assert (merged.phone, merged.email) == ("555-0199", "it@okonkwo.example")
    assert merged.notes == "Dock at the back.\n\nAsk for Ada."
    event = db.session.scalar(
        sa.select(ActivityEvent).where(ActivityEvent.verb == "customer.merged")
    )
    assert (
        event.summary
        == "Merged customer Okonkwo Reyes into Okonkwo + Reyes (2 plotters, 1 job moved)"
    )
    page = client.get(f"/customers/{keep.id}").get_data(as_text=True)
    assert kept_plotter.serial_number in page and plotters[1].serial_number in page


def test_a_customer_is_not_merged_into_itself(client, auth):
    keep = factories.make_customer(name="Birch Builders")
    auth.login("office")
    response = client.post(f"/customers/{keep.id}/merge", data={"other": str(keep.id)})
    assert response.status_code == 302
    assert db.session.get(Customer, keep.id) is not None
    assert (
        client.post(f"/customers/{keep.id}/merge", data={"other": "99999999999"}).status_code == 302
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent)) == 0


def test_techs_cannot_merge(client, auth):
    keep, other = factories.make_customer(), factories.make_customer()
    auth.login("tech")
    response = client.post(f"/customers/{keep.id}/merge", data={"other": str(other.id)})
    assert response.status_code == 403
    assert db.session.get(Customer, other.id) is not None
