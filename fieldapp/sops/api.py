"""SOPs over the API: staff read the list and any published version; the office writes an SOP
as a draft (saved as the editor goes), publishes it as the next version, retires it."""

from __future__ import annotations

import re

from flask import jsonify, url_for
from flask_login import current_user
from marshmallow import ValidationError

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import OFFICE, STAFF, allow
from fieldapp.errors import Invalid, NotFound
from fieldapp.photos.api import photo_links
from fieldapp.sops.content import SopContent
from fieldapp.sops.models import Sop, SopVersion
from fieldapp.sops.queries import sop_rows
from fieldapp.sops.schemas import (
    CreatedSopSchema,
    DraftOutSchema,
    PublishedSchema,
    PublishSchema,
    SopContentSchema,
    SopListSchema,
    SopStateSchema,
    VersionOutSchema,
)
from fieldapp.sops.services import (
    create_sop,
    delete_unpublished_sop,
    discard_draft,
    draft_content,
    publish_draft,
    require_sop,
    restore_sop,
    retire_sop,
    save_draft,
    version_of,
)
from fieldapp.unit_of_work import in_unit_of_work, unit_of_work
from fieldapp.wire import INT32_MAX, flat_messages, length_of

# What slug_for makes; anything else names no SOP (and never reaches the database: a NUL
# in a path is refused here, not by PostgreSQL).
_SLUG = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{length_of(Sop.slug) - 1}}}")


def _sop(slug: str) -> Sop:
    if not _SLUG.fullmatch(slug):
        raise NotFound(f"There is no SOP “{slug[:80]}”.")
    return require_sop(slug)


def _version(slug: str, number: int | None = None) -> SopVersion:
    sop = _sop(slug)
    # A number past the column's range names no version (PostgreSQL would refuse the query).
    version = version_of(slug, number) if number is None or number <= INT32_MAX else None
    if version is None:
        if number is None:
            raise NotFound(f"{sop.title} has no published version yet.")
        raise NotFound(f"{sop.title} has no version {number}.")
    return version


def _content() -> SopContent:
    """The editor's document from the body; a 422 names nested fields as "steps.0.title"."""
    try:
        return load_json(SopContentSchema())
    except ValidationError as exc:
        raise Invalid("The SOP is not complete.", flat_messages(exc.messages)) from exc


def version_json(version: SopVersion, latest_number: int) -> dict:
    """A published version with its steps, step ids and reference images' addresses."""
    sop = version.sop
    return {
        "slug": sop.slug,
        "title": sop.title,
        "category": sop.category,
        "summary": sop.summary,
        "applies_to": list(sop.applies_to or []),
        "number": version.number,
        "latest_version": latest_number,
        "change_note": version.change_note,
        "published_at": version.published_at,
        "published_by": version.author.name if version.author else None,
        "retired": not sop.active,
        "url": url_for("sops.detail", slug=sop.slug, number=version.number),
        "steps": [
            {
                "id": step.id,
                "key": step.key,
                "position": step.position,
                "title": step.title,
                "detail": step.detail,
                "kind": step.kind,
                "required": step.required,
                "unit": step.unit,
                "min_value": step.min_value,
                "max_value": step.max_value,
                "meter": step.meter,
                "expected": step.expected,
                "images": [photo_links(image.photo) for image in step.images],
            }
            for step in version.steps
        ],
    }


def _draft_json(sop: Sop) -> dict:
    draft = sop.draft
    latest = sop.versions[-1].number if sop.versions else None
    content = draft_content(sop)
    return {
        "slug": sop.slug,
        "saved_at": draft.updated_at if draft else None,
        "saved_by": draft.updated_by.name if draft and draft.updated_by else None,
        "latest_version": latest,
        "content": content.as_json() if content else None,
    }


@api.get("/sops")
@allow(STAFF)
@documented("Every SOP", response=SopListSchema, tag="sops")
def list_sops():
    """SOPs in use, then retired ones, with their current version number. The office also
    sees SOPs not published yet (current_version null) and which have a draft."""
    office = current_user.role in OFFICE
    rows = [
        row
        for row in sop_rows(retired=False) + sop_rows(retired=True)
        if office or row.latest is not None
    ]
    sops = [
        {
            "slug": row.sop.slug,
            "title": row.sop.title,
            "category": row.sop.category,
            "current_version": row.latest.number if row.latest else None,
            "retired": not row.sop.active,
            "has_draft": office and row.draft is not None,
            "url": url_for("sops.detail", slug=row.sop.slug),
        }
        for row in rows
    ]
    return jsonify(SopListSchema().dump({"sops": sops}))


