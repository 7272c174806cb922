"""Defective returns: a part logged on a visit as "defective, returning" (through the sync op,
the page's form and the API alike) becomes one return, once however often the visit comes
again; a correction changes it while it waits; the office ships it under an RMA number and
records the credit or the rejection; the open list shows what is out and what it is worth."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from fieldapp.activity.models import ActivityEvent
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Conflict
from fieldapp.extensions import db
from fieldapp.inventory.models import PartReturn, StockLevel, Supplier
from fieldapp.inventory.returns import ship_return
from fieldapp.visits.models import Visit
from fieldapp.visits.queries import visit_as_form
from tests import factories
from tests.scenarios import complete_visit
from tests.sql import count_queries
from tests.sync.test_sync import op, sync
from tests.visits.test_pages import finish_form, start

HEAD_LINE = {"sku": "F9J81A", "quantity": 1, "from": "warehouse"}


@pytest.fixture
def tech_client(client, site):
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    return client


@pytest.fixture
def supplier(site):
    meridian = Supplier(name="Meridian Print Supply", email="rma@meridian.example")
    db.session.add(meridian)
    site.head.supplier = meridian
    site.head.supplier_part_number = "MER-729"
    db.session.commit()
    return meridian


def returns() -> list[PartReturn]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(PartReturn).order_by(PartReturn.id)))


def defective_visit(site, serial="SN-8812-A", **changes) -> dict:
    line = {**HEAD_LINE, "defective": True, "serial": serial}
    return complete_visit(site, parts=[complete_visit(site)["parts"][0], line], **changes)


def test_a_visit_logs_the_defective_part_once(tech_client, site, supplier):
    payload = defective_visit(site)
    first = sync(tech_client, op("visit.record", payload))[0]
    again = sync(tech_client, op("visit.record", payload))[0]  # the phone sends it again
    assert (first["status"], again["status"]) == ("applied", "duplicate")
    (ret,) = returns()
    assert (ret.part_id, ret.quantity, ret.serial, ret.state) == (
        site.head.id,
        1,
        "SN-8812-A",
        "waiting",
    )
    assert ret.supplier_id == supplier.id and ret.value_cents == 24900
    assert ret.visit_id == uuid.UUID(payload["id"]) and ret.equipment_id == site.plotter.id
    assert ret.created_by_id == site.tech.id
    event = db.session.scalar(sa.select(ActivityEvent).where(ActivityEvent.verb == "return.logged"))
    assert event.summary.startswith(f"{ret.reference}: defective HP 729 printhead")
    report = tech_client.get(f"/visits/{payload['id']}/report").get_data(as_text=True)
    assert (
        "Defective part taken out, going back to the supplier: HP 729 printhead × 1 "
        "(serial SN-8812-A)" in report
    )
    assert ret.reference not in report  # the office's link, not the tech's
    # The new printhead still came out of the warehouse: a return moves no stock.
    warehouse_level = db.session.scalar(
        sa.select(StockLevel.quantity).where(
            StockLevel.part_id == site.head.id, StockLevel.location_id == site.warehouse.id
        )
    )
    assert warehouse_level == 4


def test_a_line_without_the_flag_logs_no_return_and_a_long_serial_is_refused(tech_client, site):
    assert sync(tech_client, op("visit.record", complete_visit(site)))[0]["status"] == "applied"
    assert returns() == []
    long_serial = defective_visit(site, serial="S" * 61)
    result = sync(tech_client, op("visit.record", long_serial))[0]
    assert result["status"] == "rejected"
    assert result["fields"]["parts.1.serial"] == ["Keep it to 60 characters or fewer."]
    assert returns() == []


def test_the_api_takes_the_flag_too(tech_client, site):
    response = tech_client.post("/api/v1/visits", json=defective_visit(site, serial=""))
    assert response.status_code == 201, response.get_json()
    (ret,) = returns()
    assert ret.serial == "" and ret.supplier_id is None


def test_a_correction_changes_a_waiting_return_but_not_a_shipped_one(
    tech_client, site, supplier, auth
):
    payload = defective_visit(site)
    sync(tech_client, op("visit.record", payload))
    fixed = defective_visit(site, serial="SN-8812-B", id=payload["id"])
    assert sync(tech_client, op("visit.amend", fixed))[0]["status"] == "applied"
    assert [r.serial for r in returns()] == ["SN-8812-B"]
    # Taken off the visit: the return that waited is gone too.
    assert (
        sync(tech_client, op("visit.amend", {**payload, "parts": [HEAD_LINE]}))[0]["status"]
        == "applied"
    )
    assert returns() == []
    # Once shipped, it is the office's: a correction leaves it alone.
    sync(tech_client, op("visit.amend", payload))
    (ret,) = returns()
    ret.state, ret.rma_number = "shipped", "RMA-1"
    db.session.commit()
    sync(tech_client, op("visit.amend", {**payload, "parts": [HEAD_LINE]}))
    assert [(r.state, r.serial) for r in returns()] == [("shipped", "SN-8812-A")]


def test_the_visit_form_without_javascript_logs_it(tech_client, site):
    """The page's own form (no script): the old part's select and its serial, per line."""
    visit_id = start(tech_client, site)
    form = finish_form(
        site,
        **{
            "part-old": ["", "defective", ""],
            "part-serial": ["ignored: not defective", " SN-77 ", ""],
        },
    )
    response = tech_client.post(f"/visits/{visit_id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (ret,) = returns()
    assert (ret.part_id, ret.serial, ret.visit_id) == (site.head.id, "SN-77", visit_id)
    # Correcting it (within its day) shows the line as it was logged.
    visit = db.session.get(Visit, visit_id)
    visit.started_at, visit.finished_at = utcnow() - timedelta(hours=1), utcnow()
    db.session.commit()
    edit = tech_client.get(f"/visits/{visit_id}/edit").get_data(as_text=True)
    assert '<option value="defective" selected>' in edit and 'value="SN-77"' in edit


@pytest.fixture
def logged(tech_client, site, supplier, client, auth):
    sync(tech_client, op("visit.record", defective_visit(site)))
    client.post("/logout")
    auth.login("office", name="Maria Chen")
    (ret,) = returns()
    return ret


def test_the_office_ships_and_credits_a_return(client, logged):
    report = client.get(f"/visits/{logged.visit_id}/report").get_data(as_text=True)
    assert f'href="/stock/returns/{logged.id}">{logged.reference}</a>' in report
    listing = client.get("/stock/returns").get_data(as_text=True)
    assert "1 open return worth $249.00" in listing
    assert logged.reference in listing and "SN-8812-A" in listing

    url = f"/stock/returns/{logged.id}"
    page = client.post(f"{url}/ship", data={"rma_number": "  "})
    assert page.status_code == 422
    assert "RMA number" in page.get_data(as_text=True)
    assert returns()[0].state == "waiting"

    done = client.post(f"{url}/ship", data={"rma_number": "MER-RMA-5521"}, follow_redirects=True)
    assert "is shipped under RMA MER-RMA-5521" in done.get_data(as_text=True)
    again = client.post(f"{url}/ship", data={"rma_number": "X"}, follow_redirects=True)
    assert "was shipped already" in again.get_data(as_text=True)
    assert returns()[0].rma_number == "MER-RMA-5521"

    bad = client.post(f"{url}/credit", data={"credit": "lots"})
    assert bad.status_code == 422 and returns()[0].state == "shipped"
    credited = client.post(f"{url}/credit", data={"credit": "$180.50"}, follow_redirects=True)
    assert "is credited: $180.50" in credited.get_data(as_text=True)
    (ret,) = returns()
    assert (ret.state, ret.credit_cents) == ("credited", 18050) and ret.closed_at is not None

    listing = client.get("/stock/returns").get_data(as_text=True)
    assert "0 open returns worth $0.00 · $180.50 credited so far" in listing
    assert "No open returns here" in listing
    assert logged.reference in client.get("/stock/returns?state=closed").get_data(as_text=True)
    assert client.get("/stock/returns?state=bogus").status_code == 200  # falls back to open


def test_a_rejection_needs_the_reason_and_closes_it(client, logged):
    url = f"/stock/returns/{logged.id}"
    assert client.post(f"{url}/credit", data={"credit": "10"}, follow_redirects=True).status_code
    assert returns()[0].state == "waiting"  # not shipped: nothing to credit yet
    refused = client.post(f"{url}/reject", data={"reason": ""})
    assert refused.status_code == 422 and returns()[0].state == "waiting"
    client.post(f"{url}/reject", data={"reason": "Physical damage, not covered"})
    (ret,) = returns()
    assert (ret.state, ret.credit_cents, ret.note) == (
        "rejected",
        0,
        "Physical damage, not covered",
    )
    assert client.post(f"{url}/ship", data={"rma_number": "R"}).status_code == 302
    assert returns()[0].state == "rejected"
    assert client.post(f"{url}/explode").status_code == 404


def test_a_tech_cannot_act_on_returns(tech_client, site, supplier):
    sync(tech_client, op("visit.record", defective_visit(site)))
    (ret,) = returns()
    response = tech_client.post(f"/stock/returns/{ret.id}/ship", data={"rma_number": "R-1"})
    assert response.status_code == 403
    assert returns()[0].state == "waiting"


def test_the_returns_list_costs_the_same_for_one_return_or_many(client, logged, site):
    def statements() -> int:
        with count_queries() as sent:
            page = client.get("/stock/returns")
        assert page.status_code == 200
        return len(sent), len(re.findall(r'data-return="RET-', page.get_data(as_text=True)))

    one = statements()
    other = factories.make_customer(name="Oakridge Survey & Mapping")
    for index in range(5):
        plotter = factories.make_equipment(other, serial_number=f"SG-{index}")
        db.session.add(
            PartReturn(part=site.belt, quantity=1, serial=f"B{index}", equipment_id=plotter.id)
        )
    db.session.commit()
    many = statements()
    assert (one[1], many[1]) == (1, 6) and one[0] == many[0]


def test_a_correction_form_splits_a_part_partly_returned(tech_client, site):
    """Two printheads used, one of them returned: the correction form shows one defective
    line and one plain line, so saving it unchanged keeps the return as it is."""
    payload = complete_visit(
        site, parts=[{**HEAD_LINE, "defective": True, "serial": "SN-1"}, {**HEAD_LINE}]
    )
    assert sync(tech_client, op("visit.record", payload))[0]["status"] == "applied"
    (ret,) = returns()
    assert ret.quantity == 1
    form = visit_as_form(db.session.get(Visit, uuid.UUID(payload["id"])))
    assert form.getlist("part-sku") == ["F9J81A", "F9J81A"]
    assert form.getlist("part-qty") == ["1", "1"]
    assert form.getlist("part-old") == ["defective", ""]
    assert form.getlist("part-serial") == ["SN-1", ""]


def test_a_return_taken_off_a_visit_is_said_in_the_feed(tech_client, site):
    payload = defective_visit(site)
    sync(tech_client, op("visit.record", payload))
    (ret,) = returns()
    sync(tech_client, op("visit.amend", {**payload, "parts": [HEAD_LINE]}))
    verbs = dict(
        db.session.execute(
            sa.select(ActivityEvent.verb, ActivityEvent.summary).where(
                ActivityEvent.verb.in_(("return.withdrawn", "visit.corrected"))
            )
        ).all()
    )
    assert verbs["return.withdrawn"].startswith(f"{ret.reference} withdrawn")
    assert "defective parts returning" in verbs["visit.corrected"]


def test_an_expensive_return_fits_the_column(tech_client, site):
    """99 printheads at $1,000,000 each: the value passes 32 bits and is stored whole."""
    site.head.unit_cost_cents = 100_000_000
    db.session.commit()
    line = {**HEAD_LINE, "quantity": 99, "defective": True}
    result = sync(tech_client, op("visit.record", complete_visit(site, parts=[line])))[0]
    assert result["status"] == "applied", result
    assert returns()[0].value_cents == 9_900_000_000


def test_notes_add_up_and_a_second_click_changes_nothing(client, logged):
    url = f"/stock/returns/{logged.id}"
    client.post(f"{url}/ship", data={"rma_number": "R-1", "note": "UPS 1Z999"})
    client.post(f"{url}/reject", data={"reason": "Out of warranty"})
    (ret,) = returns()
    assert (ret.state, ret.note) == ("rejected", "UPS 1Z999; Out of warranty")
    # The service itself refuses a second move, whatever the page showed.
    with pytest.raises(Conflict, match="closed already"):
        ship_return(ret, {"rma_number": "R-2"}, ret.created_by)
    assert returns()[0].rma_number == "R-1"
    closed = client.post(f"/stock/returns/{ret.id}/credit", data={"credit": "1"})
    assert closed.status_code == 302 and returns()[0].state == "rejected"


def test_a_note_too_long_with_the_earlier_one_is_refused(client, logged):
    url = f"/stock/returns/{logged.id}"
    client.post(f"{url}/ship", data={"rma_number": "R-1", "note": "x" * 290})
    client.post(f"{url}/reject", data={"reason": "Out of warranty, see their letter"})
    (ret,) = returns()
    assert ret.state == "shipped" and ret.note == "x" * 290


def test_the_returns_list_pages_within_its_filter(client, logged, site):
    db.session.add_all(
        PartReturn(part=site.belt, quantity=1, state="credited", credit_cents=1, serial=f"C{n}")
        for n in range(51)
    )
    db.session.commit()
    second = client.get("/stock/returns?state=closed&page=2").get_data(as_text=True)
    assert len(re.findall(r'data-return="RET-', second)) == 1 and "Page 2 of 2" in second
    assert client.get("/stock/returns?state=closed&page=9").status_code == 200
