"""Who may open what: every page and endpoint, for every role."""

from __future__ import annotations

import pytest

from tests import factories

ROLES = ("public", "tech", "office", "admin")
OK, LOGIN, DENIED, UNAUTHORIZED = 200, 302, 403, 401

# path -> expected status for (public, tech, office, admin). Paths may use {sop} / {user}.
ACCESS = {
    "/login": (OK, LOGIN, LOGIN, LOGIN),  # signed-in users are sent on to their home page
    "/": (LOGIN, OK, OK, OK),
    # A page's live parts are the page's: a tech gets their Today's, the office its dashboard's.
    "/?part=live": (LOGIN, OK, OK, OK),
    "/more": (LOGIN, OK, OK, OK),
    "/sops/": (LOGIN, OK, OK, OK),
    "/sops/{sop}": (LOGIN, OK, OK, OK),
    "/sops/{sop}/v{version}": (LOGIN, OK, OK, OK),
    # Writing SOPs is the office's; techs read every version, what changed, and the PDF.
    "/sops/new": (LOGIN, DENIED, OK, OK),
    "/sops/{sop}/edit": (LOGIN, DENIED, OK, OK),
    "/sops/{sop}/changes": (LOGIN, OK, OK, OK),
    "/sops/{sop}/v{version}.pdf": (LOGIN, OK, OK, OK),
    "/api/v1/sops": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/sops/{sop}": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/sops/{sop}/v{version}": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/sops/{sop}/draft": (UNAUTHORIZED, DENIED, OK, OK),
    "/admin/users": (LOGIN, DENIED, DENIED, OK),
    "/admin/users/new": (LOGIN, DENIED, DENIED, OK),
    "/admin/users/{user}": (LOGIN, DENIED, DENIED, OK),
    "/admin/users/{user}/leave": (LOGIN, DENIED, DENIED, OK),
    "/api/v1/me": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/openapi.json": (OK, OK, OK, OK),
    "/e/{token}/label.png": (LOGIN, OK, OK, OK),
    "/e/{token}/label.svg": (LOGIN, OK, OK, OK),
    "/labels/new": (LOGIN, DENIED, OK, OK),
    "/labels/print": (LOGIN, DENIED, OK, OK),
    "/labels/stocks/{stock}.css": (
        LOGIN,
        OK,
        OK,
        OK,
    ),  # with nothing chosen: a page saying how to start
    "/labels/print.pdf": (LOGIN, DENIED, 400, 400),  # with nothing chosen there is no PDF to make
    "/healthz": (OK, OK, OK, OK),
    "/scan": (LOGIN, OK, OK, OK),
    "/e/{token}": (OK, OK, OK, OK),  # the public page, or the plotter page when signed in
    # A requester's status page is open to whoever has its link; the report once there is one.
    "/r/{status}": (OK, OK, OK, OK),
    "/r/{status}/report.pdf": (404, 404, 404, 404),
    # Every email's unsubscribe link works without signing in (its GET only asks).
    "/unsubscribe/{unsubscribe}": (OK, OK, OK, OK),
    "/outbox": (LOGIN, DENIED, OK, OK),
    "/account/notifications": (LOGIN, OK, OK, OK),
    "/e/{unclaimed}/claim": (LOGIN, OK, OK, OK),
    "/plotters": (LOGIN, DENIED, OK, OK),
    "/plotters.csv": (LOGIN, DENIED, OK, OK),
    "/customers/all.csv": (LOGIN, DENIED, OK, OK),
    "/plotters/new": (LOGIN, DENIED, OK, OK),
    "/plotters/{equipment}/edit": (LOGIN, DENIED, OK, OK),
    # Contracts, PM plans and the forecast are the office's; techs see a plotter's cover on
    # its page.
    "/contracts": (LOGIN, DENIED, OK, OK),
    "/contracts/new": (LOGIN, DENIED, OK, OK),
    "/contracts/{contract}": (LOGIN, DENIED, OK, OK),
    "/contracts/{contract}/edit": (LOGIN, DENIED, OK, OK),
    "/pm/plans/new?contract={contract}": (LOGIN, DENIED, OK, OK),
    "/pm/plans/new?plotter={equipment}": (LOGIN, DENIED, OK, OK),
    "/pm/plans/new": (LOGIN, DENIED, 404, 404),  # for a contract or a plotter: it says which
    "/pm/plans/{plan}/edit": (LOGIN, DENIED, OK, OK),
    "/pm/forecast": (LOGIN, DENIED, OK, OK),
    "/api/v1/contracts": (UNAUTHORIZED, DENIED, OK, OK),
    "/api/v1/contracts/{contract}": (UNAUTHORIZED, DENIED, OK, OK),
    "/api/v1/pm/forecast": (UNAUTHORIZED, DENIED, OK, OK),
    "/reports/contract-earnings": (LOGIN, DENIED, OK, OK),
    "/reports/model-costs": (LOGIN, DENIED, OK, OK),
    "/customers/": (LOGIN, DENIED, OK, OK),
    "/customers/new": (LOGIN, DENIED, OK, OK),
    "/customers/{customer}": (LOGIN, DENIED, OK, OK),
    "/customers/{customer}/edit": (LOGIN, DENIED, OK, OK),
    "/customers/{customer}/merge": (LOGIN, DENIED, OK, OK),
    "/customers/{customer}/sites/new": (LOGIN, DENIED, OK, OK),
    "/customers/{customer}/sites/{site}": (LOGIN, DENIED, OK, OK),
    "/customers/{customer}/contacts/new": (LOGIN, DENIED, OK, OK),
    "/customers/{customer}/contacts/{contact}": (LOGIN, DENIED, OK, OK),
    "/photos/{photo}": (LOGIN, OK, OK, OK),
    "/photos/{photo}/{size}": (LOGIN, OK, OK, OK),
    "/visits/new": (LOGIN, OK, DENIED, DENIED),
    "/visits/{visit}": (LOGIN, OK, OK, OK),  # another tech's visit, finished: the history
    "/visits/{visit}/edit": (LOGIN, DENIED, DENIED, DENIED),  # only its own tech corrects it
    "/settings": (LOGIN, DENIED, OK, OK),
    "/schedule": (LOGIN, DENIED, OK, OK),
    "/jobs/{job}/schedule": (LOGIN, DENIED, OK, OK),
    "/settings/company": (LOGIN, DENIED, DENIED, OK),
    "/company/logo-{logo}.png": (OK, OK, OK, OK),  # the public page shows it
    "/visits/{visit}/report": (LOGIN, DENIED, OK, OK),  # techs read only their own
    "/visits/{visit}/report.pdf": (LOGIN, DENIED, OK, OK),
    "/van": (LOGIN, OK, DENIED, DENIED),
    "/api/v1/equipment": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/equipment/{token}": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/pack": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/csrf-token": (UNAUTHORIZED, OK, OK, OK),
    "/visits/form/{sop}": (LOGIN, OK, DENIED, DENIED),
    "/sync": (LOGIN, OK, OK, OK),
    "/offline/plotter": (LOGIN, OK, OK, OK),
    "/manifest.webmanifest": (OK, OK, OK, OK),
    "/sw.js": (OK, OK, OK, OK),
    "/offline": (LOGIN, OK, OK, OK),
    # The office and the communication hub: techs get their own jobs' threads, nothing else.
    "/jobs": (LOGIN, DENIED, OK, OK),
    "/jobs?part=live&tech=none": (LOGIN, DENIED, OK, OK),
    "/jobs/new": (LOGIN, DENIED, OK, OK),
    "/jobs/{job}": (LOGIN, DENIED, OK, OK),
    "/jobs/{job_number}": (LOGIN, DENIED, LOGIN, LOGIN),  # J-1042 sends on to the job's page
    "/jobs/all": (LOGIN, DENIED, OK, OK),
    "/jobs/all.csv": (LOGIN, DENIED, OK, OK),
    "/search": (LOGIN, DENIED, OK, OK),
    "/jobs/{job}/messages": (LOGIN, DENIED, OK, OK),  # another tech's job
    "/requests": (LOGIN, DENIED, OK, OK),
    "/techs/{user}/day": (LOGIN, DENIED, OK, OK),
    "/reports": (LOGIN, DENIED, OK, OK),
    "/reports/{report}": (LOGIN, DENIED, OK, OK),
    "/reports/{report}.csv": (LOGIN, DENIED, OK, OK),
    "/api/v1/activity": (UNAUTHORIZED, DENIED, OK, OK),
    # What moved on a tech's own jobs (Today's live parts): the office has the whole feed.
    "/api/v1/me/activity": (UNAUTHORIZED, OK, DENIED, DENIED),
    # Training: the matrix is the office's; techs sign off on the SOP page.
    "/training": (LOGIN, DENIED, OK, OK),
    "/training.csv": (LOGIN, DENIED, OK, OK),
    "/api/v1/training": (UNAUTHORIZED, DENIED, OK, OK),
    "/api/v1/jobs/{job_number}/messages": (UNAUTHORIZED, DENIED, OK, OK),
    # Parts and stock are the office's; a tech sees their own van.
    "/parts": (LOGIN, DENIED, OK, OK),
    "/parts/new": (LOGIN, DENIED, OK, OK),
    "/parts/{sku}": (LOGIN, DENIED, OK, OK),
    "/parts/{sku}/edit": (LOGIN, DENIED, OK, OK),
    "/stock": (LOGIN, DENIED, OK, OK),
    "/stock/alerts": (LOGIN, DENIED, OK, OK),
    "/stock/reorder": (LOGIN, DENIED, OK, OK),
    "/stock/move/{kind}": (LOGIN, DENIED, OK, OK),
    "/stock/locations/{location}": (LOGIN, DENIED, OK, OK),
    "/stock/restock": (LOGIN, DENIED, OK, OK),
    "/stock/restock/{restock}": (LOGIN, DENIED, OK, OK),
    "/stock/orders": (LOGIN, DENIED, OK, OK),
    "/stock/orders/{order}": (LOGIN, DENIED, OK, OK),
    "/stock/orders/{order}.csv": (LOGIN, DENIED, OK, OK),
    "/stock/orders/{order}.pdf": (LOGIN, DENIED, OK, OK),
    "/stock/returns": (LOGIN, DENIED, OK, OK),
    "/stock/returns/{part_return}": (LOGIN, DENIED, OK, OK),
    "/stock/suppliers": (LOGIN, DENIED, OK, OK),
    "/stock/suppliers/{supplier}": (LOGIN, DENIED, OK, OK),
    # CSV import and exports of the catalogue, levels and ledger: the office's too.
    "/stock/import": (LOGIN, DENIED, OK, OK),
    "/stock/import/template.csv": (LOGIN, DENIED, OK, OK),
    "/plotters/import": (LOGIN, DENIED, OK, OK),
    "/plotters/import/template.csv": (LOGIN, DENIED, OK, OK),
    "/parts.csv": (LOGIN, DENIED, OK, OK),
    "/stock/levels.csv": (LOGIN, DENIED, OK, OK),
    "/stock/movements.csv": (LOGIN, DENIED, OK, OK),
    "/api/v1/parts": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/parts/{sku}": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/locations": (UNAUTHORIZED, OK, OK, OK),
    "/api/v1/stock": (UNAUTHORIZED, 422, 422, 422),  # which location is required
    "/api/v1/stock/reorder": (UNAUTHORIZED, DENIED, OK, OK),
    "/api/v1/restock-requests": (UNAUTHORIZED, OK, OK, OK),  # a tech gets their own
}

