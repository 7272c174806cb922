"""A customer with several sites and the people there: each site has its address, access notes
and hours and at most one site contact; a customer has at most one billing contact; plotters
stand at a site, and the plotter page, the service report, the offline pack, the public page
and the request inbox name the site and whom to ask for."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from fieldapp.customers.models import Contact, Site
from fieldapp.customers.services import merge_customers, save_contact, save_site
from fieldapp.errors import Conflict, Invalid
from fieldapp.extensions import db
from fieldapp.public.models import ServiceRequest
from tests import factories


@pytest.fixture
def campus(app):
    university = factories.make_customer(
        name="Northbrook State University",
        contact_name="Accounts Payable",
        phone="+1 (847) 555-0100",
        address="1 University Pl, Northbrook, IL 60062",
    )
    hall = save_site(
        university,
        {
            "name": "Hollis Hall",
            "address": "Hollis Hall, Room B12\n1 University Pl, Northbrook, IL 60062",
            "opening_hours": "Mon–Fri 8:00–17:00",
            "access_notes": "Badge from Facilities first.",
        },
        actor_id=None,
    )
    works = save_site(
        university, {"name": "Facilities Services", "address": "Room 014"}, actor_id=None
    )
    anand = save_contact(
        university,
        {
            "name": "Leena Anand",
            "role": "Lab lead",
            "phone": "+1 (847) 555-0166",
            "site_id": str(hall.id),
            "is_site_contact": "1",
        },
        actor_id=None,
    )
    plotter = factories.make_equipment(university, site_id=hall.id)
    at_hq = factories.make_equipment(university)
    db.session.commit()
    return {
        "customer": university,
        "hall": hall,
        "works": works,
        "anand": anand,
        "plotter": plotter,
        "at_hq": at_hq,
    }


def test_a_plotter_at_a_site_goes_there_and_asks_for_its_contact(campus):
    plotter, at_hq = campus["plotter"], campus["at_hq"]
    assert plotter.address.startswith("Hollis Hall, Room B12")
    assert (plotter.contact.name, plotter.contact.phone) == ("Leena Anand", "+1 (847) 555-0166")
    # A plotter at no site: the customer's own address and contact, as before.
    assert at_hq.address == "1 University Pl, Northbrook, IL 60062"
    assert at_hq.contact.name == "Accounts Payable"


def test_one_site_contact_per_site_and_one_billing_contact_per_customer(campus):
    customer, hall = campus["customer"], campus["hall"]
    owen = save_contact(
        customer,
        {"name": "Owen Pike", "site_id": str(hall.id), "is_site_contact": "1", "is_billing": "1"},
        actor_id=None,
    )
    db.session.commit()
    db.session.refresh(campus["anand"])
    assert campus["anand"].is_site_contact is False  # the mark moved, it was not doubled
    assert hall.site_contact.id == owen.id
    kim = save_contact(customer, {"name": "Kim Ng", "is_billing": "1"}, actor_id=None)
    db.session.commit()
    billing = db.session.scalars(
        sa.select(Contact).where(Contact.customer_id == customer.id, Contact.is_billing)
    ).all()
    assert [c.id for c in billing] == [kim.id]
    # The database holds the rule too, whatever writes to it.
    db.session.add(Contact(customer_id=customer.id, name="Extra", is_billing=True))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(
    "values, field",
    [
        ({"name": ""}, "name"),
        ({"name": "Ana", "email": "not-an-email"}, "email"),
        ({"name": "Ana", "is_site_contact": "1"}, "is_site_contact"),
    ],
)
def test_a_contact_that_breaks_a_rule_is_refused(campus, values, field):
    with pytest.raises(Invalid) as refused:
        save_contact(campus["customer"], values, actor_id=None)
    assert field in refused.value.fields


def test_another_customers_site_is_refused(campus, client, auth):
    other = factories.make_customer(name="Lakeshore Reprographics")
    with pytest.raises(Invalid) as refused:
        save_contact(other, {"name": "Ana", "site_id": str(campus["hall"].id)}, actor_id=None)
    assert "site_id" in refused.value.fields
    with pytest.raises(Conflict):
        save_site(other, {"name": "Hall"}, campus["hall"], actor_id=None)
    db.session.rollback()
    auth.login("office")
    plotter = factories.make_equipment(other)
    response = client.post(
        f"/plotters/{plotter.id}/edit",
        data={
            "customer_id": other.id,
            "site_id": campus["hall"].id,
            "make": plotter.make,
            "model": plotter.model,
            "serial_number": plotter.serial_number,
        },
    )
    assert response.status_code == 422
    assert "Lakeshore Reprographics&#39;s sites, or none." in response.get_data(as_text=True)
    db.session.refresh(plotter)
    assert plotter.site_id is None
    assert client.get(f"/customers/{other.id}/sites/{campus['hall'].id}").status_code == 404


def test_the_office_adds_a_site_and_a_contact_and_moves_a_plotter(client, auth, campus):
    customer, at_hq = campus["customer"], campus["at_hq"]
    auth.login("office")
    response = client.post(
        f"/customers/{customer.id}/sites/new",
        data={"name": "Warehouse", "address": "9 Dock Rd", "opening_hours": "7–15"},
    )
    assert response.status_code == 302
    warehouse = db.session.scalar(sa.select(Site).where(Site.name == "Warehouse"))
    refused = client.post(f"/customers/{customer.id}/sites/new", data={"name": " "})
    assert refused.status_code == 422 and "Name the site" in refused.get_data(as_text=True)
    response = client.post(
        f"/customers/{customer.id}/contacts/new",
        data={
            "name": "Rita Sol",
            "phone": "555-0188",
            "site_id": warehouse.id,
            "is_site_contact": "1",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/plotters/{at_hq.id}/edit",
        data={
            "customer_id": customer.id,
            "site_id": warehouse.id,
            "make": at_hq.make,
            "model": at_hq.model,
            "serial_number": at_hq.serial_number,
        },
    )
    assert response.status_code == 302
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Warehouse" in page and "Ask for <strong>Rita Sol</strong>" in page
    plotter_page = client.get(f"/e/{at_hq.qr_token}").get_data(as_text=True)
    assert "9 Dock Rd" in plotter_page and "Call Rita" in plotter_page


def test_report_pack_public_page_and_inbox_name_the_site(client, auth, campus):
    plotter, tech = campus["plotter"], factories.make_user("tech")
    visit = factories.make_visit(plotter, tech)
    db.session.add(
        ServiceRequest(
            reference="SR-HALL01",
            equipment_id=plotter.id,
            name="A student",
            phone="555-0101",
            problem="Streaks",
        )
    )
    db.session.commit()
    public = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert "Northbrook State University, Hollis Hall" in public
    assert "Leena" not in public and "555-0166" not in public  # nobody's number goes public
    client.post("/login", data={"email": tech.email, "password": factories.PASSWORD})
    pack = client.get("/api/v1/pack").get_json()
    entry = next(e for e in pack["equipment"] if e["token"] == plotter.qr_token)
    assert entry["customer"]["address"].startswith("Hollis Hall")
    assert entry["customer"]["phone"] == "+1 (847) 555-0166"
    client.post("/logout")
    auth.login("office")
    report = client.get(f"/visits/{visit.id}/report").get_data(as_text=True)
    assert "Hollis Hall, Room B12" in report and "Attn. Leena Anand" in report
    inbox = client.get("/requests").get_data(as_text=True)
    assert "Site contact: Leena Anand" in inbox


def test_a_merge_moves_sites_and_contacts_and_keeps_one_billing_contact(campus):
    keep = campus["customer"]
    save_contact(keep, {"name": "Kim Ng", "is_billing": "1"}, actor_id=None)
    duplicate = factories.make_customer(name="Northbrook State Univ.")
    save_site(duplicate, {"name": "Library"}, actor_id=None)
    save_contact(duplicate, {"name": "Pat Roe", "is_billing": "1"}, actor_id=None)
    db.session.commit()
    moved = merge_customers(keep, duplicate, actor_id=None)
    db.session.commit()
    assert moved["sites"] == 1 and moved["contacts"] == 1
    names = {
        site.name for site in db.session.scalars(sa.select(Site).where(Site.customer_id == keep.id))
    }
    assert names == {"Hollis Hall", "Facilities Services", "Library"}
    billing = db.session.scalars(
        sa.select(Contact.name).where(Contact.customer_id == keep.id, Contact.is_billing)
    ).all()
    assert billing == ["Kim Ng"]


def test_the_plotter_and_customer_lists_download_as_csv(client, auth, campus):
    factories.make_customer(name='=HYPERLINK("http://evil")', contact_name="Mallory")
    auth.login("office")
    response = client.get("/plotters.csv", query_string={"q": "northbrook"})
    assert response.mimetype == "text/csv"
    assert 'filename="plotters_' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "customer",
        "site",
        "address",
        "contact_name",
        "contact_phone",
        "contact_email",
        "make",
        "model",
        "serial",
        "installed_on",
    ]
    by_serial = {row[8]: row for row in rows[1:]}
    at_hall = by_serial[campus["plotter"].serial_number]
    assert at_hall[:5] == [
        "Northbrook State University",
        "Hollis Hall",
        "Hollis Hall, Room B12\n1 University Pl, Northbrook, IL 60062",
        "Leena Anand",
        "'+1 (847) 555-0166",  # a leading + would start a formula: kept as text
    ]
    assert by_serial[campus["at_hq"].serial_number][1:4] == [
        "",
        "1 University Pl, Northbrook, IL 60062",
        "Accounts Payable",
    ]
    customers = client.get("/customers/all.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(customers)))
    assert rows[0][0] == "customer" and len(rows) == 3
    assert '\'=HYPERLINK("http://evil")' in [row[0] for row in rows]  # a formula stays text
    only = client.get("/customers/all.csv", query_string={"q": "northbrook"}).get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(only)))) == 2