@api.post("/sops")
@allow(OFFICE)
@documented(
    "Write a new SOP",
    body=SopContentSchema,
    response=CreatedSopSchema,
    status=201,
    tag="sops",
)
def create_sop_draft():
    """A new SOP with its first draft; nothing is published until POST .../publish. Answers
    with the slug it is known by from now on."""
    content = _content()
    sop = in_unit_of_work(lambda: create_sop(content, author_id=current_user.id))
    body = {"slug": sop.slug, "url": url_for("sops.edit", slug=sop.slug)}
    return jsonify(CreatedSopSchema().dump(body)), 201


@api.get("/sops/<slug>")
@allow(STAFF)
@documented("An SOP's current version", response=VersionOutSchema, tag="sops")
def current_sop_version(slug: str):
    """The latest published version with its steps (their ids are what a visit's steps name)."""
    version = _version(slug)
    return jsonify(VersionOutSchema().dump(version_json(version, version.number)))


@api.delete("/sops/<slug>")
@allow(OFFICE)
@documented("Delete an SOP never published", status=204, errors=(409,), tag="sops")
def delete_sop(slug: str):
    """Only an SOP that was never published can be deleted; a published one is retired."""
    sop = _sop(slug)
    with unit_of_work():
        delete_unpublished_sop(sop, actor_id=current_user.id)
    return "", 204


@api.get("/sops/<slug>/v<int:number>")
@allow(STAFF)
@documented("One version of an SOP", response=VersionOutSchema, tag="sops")
def sop_version(slug: str, number: int):
    """A published version, as it was published: versions never change."""
    version = _version(slug, number)
    latest = version_of(slug)
    return jsonify(VersionOutSchema().dump(version_json(version, latest.number)))


@api.get("/sops/<slug>/draft")
@allow(OFFICE)
@documented("The SOP as the editor opens it", response=DraftOutSchema, tag="sops")
def get_draft(slug: str):
    """The draft being edited; without one, the current version's text (saved_at null)."""
    return jsonify(DraftOutSchema().dump(_draft_json(_sop(slug))))


@api.put("/sops/<slug>/draft")
@allow(OFFICE)
@documented("Save the draft", body=SopContentSchema, response=DraftOutSchema, tag="sops")
def put_draft(slug: str):
    """Replace the SOP's draft with this document (the editor saves as it goes). Published
    versions never change; steps keep their key from version to version."""
    content = _content()
    sop = _sop(slug)
    in_unit_of_work(lambda: save_draft(sop, content, author_id=current_user.id))
    return jsonify(DraftOutSchema().dump(_draft_json(sop)))


@api.delete("/sops/<slug>/draft")
@allow(OFFICE)
@documented("Discard the draft", status=204, errors=(422,), tag="sops")
def delete_draft(slug: str):
    """Throw the draft away; the SOP reads as its current version again. An SOP never
    published has nothing to go back to: delete the SOP instead."""
    sop = _sop(slug)
    if not sop.versions:
        raise Invalid.field(
            "draft", "This SOP was never published: its draft is all it has. Delete the SOP."
        )
    with unit_of_work():
        discard_draft(sop)
    return "", 204


@api.post("/sops/<slug>/publish")
@allow(OFFICE)
@documented(
    "Publish the draft as the next version",
    body=PublishSchema,
    response=PublishedSchema,
    tag="sops",
)
def publish(slug: str):
    """The draft becomes version N+1, immutable from then on; techs are asked to read it.
    A draft that says what the current version says is refused (422 on "draft")."""
    data = load_json(PublishSchema())
    sop = _sop(slug)
    version = in_unit_of_work(
        lambda: publish_draft(sop, change_note=data["change_note"], author_id=current_user.id)
    )
    url = url_for("sops.detail", slug=sop.slug, number=version.number)
    return jsonify(PublishedSchema().dump({"slug": sop.slug, "number": version.number, "url": url}))


def _state(sop: Sop) -> dict:
    return SopStateSchema().dump(
        {"slug": sop.slug, "retired": not sop.active, "retired_at": sop.retired_at}
    )


@api.post("/sops/<slug>/retire")
@allow(OFFICE)
@documented("Retire an SOP", response=SopStateSchema, tag="sops")
def retire(slug: str):
    """No longer offered for new visits; its versions, the visits that followed them and the
    sign-offs stay. Retiring a retired SOP changes nothing."""
    sop = _sop(slug)
    with unit_of_work():
        retire_sop(sop, actor_id=current_user.id)
    return jsonify(_state(sop))


@api.post("/sops/<slug>/restore")
@allow(OFFICE)
@documented("Put a retired SOP back in use", response=SopStateSchema, tag="sops")
def restore(slug: str):
    """Offered for new visits again (it needs a published version)."""
    sop = _sop(slug)
    with unit_of_work():
        restore_sop(sop, actor_id=current_user.id)
    return jsonify(_state(sop))
