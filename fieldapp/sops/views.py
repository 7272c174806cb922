"""SOP pages, readable on a phone."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from fieldapp.auth.access import STAFF, allow
from fieldapp.sops.models import SOP_CATEGORIES
from fieldapp.sops.services import current_versions, version_of

bp = Blueprint("sops", __name__, url_prefix="/sops")

CATEGORY_LABELS = {
    "intake": "Intake and dispatch",
    "repair": "Diagnosis and repair",
    "preventive": "Preventive maintenance",
    "parts": "Parts and stock",
    "other": "Other",
}


@bp.get("/")
@allow(STAFF)
def index():
    versions = current_versions()
    groups = [
        (CATEGORY_LABELS[category], [v for v in versions if v.sop.category == category])
        for category in SOP_CATEGORIES
    ]
    return render_template("sops/index.html", groups=[g for g in groups if g[1]])


@bp.get("/<slug>")
@bp.get("/<slug>/v<int:number>")
@allow(STAFF)
def detail(slug: str, number: int | None = None):
    version = version_of(slug, number)
    if version is None:
        abort(404)
    latest = version_of(slug) if number is not None else version
    return render_template(
        "sops/detail.html",
        version=version,
        latest=latest,
        category_label=CATEGORY_LABELS[version.sop.category],
    )