# Endpoints reached only by POST (checked in their own tests) or not a page at all.
NOT_PAGES = {
    "static",
    "auth.logout",
    "auth.user_reset_password",
    "auth.change_password",
    "api.change_password",
}


@pytest.fixture
def subjects(app):
    from fieldapp.sops.services import StepText, publish_sop_version

    version = publish_sop_version(
        "test-sop",
        title="Test SOP",
        category="repair",
        summary="",
        steps=[StepText("Check the carriage", "Move it by hand.", "check")],
        change_note="",
        author_id=None,
    )
    from fieldapp.customers.services import save_contact, save_site
    from fieldapp.equipment.services import issue_unclaimed_labels
    from fieldapp.extensions import db
    from fieldapp.notify.outbox import queue_mail
    from fieldapp.photos.services import add_photo
    from fieldapp.public.models import ServiceRequest
    from fieldapp.settings.services import change_logo

    user = factories.make_user("tech")
    plotter = factories.make_equipment()
    visit = factories.make_visit(plotter, user)
    job = factories.make_job(equipment=plotter, assigned_to_id=user.id)
    photo = add_photo(factories.jpeg_bytes(), uploaded_by_id=user.id)
    company = change_logo(factories.jpeg_bytes(), actor_id=None)
    site = save_site(plotter.customer, {"name": "Annex"}, actor_id=None)
    contact = save_contact(plotter.customer, {"name": "Ada Okafor"}, actor_id=None)
    asked = ServiceRequest(
        reference="SR-ACCESS", equipment=plotter, name="Ada", phone="555", problem="Banding"
    )
    db.session.add(asked)
    mail = queue_mail(
        key="access",
        topic="request_received",
        to="ada@example.com",
        subject="We received your service request",
        template="request_received",
        context={"request": asked, "equipment": plotter, "status_url": "/"},
    )
    db.session.commit()
    contract, plan = _contract_with_plan(plotter)
    return {
        "contract": contract,
        "plan": plan,
        "site": site.id,
        "contact": contact.id,
        "unclaimed": issue_unclaimed_labels(1, actor_id=None)[0].token,
        "equipment": plotter.id,
        "customer": plotter.customer_id,
        "photo": photo.id,
        "logo": company.logo_digest,
        "size": "thumb",
        "stock": "l7163",
        "visit": visit.id,
        "sop": version.sop.slug,
        "version": version.number,
        "user": user.id,
        "token": plotter.qr_token,
        "status": asked.status_token,
        "unsubscribe": mail.unsubscribe_token,
        "job": job.id,
        "job_number": job.number,
        "report": "owner-load",
        "sku": factories.make_part().sku,
        "restock": _restock_request(user),
        **_purchase_order(),
        "location": factories.make_location().id,
        "kind": "receive",
    }


