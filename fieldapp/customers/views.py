"""Office pages for customers: list, search, create (warning of duplicates), edit, merge,
retire; their sites and contacts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, allow
from fieldapp.csvfile import csv_download, dated
from fieldapp.customers import services
from fieldapp.customers.exports import customer_rows
from fieldapp.customers.models import Customer
from fieldapp.customers.queries import (
    contacts_of,
    customer_choices,
    customers_named_like,
    find_contact,
    find_customer,
    find_site,
    rows_naming,
    search_customers,
    sites_of,
)
from fieldapp.equipment.queries import active_plotter_counts, plotters_of
from fieldapp.errors import ServiceError
from fieldapp.extensions import db
from fieldapp.form_values import optional_id
from fieldapp.jobs.queries import jobs_of_customer
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits.queries import history_summaries

bp = Blueprint("customers", __name__, url_prefix="/customers")


@bp.get("/")
@allow(OFFICE)
def index():
    q = request.args.get("q", "")
    retired = request.args.get("retired") == "1"
    page = db.paginate(search_customers(q, include_retired=retired), per_page=50, count=True)
    counts = active_plotter_counts([customer.id for customer in page.items])
    return render_template("customers/index.html", page=page, counts=counts, q=q, retired=retired)


@bp.get("/all.csv")
@allow(OFFICE)
def index_csv():
    """The customers list as filtered, every page, as a CSV file."""
    q = request.args.get("q", "")
    query = search_customers(q, include_retired=request.args.get("retired") == "1")
    return csv_download(customer_rows(query), dated("customers"))


@bp.route("/new", methods=["GET", "POST"])
@allow(OFFICE)
def new():
    errors, status, duplicates = {}, 200, []
    if request.method == "POST":
        if request.form.get("confirm_new") != "1":
            duplicates = customers_named_like(request.form.get("name", ""))
        if duplicates:
            status = 409  # nothing saved until the office says it is another firm
        else:
            try:
                with unit_of_work():
                    customer = services.create_customer(request.form, actor_id=current_user.id)
            except ServiceError as exc:
                errors, status = exc.fields, exc.status
            else:
                flash(f"Added {customer.name}. Now add their plotters.", "success")
                return redirect(url_for("customers.detail", customer_id=customer.id))
    page = render_template(
        "customers/form.html",
        customer=None,
        form=request.form,
        errors=errors,
        duplicates=duplicates,
    )
    return page, status


@bp.get("/<int:customer_id>")
@allow(OFFICE)
def detail(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    plotters = plotters_of(customer.id, status=None)
    summaries = history_summaries([p.id for p in plotters])
    jobs, jobs_total = jobs_of_customer(customer.id)
    sites = sites_of(customer.id)
    return render_template(
        "customers/detail.html",
        customer=customer,
        sites=sites,
        sites_by_id={site.id: site for site in sites},
        contacts=contacts_of(customer.id),
        plotters=plotters,
        summaries=summaries,
        jobs=jobs,
        jobs_total=jobs_total,
    )


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@allow(OFFICE)
def edit(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                services.update_customer(customer, request.form, actor_id=current_user.id)
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash(f"Saved {customer.name}.", "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    page = render_template(
        "customers/form.html", customer=customer, form=request.form, errors=errors
    )
    return page, status


@bp.route("/<int:customer_id>/merge", methods=["GET", "POST"])
@allow(OFFICE)
def merge(customer_id: int):
    """Fold a duplicate into this customer: choose it, see what moves, confirm."""
    customer = db.get_or_404(Customer, customer_id)
    other_id = optional_id(request.values.get("other"))
    other = find_customer(other_id) if other_id is not None else None
    if other is not None and other.id == customer.id:
        other = None
    if request.method == "POST":
        if other is None:
            flash("Choose the customer to merge into this one.", "error")
            return redirect(url_for("customers.merge", customer_id=customer.id))
        name = other.name
        with unit_of_work():
            services.merge_customers(customer, other, actor_id=current_user.id)
        flash(f"Merged {name} into {customer.name}: its plotters and jobs are here now.", "success")
        return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template(
        "customers/merge.html",
        customer=customer,
        other=other,
        moving=rows_naming(other.id) if other else {},
        rows_text=services.rows_text,
        likely=customers_named_like(customer.name, other_than=customer.id),
        choices=[c for c in customer_choices() if c.id != customer.id],
    )


@bp.post("/<int:customer_id>/status")
@allow(OFFICE)
def set_status(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    active = request.form.get("active") == "1"
    with unit_of_work():
        services.set_customer_active(customer, active, actor_id=current_user.id)
    flash(f"{customer.name} is {'active again' if active else 'retired'}.", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


@bp.post("/<int:customer_id>/contact-mail")
@allow(OFFICE)
def set_contact_mail(customer_id: int):
    customer = db.get_or_404(Customer, customer_id)
    choice = request.form.get("on")
    if choice not in ("0", "1"):
        flash("Choose whether visit emails go to this customer's contacts.", "error")
        return redirect(url_for("customers.detail", customer_id=customer.id))
    on = choice == "1"
    with unit_of_work():
        services.set_contact_mail(customer, on, actor_id=current_user.id)
    flash(f"Visit emails to {customer.name}'s contacts are {'on' if on else 'off'}.", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id))


# -- sites and contacts ------------------------------------------------------------------


def _owned(found, customer: Customer):
    if found is None or found.customer_id != customer.id:
        abort(404)
    return found


@bp.route("/<int:customer_id>/sites/new", methods=["GET", "POST"])
@bp.route("/<int:customer_id>/sites/<int:site_id>", methods=["GET", "POST"])
@allow(OFFICE)
def site(customer_id: int, site_id: int | None = None):
    """Add a site (a branch, a campus building) or change one: address, access, hours."""
    customer = db.get_or_404(Customer, customer_id)
    site = _owned(find_site(site_id), customer) if site_id is not None else None
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                saved = services.save_site(customer, request.form, site, actor_id=current_user.id)
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash(f"Saved the site {saved.name}.", "success")
            return redirect(url_for("customers.detail", customer_id=customer.id) + "#sites")
    page = render_template(
        "customers/site_form.html", customer=customer, site=site, form=request.form, errors=errors
    )
    return page, status


@bp.route("/<int:customer_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/<int:customer_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@allow(OFFICE)
def contact(customer_id: int, contact_id: int | None = None):
    """Add a person at the customer or change one: role, phone, email, billing or site
    contact."""
    customer = db.get_or_404(Customer, customer_id)
    contact = _owned(find_contact(contact_id), customer) if contact_id is not None else None
    errors, status = {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                saved = services.save_contact(
                    customer, request.form, contact, actor_id=current_user.id
                )
        except ServiceError as exc:
            errors, status = exc.fields, exc.status
        else:
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("customers.detail", customer_id=customer.id) + "#contacts")
    page = render_template(
        "customers/contact_form.html",
        customer=customer,
        contact=contact,
        sites=[s for s in sites_of(customer.id) if s.active],
        form=request.form if request.method == "POST" else request.args,
        errors=errors,
    )
    return page, status


@bp.post("/<int:customer_id>/contacts/<int:contact_id>/remove")
@allow(OFFICE)
def remove_contact(customer_id: int, contact_id: int):
    customer = db.get_or_404(Customer, customer_id)
    contact = _owned(find_contact(contact_id), customer)
    name = contact.name
    with unit_of_work():
        services.remove_contact(contact, actor_id=current_user.id)
    flash(f"Removed {name}.", "success")
    return redirect(url_for("customers.detail", customer_id=customer.id) + "#contacts")
