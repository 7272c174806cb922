"""Training over the API: a tech signs off an SOP version; the office reads the matrix."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from fieldapp.api import api, documented
from fieldapp.auth.access import OFFICE, TECH, allow
from fieldapp.sops.schemas import TrainingQuerySchema, TrainingSchema, TrainingSignoffSchema
from fieldapp.training.queries import training_matrix
from fieldapp.training.services import sign_off_version
from fieldapp.unit_of_work import in_unit_of_work


@api.post("/sops/<slug>/v<int:number>/signoff")
@allow(TECH)
@documented("Sign off an SOP version", response=TrainingSignoffSchema, status=201, tag="training")
def sign_off_sop_version(slug: str, number: int):
    """The signed-in tech has read and understood this version of the SOP. Answers 201 the
    first time and 200 after (signing twice is one sign-off, its first date kept); an unknown
    SOP or version is a 404. Only techs sign off."""
    record, created = in_unit_of_work(lambda: sign_off_version(current_user, slug, number))
    body = TrainingSignoffSchema().dump(
        {"slug": slug, "number": number, "signed_at": record.signed_at, "created": created}
    )
    return jsonify(body), (201 if created else 200)


@api.get("/training")
@allow(OFFICE)
@documented(
    "The training matrix",
    query=TrainingQuerySchema,
    response=TrainingSchema,
    tag="training",
)
def training():
    """One row per active tech and SOP in use: the SOP's latest version, the newest version
    the tech signed (or null), when, when a trainer saw them follow the latest one, and the
    state: current (signed the latest), outdated (an older one) or never. Filter with ?tech=
    (a user id), ?sop= (a slug) and ?state=."""
    args = TrainingQuerySchema().load(request.args)
    matrix = training_matrix(tech_id=args["tech"], slug=args["sop"], state=args["state"])
    rows = [
        {
            "tech": {"id": cell.tech_id, "name": cell.tech_name},
            "sop": cell.column.slug,
            "latest_version": cell.column.number,
            "signed_version": cell.signed_number,
            "signed_at": cell.signed_at,
            "observed_at": cell.observed_at,
            "state": cell.state,
        }
        for cell in matrix.cells
    ]
    return jsonify(TrainingSchema().dump({"rows": rows}))