def _contract_with_plan(plotter) -> tuple[int, int]:
    from datetime import date

    from fieldapp.contracts.schemas import ContractSchema, PlanSchema
    from fieldapp.contracts.services import create_contract, create_plans
    from fieldapp.extensions import db

    today = date.today()
    contract = create_contract(
        ContractSchema().load(
            {
                "number": "SC-ACCESS",
                "customer_id": plotter.customer_id,
                "starts_on": today.isoformat(),
                "ends_on": today.replace(year=today.year + 1).isoformat(),
                "price_cents_per_year": 100_000,
                "plotter_ids": [plotter.id],
                "state": "active",
            }
        ),
        actor_id=None,
        today=today,
    )
    (plan,) = create_plans(
        PlanSchema().load({"plotter_ids": [plotter.id], "every_months": 3}),
        contract=contract,
        actor_id=None,
        today=today,
    )
    db.session.commit()
    return contract.id, plan.id


def _purchase_order():
    from fieldapp.extensions import db
    from fieldapp.inventory.models import PartReturn, PurchaseOrder, Supplier

    supplier = Supplier(name="Northline Imaging Parts")
    order = PurchaseOrder(supplier=supplier)
    part_return = PartReturn(part=factories.make_part(), supplier=supplier, quantity=1)
    db.session.add_all([order, part_return])
    db.session.commit()
    return {"order": order.id, "supplier": supplier.id, "part_return": part_return.id}


