"""SOP pages: the list, a version (readable on a phone, printable for a binder, as a PDF),
what changed between two versions, and the office's editor."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from fieldapp.auth.access import OFFICE, STAFF, allow
from fieldapp.errors import ServiceError
from fieldapp.pdf import asked_paper, html_pdf, pdf_response
from fieldapp.settings.services import logo_for_pdf
from fieldapp.sops.formatting import KIND_LABELS, setting_changes, sop_text, word_changes
from fieldapp.sops.models import SOP_CATEGORIES, STEP_KINDS, Sop
from fieldapp.sops.queries import comparison, plotter_models, sop_rows, version_page
from fieldapp.sops.services import (
    delete_unpublished_sop,
    discard_draft,
    draft_content,
    publish_draft,
    require_sop,
    restore_sop,
    retire_sop,
    sop_by_slug,
    version_changes,
)
from fieldapp.unit_of_work import unit_of_work
from fieldapp.visits.figures import step_figures
from fieldapp.wire import INT32_MAX

bp = Blueprint("sops", __name__, url_prefix="/sops")

CATEGORY_LABELS = {
    "intake": "Intake and dispatch",
    "repair": "Diagnosis and repair",
    "preventive": "Preventive maintenance",
    "parts": "Parts and stock",
    "other": "Other",
}
# What slugs look like; any other address names no SOP (and never reaches a query).
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")


@bp.app_template_filter("sop_text")
def _sop_text_filter(text: str | None):
    return sop_text(text)


@bp.app_template_filter("step_kind")
def _step_kind_filter(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def _names_a_version(slug: str, number: int | None) -> bool:
    """Whether the address could name a version: anything else is a 404 before any query
    (a number past the column's range would make PostgreSQL refuse it)."""
    return bool(SLUG.fullmatch(slug)) and (number is None or number <= INT32_MAX)


def _sop_or_404(slug: str) -> Sop:
    sop = sop_by_slug(slug) if SLUG.fullmatch(slug) else None
    if sop is None:
        abort(404)
    return sop


@bp.get("/")
@allow(STAFF)
def index():
    """Techs see the SOPs in use; the office also drafts not yet published and, on the
    Retired tab, SOPs no longer offered."""
    office = current_user.role in OFFICE
    retired = office and request.args.get("show") == "retired"
    rows = sop_rows(retired=retired)
    published = [row for row in rows if row.latest is not None]
    groups = [
        (CATEGORY_LABELS[category], [row for row in published if row.sop.category == category])
        for category in SOP_CATEGORIES
    ]
    return render_template(
        "sops/index.html",
        groups=[group for group in groups if group[1]],
        drafts=[row for row in rows if row.draft is not None] if office and not retired else [],
        office=office,
        retired=retired,
    )


@bp.get("/new")
@allow(OFFICE)
def new():
    """The editor for an SOP not written yet; its first save creates it."""
    return _editor(None)


@bp.get("/<slug>")
@bp.get("/<slug>/v<int:number>")
@allow(STAFF)
def detail(slug: str, number: int | None = None):
    """A published version: its steps, who published it and when, and every version."""
    if not _names_a_version(slug, number):
        abort(404)
    page = version_page(slug, number)
    if page is None:
        if number is None and current_user.role in OFFICE and sop_by_slug(slug):
            return redirect(url_for("sops.edit", slug=slug))  # written, not yet published
        abort(404)
    return render_template(
        "sops/detail.html",
        page=page,
        version=page.version,
        latest=page.latest,
        category_label=CATEGORY_LABELS[page.version.sop.category],
        figures=step_figures(page.version.sop) if current_user.role in OFFICE else None,
    )


@bp.get("/<slug>/v<int:number>.pdf")
@allow(STAFF)
def pdf(slug: str, number: int):
    """A version as a PDF for the binder (Letter, or ?paper=a4)."""
    paper = asked_paper()
    page = version_page(slug, number) if _names_a_version(slug, number) else None
    if page is None:
        abort(404)
    html = render_template("sops/print.html", page=page, version=page.version)
    images = [image.photo for step in page.version.steps for image in step.images]
    document = html_pdf(html, paper=paper, photos=images, files=logo_for_pdf())
    return pdf_response(document, f"{page.version.sop.slug}-v{number}.pdf")


@bp.get("/<slug>/changes")
@allow(STAFF)
def changes(slug: str):
    """What changed, step by step, between any two versions (?from=1&to=2)."""
    old, new = _version_number("from"), _version_number("to")
    pair = comparison(slug, old, new) if SLUG.fullmatch(slug) else None
    if pair is None:
        abort(404)
    return render_template(
        "sops/changes.html",
        pair=pair,
        steps=version_changes(pair.old, pair.new),
        setting_changes=setting_changes,
        word_changes=word_changes,
    )


def _version_number(name: str) -> int | None:
    """A version number from the query string; None when not given, 404 when no number."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        abort(404)
    return int(value)


@bp.get("/<slug>/edit")
@allow(OFFICE)
def edit(slug: str):
    """The editor: the draft, or the current version's text to start a new draft from."""
    return _editor(_sop_or_404(slug))


def _editor(sop: Sop | None, *, errors: dict | None = None, status: int = 200):
    content = draft_content(sop) if sop is not None else None
    document = content.as_json() if content is not None else EMPTY_SOP
    page = render_template(
        "sops/edit.html",
        sop=sop,
        document=document,
        latest=sop.versions[-1] if sop is not None and sop.versions else None,
        draft=sop.draft if sop is not None else None,
        categories=[(c, CATEGORY_LABELS[c]) for c in SOP_CATEGORIES],
        kinds=[(k, KIND_LABELS[k]) for k in STEP_KINDS],
        models=plotter_models(),
        blank_step=EMPTY_STEP,
        errors=errors or {},
        change_note=request.form.get("change_note", ""),
    )
    return page, status


EMPTY_STEP = {
    "key": None,
    "title": "",
    "detail": "",
    "kind": "check",
    "required": True,
    "unit": "",
    "min": None,
    "max": None,
    "meter": False,
    "images": [],
}
EMPTY_SOP = {
    "title": "",
    "category": "repair",
    "summary": "",
    "applies_to": [],
    "steps": [EMPTY_STEP],
}


@bp.post("/<slug>/publish")
@allow(OFFICE)
def publish(slug: str):
    """Publish the draft as the next version (the editor saves the draft first)."""
    sop = _sop_or_404(slug)
    note = request.form.get("change_note", "")
    try:
        with unit_of_work():
            version = publish_draft(sop, change_note=note, author_id=current_user.id)
    except ServiceError as exc:
        return _editor(require_sop(slug), errors=exc.fields or {"draft": [exc.message]}, status=422)
    flash(f"Published version {version.number}. Techs are asked to read it.", "success")
    return redirect(url_for("sops.detail", slug=slug, number=version.number))


@bp.post("/<slug>/discard")
@allow(OFFICE)
def discard(slug: str):
    """Throw the draft away: the SOP reads as its current version again."""
    sop = _sop_or_404(slug)
    if not sop.versions:
        flash("This SOP was never published: delete it instead.", "error")
        return redirect(url_for("sops.edit", slug=slug))
    with unit_of_work():
        discard_draft(sop)
    flash("Draft discarded. Nothing published has changed.", "success")
    return redirect(url_for("sops.detail", slug=slug))


@bp.post("/<slug>/delete")
@allow(OFFICE)
def delete(slug: str):
    """Delete an SOP that was never published."""
    sop = _sop_or_404(slug)
    title = sop.title
    try:
        with unit_of_work():
            delete_unpublished_sop(sop, actor_id=current_user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
        return redirect(url_for("sops.detail", slug=slug))
    flash(f"Deleted {title}.", "success")
    return redirect(url_for("sops.index"))


@bp.post("/<slug>/retire")
@allow(OFFICE)
def retire(slug: str):
    """No longer offered for new visits; its history stays."""
    sop = _sop_or_404(slug)
    with unit_of_work():
        retire_sop(sop, actor_id=current_user.id)
    flash("Retired: no longer offered for new visits. Its versions and history stay.", "success")
    return redirect(url_for("sops.detail", slug=slug))


@bp.post("/<slug>/restore")
@allow(OFFICE)
def restore(slug: str):
    """Offered for new visits again."""
    sop = _sop_or_404(slug)
    try:
        with unit_of_work():
            restore_sop(sop, actor_id=current_user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("Back in use: offered for new visits again.", "success")
    return redirect(url_for("sops.detail", slug=slug))
