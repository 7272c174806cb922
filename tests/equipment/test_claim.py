"""Claiming pre-printed labels on site, and reprinting with or without revoking."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.equipment.models import Equipment, QrLabel
from fieldapp.equipment.services import issue_unclaimed_labels, replace_label, resolve_code
from fieldapp.extensions import db
from tests import factories


def unclaimed_token() -> str:
    return factories.committed(issue_unclaimed_labels, 1, actor_id=None)[0].token


def test_scanning_an_unclaimed_label_offers_to_claim_it(client, auth):
    auth.login("tech")
    token = unclaimed_token()
    response = client.get(f"/e/{token}")
    assert response.status_code == 302
    assert response.location == f"/e/{token}/claim"
    customer = factories.make_customer(name="Riverwalk Print & Copy")
    factories.make_equipment(customer, model="imagePROGRAF TM-300", make="Canon")
    page = client.get(f"/e/{token}/claim?customer={customer.id}").get_data(as_text=True)
    assert "Riverwalk Print &amp; Copy" in page
    assert "imagePROGRAF TM-300" in page


def test_claim_for_an_existing_plotter(client, auth):
    """Does claiming link the label, keep the old label working and record activity?"""
    tech = auth.login("tech")
    plotter = factories.make_equipment()
    old_token = plotter.qr_token
    token = unclaimed_token()
    response = client.post(
        f"/e/{token}/claim",
        data={"mode": "existing", "customer_id": plotter.customer_id, "equipment_id": plotter.id},
    )
    assert response.status_code == 302
    assert response.location == f"/e/{token}"
    assert resolve_code(token).equipment.id == plotter.id
    assert resolve_code(old_token).equipment.id == plotter.id
    label = db.session.scalar(sa.select(QrLabel).where(QrLabel.token == token))
    assert label.status == "active" and label.claimed_by_id == tech.id
    event = db.session.scalar(sa.select(ActivityEvent).where(ActivityEvent.verb == "label.claimed"))
    assert event.actor_id == tech.id and event.equipment_id == plotter.id
    assert "now opens this" in client.get(response.location).get_data(as_text=True)


def test_claim_by_registering_the_plotter_on_the_spot(client, auth):
    auth.login("tech")
    customer = factories.make_customer()
    token = unclaimed_token()
    response = client.post(
        f"/e/{token}/claim",
        data={
            "mode": "new",
            "customer_id": customer.id,
            "make": "Epson",
            "model": "SureColor T5170",
            "serial_number": "x8fe012345",
            "location_note": "Plan room",
        },
    )
    assert response.status_code == 302
    plotter = resolve_code(token).equipment
    assert (plotter.make, plotter.model, plotter.serial_number) == (
        "Epson",
        "SureColor T5170",
        "X8FE012345",
    )
    assert plotter.customer_id == customer.id and plotter.qr_token == token


def test_bad_claim_changes_nothing(client, auth):
    auth.login("tech")
    customer = factories.make_customer()
    existing = factories.make_equipment(customer, make="HP", serial_number="CN12345678")
    token = unclaimed_token()
    for data in (
        {"mode": "new", "customer_id": customer.id, "make": "", "model": "", "serial_number": ""},
        {
            "mode": "new",
            "customer_id": customer.id,
            "make": "HP",
            "model": "T830",
            "serial_number": "cn12345678",
        },
        {"mode": "existing", "customer_id": customer.id, "equipment_id": ""},
        {
            "mode": "new",
            "customer_id": customer.id,
            "make": "HP",
            "model": "T830",
            "serial_number": "SN1",
            "installed_on": "yesterday",
        },
    ):
        response = client.post(f"/e/{token}/claim", data=data)
        assert response.status_code in (409, 422), data
    assert resolve_code(token).state == "unclaimed"
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Equipment))
    assert count == 1 and existing.qr_token != token


def test_claimed_label_cannot_be_claimed_again(client, auth):
    auth.login("tech")
    plotter = factories.make_equipment()
    response = client.get(f"/e/{plotter.qr_token}/claim")
    assert response.status_code == 302 and response.location == f"/e/{plotter.qr_token}"


def test_reprint_with_revoke_stops_the_old_label(client, auth):
    """After a reprint that revokes, does the old label say it was replaced?"""
    auth.login("tech")
    plotter = factories.make_equipment()
    old = plotter.qr_token
    new = factories.committed(replace_label, plotter, revoke_old=True, actor_id=None)
    assert resolve_code(old).state == "revoked"
    assert resolve_code(new.token).equipment.id == plotter.id
    response = client.get(f"/e/{old}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "This label was replaced" in html and f"/e/{new.token}" in html


def test_reprint_without_revoke_keeps_both_labels(client, auth):
    auth.login("tech")
    plotter = factories.make_equipment()
    old = plotter.qr_token
    new = factories.committed(replace_label, plotter, revoke_old=False, actor_id=None)
    assert resolve_code(old).state == "active" and resolve_code(new.token).state == "active"
    html = client.get(f"/e/{old}").get_data(as_text=True)
    assert "You scanned an older label" in html


def test_unclaimed_batch_limits(app):
    import pytest

    from fieldapp.errors import Invalid

    for count in (0, 301):
        with pytest.raises(Invalid):
            factories.committed(issue_unclaimed_labels, count, actor_id=None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(QrLabel)) == 0


def test_revoking_reprint_stops_every_earlier_label(client, auth):
    """A plotter wearing two labels (an old one kept working): does a revoking reprint stop
    both?"""
    auth.login("tech")
    plotter = factories.make_equipment()
    first = plotter.qr_token
    second = factories.committed(replace_label, plotter, revoke_old=False, actor_id=None).token
    newest = factories.committed(replace_label, plotter, revoke_old=True, actor_id=None).token
    assert resolve_code(first).state == "revoked" and resolve_code(second).state == "revoked"
    assert resolve_code(newest).state == "active"


def test_a_batch_of_unclaimed_labels_has_distinct_tokens(app):
    labels = factories.committed(issue_unclaimed_labels, 200, actor_id=None)
    assert len({label.token for label in labels}) == 200