def _restock_request(tech):
    import uuid

    from fieldapp.extensions import db
    from fieldapp.inventory.restock import ask_for_restock

    factories.van_of(tech)
    part = factories.make_part()
    request, _ = ask_for_restock(
        {"id": uuid.uuid4(), "lines": [{"sku": part.sku, "quantity": 1}]}, tech
    )
    db.session.commit()
    return request.id


@pytest.mark.parametrize("path", sorted(ACCESS))
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_each_role_gets_what_it_may(client, auth, subjects, path, role_index):
    """Does each role get exactly the access the table says, and the public a sign-in?"""
    role = ROLES[role_index]
    if role != "public":
        auth.login(role)
    response = client.get(path.format(**subjects))
    response.close()
    expected = ACCESS[path][role_index]
    assert response.status_code == expected, (role, path, response.status_code)
    if expected == LOGIN and role == "public":
        assert response.location.startswith("/login?next=")
    if expected == UNAUTHORIZED:
        assert response.is_json
        assert response.json["error"]["code"] == "unauthorized"


def test_every_endpoint_declares_its_roles(app):
    """Does every view carry @allow, so nothing is open by accident?"""
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and getattr(view, "allowed_roles", None) is None
    ]
    assert undeclared == []


def test_every_get_page_is_in_the_access_table(app):
    """Is every GET route covered by the access table (a new page needs a row)?"""
    import re

    table = {re.sub(r"\{[^}]+\}", "<>", path) for path in ACCESS}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_PAGES or "GET" not in rule.methods:
            continue
        normalised = re.sub(r"<[^>]+>", "<>", rule.rule)
        if normalised not in table:
            missing.append(rule.rule)
    assert missing == []


def test_an_undeclared_view_is_refused(app, client, auth):
    """Would a route someone forgot to decorate stay closed?"""
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    auth.login("admin")
    response = client.get("/forgotten")
    assert response.status_code == 403
    assert b"secret" not in response.data


def test_deactivated_user_session_stops_working(client, auth, app):
    """Does deactivating a user end their access at once?"""
    from fieldapp.extensions import db

    user = auth.login("tech")
    assert client.get("/").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/").status_code == 302
