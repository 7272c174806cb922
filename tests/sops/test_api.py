"""The SOP API: reading SOPs and versions, writing drafts, publishing, retiring; roles, 422s
that change nothing, and published versions that never change."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from fieldapp.extensions import db
from fieldapp.sops.content import NO_CHANGES
from fieldapp.sops.models import Sop, SopDraft, SopStep, SopStepImage, SopVersion
from tests import factories


def step(title="Check the carriage belt", kind="check", **fields) -> dict:
    return {"title": title, "detail": "", "kind": kind, **fields}


def sop_body(**fields) -> dict:
    body = {
        "title": "Carriage belt replacement",
        "category": "repair",
        "summary": "When the carriage slips or the belt is frayed.",
        "applies_to": ["HP DesignJet T1700"],
        "steps": [
            step("Power off and unplug"),
            step("Belt tension", "measure", unit="N", min=4, max=6, detail="Use the gauge."),
            step("Photo of the new belt", "photo", required=False),
        ],
    }
    body.update(fields)
    return body


def counts() -> tuple[int, int, int, int]:
    """SOPs, drafts, versions and steps stored."""
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Sop, SopDraft, SopVersion, SopStep)
    )


def create(client, **fields) -> str:
    response = client.post("/api/v1/sops", json=sop_body(**fields))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["slug"]


def publish(client, slug, note="") -> dict:
    response = client.post(f"/api/v1/sops/{slug}/publish", json={"change_note": note})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def draft_of(client, slug) -> dict:
    response = client.get(f"/api/v1/sops/{slug}/draft")
    assert response.status_code == 200
    return response.json["content"]


@pytest.fixture
def office(client, auth):
    return auth.login("office", name="Maria Chen")


def test_the_office_writes_and_publishes_an_sop(client, office):
    """Does a new SOP start as a draft only, and publishing answer version 1 with its steps?"""
    created = client.post("/api/v1/sops", json=sop_body())
    assert created.status_code == 201
    assert created.json == {
        "slug": "carriage-belt-replacement",
        "url": "/sops/carriage-belt-replacement/edit",
    }
    slug = created.json["slug"]
    assert client.get(f"/api/v1/sops/{slug}").status_code == 404  # nothing published yet
    listed = client.get("/api/v1/sops").json["sops"]
    assert listed == [
        {
            "slug": slug,
            "title": "Carriage belt replacement",
            "category": "repair",
            "current_version": None,
            "retired": False,
            "has_draft": True,
            "url": f"/sops/{slug}",
        }
    ]
    assert publish(client, slug, "First version.") == {
        "slug": slug,
        "number": 1,
        "url": f"/sops/{slug}/v1",
    }
    version = client.get(f"/api/v1/sops/{slug}").json
    assert version["number"] == 1 and version["latest_version"] == 1
    assert version["published_by"] == "Maria Chen"
    assert version["change_note"] == "First version."
    assert version["applies_to"] == ["HP DesignJet T1700"]
    assert [s["title"] for s in version["steps"]] == [
        "Power off and unplug",
        "Belt tension",
        "Photo of the new belt",
    ]
    belt = version["steps"][1]
    assert belt["kind"] == "measure" and belt["unit"] == "N"
    assert (belt["min"], belt["max"], belt["expected"]) == (4.0, 6.0, "4 to 6 N")
    assert all(isinstance(s["id"], int) and s["key"] for s in version["steps"])
    assert client.get("/api/v1/sops").json["sops"][0]["current_version"] == 1


def test_a_tech_reads_published_sops_only(client, auth, app):
    """Does a tech see published SOPs (not drafts nobody published) and get 403 on writes?"""
    office_user = factories.make_user("office")
    auth.login(user=office_user)
    published = create(client, title="Published one")
    publish(client, published)
    create(client, title="Still a draft")
    auth.logout()
    auth.login("tech")
    listed = client.get("/api/v1/sops").json["sops"]
    assert [(s["slug"], s["has_draft"]) for s in listed] == [("published-one", False)]
    assert client.get("/api/v1/sops/still-a-draft").status_code == 404
    assert client.get(f"/api/v1/sops/{published}/v1").status_code == 200
    before = counts()
    for method, path, body in (
        ("post", "/api/v1/sops", sop_body()),
        ("put", f"/api/v1/sops/{published}/draft", sop_body(title="Changed")),
        ("post", f"/api/v1/sops/{published}/publish", {"change_note": "x"}),
        ("get", f"/api/v1/sops/{published}/draft", None),
        ("delete", f"/api/v1/sops/{published}/draft", None),
        ("delete", "/api/v1/sops/still-a-draft", None),
        ("post", f"/api/v1/sops/{published}/retire", None),
        ("post", f"/api/v1/sops/{published}/restore", None),
    ):
        response = getattr(client, method)(path, json=body)
        assert response.status_code == 403, (method, path, response.status_code)
        assert response.json["error"]["code"] == "forbidden"
    assert counts() == before


def test_no_session_is_told_to_sign_in(client):
    for method, path in (
        ("get", "/api/v1/sops"),
        ("get", "/api/v1/sops/x"),
        ("get", "/api/v1/sops/x/v1"),
        ("post", "/api/v1/sops"),
        ("put", "/api/v1/sops/x/draft"),
        ("post", "/api/v1/sops/x/publish"),
    ):
        response = getattr(client, method)(path, json={})
        assert response.status_code == 401, (method, path)
        assert response.json["error"]["code"] == "unauthorized"


def test_put_draft_replaces_the_draft_and_keeps_the_version(client, office):
    slug = create(client)
    publish(client, slug)
    content = draft_of(client, slug)  # no draft: the current version's text, with keys
    content["steps"][1]["max"] = 7
    content["steps"].append(step("Run a test plot", "pass_fail"))
    saved = client.put(f"/api/v1/sops/{slug}/draft", json=content)
    assert saved.status_code == 200
    assert saved.json["latest_version"] == 1 and saved.json["saved_by"] == "Maria Chen"
    assert saved.json["saved_at"]
    again = draft_of(client, slug)
    assert again["steps"][1]["max"] == 7.0
    assert again["steps"][3]["title"] == "Run a test plot" and again["steps"][3]["key"]
    # the published version is untouched
    version = client.get(f"/api/v1/sops/{slug}/v1").json
    assert version["steps"][1]["max"] == 6.0 and len(version["steps"]) == 3
    assert publish(client, slug, "Wider range, test plot")["number"] == 2


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"steps": []}, "steps"),
        ({"steps": [step(kind="dance")]}, "steps.0.kind"),
        ({"steps": [step(title="")]}, "steps.0.title"),
        ({"steps": [step("Tension", "measure", min=7, max=4)]}, "steps.0.min"),
        ({"steps": [step("Look", "check", min=1)]}, "steps.0.min"),
        ({"steps": [step("Look", "check", meter=True)]}, "steps.0.meter"),
        ({"steps": [step("A", "measure", meter=True), step("B", "measure", meter=True)]}, "steps"),
        ({"steps": [step(images=[str(uuid.uuid4())])]}, "steps.0.images"),
        ({"steps": [step(images=["not-a-uuid"])]}, "steps.0.images.0"),
        ({"steps": [step(min="lots")]}, "steps.0.min"),
        ({"category": "cooking"}, "category"),
        ({"summary": "x" * 2001}, "summary"),
        ({"applies_to": [""]}, "applies_to.0"),
        ({"steps": [step(colour="red")]}, "steps.0.colour"),
        (
            {
                "steps": [
                    step("A", key="6f1c1a52-0000-4000-8000-000000000001"),
                    step("B", key="6f1c1a52-0000-4000-8000-000000000001"),
                ]
            },
            "steps",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_changes_nothing(client, office, change, field):
    """Empty title, no steps, unknown kind, min above max ...: a 422 with the field's message,
    for a new SOP and for a draft, and nothing is stored."""
    slug = create(client)
    before = counts()
    draft_before = draft_of(client, slug)
    for method, path in (("post", "/api/v1/sops"), ("put", f"/api/v1/sops/{slug}/draft")):
        response = getattr(client, method)(path, json=sop_body(**change))
        assert response.status_code == 422, (method, response.get_data(as_text=True))
        error = response.json["error"]
        assert error["code"] == "validation_error"
        assert field in error["fields"], error["fields"]
        assert all(isinstance(m, str) for ms in error["fields"].values() for m in ms)
    assert counts() == before
    assert draft_of(client, slug) == draft_before


def test_a_body_that_is_not_json_is_a_400(client, office):
    response = client.post("/api/v1/sops", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert client.post("/api/v1/sops", json=[1, 2]).status_code == 422


def test_publishing_without_changes_is_a_422_and_adds_no_version(client, office):
    slug = create(client)
    publish(client, slug)
    before = counts()
    response = client.post(f"/api/v1/sops/{slug}/publish", json={"change_note": "again"})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"draft": [NO_CHANGES]}
    # a draft saved with the same text is still no change
    assert client.put(f"/api/v1/sops/{slug}/draft", json=draft_of(client, slug)).status_code == 200
    response = client.post(f"/api/v1/sops/{slug}/publish", json={"change_note": "again"})
    assert response.status_code == 422
    assert counts()[2:] == before[2:]
    assert client.get(f"/api/v1/sops/{slug}").json["number"] == 1


def _rows_of(version_id: int) -> list[tuple]:
    """Every stored column of a version's steps and their images, as they are in the table."""
    steps = db.session.execute(
        sa.select(SopStep.__table__).where(SopStep.version_id == version_id).order_by("position")
    ).all()
    images = db.session.execute(
        sa.select(SopStepImage.__table__)
        .where(SopStepImage.step_id.in_([row.id for row in steps]))
        .order_by("step_id", "position")
    ).all()
    return [tuple(row) for row in steps] + [tuple(row) for row in images]


def test_publishing_never_changes_an_earlier_version(client, office):
    """Would a publish that edited the steps of version 1 in place be caught? Version 1's rows
    are compared column by column before and after version 2 rewords, re-ranges, reorders,
    removes and re-images the same steps (same keys)."""
    photo = _upload(client)
    slug = create(
        client,
        steps=[
            step("Power off and unplug"),
            step("Belt tension", "measure", unit="N", min=4, max=6, images=[photo]),
            step("Photo of the new belt", "photo"),
        ],
    )
    publish(client, slug, "First")
    v1 = db.session.scalar(sa.select(SopVersion).where(SopVersion.number == 1))
    before = _rows_of(v1.id)
    db.session.expire_all()

    content = draft_of(client, slug)
    content["steps"][1].update(title="Belt tension at the idler", max=7, unit="newton", images=[])
    content["steps"][0]["detail"] = "Wait for the carriage to park."
    content["steps"] = [content["steps"][1], content["steps"][0]]
    assert client.put(f"/api/v1/sops/{slug}/draft", json=content).status_code == 200
    publish(client, slug, "Second")

    db.session.expire_all()
    assert _rows_of(v1.id) == before
    old = client.get(f"/api/v1/sops/{slug}/v1").json["steps"]
    assert [s["title"] for s in old] == [
        "Power off and unplug",
        "Belt tension",
        "Photo of the new belt",
    ]
    assert old[1]["max"] == 6.0 and old[1]["images"][0]["id"] == photo
    new = client.get(f"/api/v1/sops/{slug}/v2").json["steps"]
    assert [s["key"] for s in new] == [old[1]["key"], old[0]["key"]]  # the same steps, moved
    assert new[0]["images"] == [] and new[0]["max"] == 7.0


def _upload(client) -> str:
    photo = str(uuid.uuid4())
    response = client.put(
        f"/api/v1/photos/{photo}", data=factories.jpeg_bytes(), content_type="image/jpeg"
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return photo


def test_reference_images_are_served_with_the_version(client, office):
    """Does a step's reference image, uploaded as a photo, come back as URLs that serve it?"""
    first, second = _upload(client), _upload(client)
    slug = create(client, steps=[step("Belt routing", images=[first, second])])
    assert draft_of(client, slug)["steps"][0]["images"] == [first, second]
    publish(client, slug)
    images = client.get(f"/api/v1/sops/{slug}").json["steps"][0]["images"]
    assert [image["id"] for image in images] == [first, second]
    for image in images:
        assert image["url"] == f"/photos/{image['id']}"
        for url in (image["url"], image["thumbnail_url"]):
            served = client.get(url)
            served.close()  # a file response: closed as a server closes it
            assert served.status_code == 200 and served.mimetype == "image/jpeg"


def test_unknown_sops_and_versions_are_404(client, office):
    slug = create(client)
    publish(client, slug)
    for path in (
        "/api/v1/sops/nothing-here",
        f"/api/v1/sops/{slug}/v2",
        f"/api/v1/sops/{slug}/v0",
        "/api/v1/sops/Not%20A%20Slug",
        "/api/v1/sops/bad%00slug",
        "/api/v1/sops/" + "a" * 500,
        "/api/v1/sops/nothing-here/draft",
        f"/api/v1/sops/{slug}/v99999999999",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"
    assert client.put("/api/v1/sops/nothing-here/draft", json=sop_body()).status_code == 404
    response = client.post("/api/v1/sops/nothing-here/publish", json={"change_note": ""})
    assert response.status_code == 404


def test_a_new_sop_named_like_a_page_gets_its_own_slug(client, office):
    """/sops/new is the editor: an SOP titled "New" must not hide behind it."""
    assert create(client, title="New") == "new-sop"
    assert create(client, title="New") == "new-sop-2"


def test_discarding_a_draft_goes_back_to_the_version(client, office):
    slug = create(client)
    response = client.delete(f"/api/v1/sops/{slug}/draft")
    assert response.status_code == 422  # never published: nothing to go back to
    assert "draft" in response.json["error"]["fields"]
    publish(client, slug)
    content = draft_of(client, slug)
    client.put(f"/api/v1/sops/{slug}/draft", json={**content, "title": "Belt job"})
    assert client.get(f"/api/v1/sops/{slug}/draft").json["saved_at"]
    assert client.delete(f"/api/v1/sops/{slug}/draft").status_code == 204
    back = client.get(f"/api/v1/sops/{slug}/draft").json
    assert back["saved_at"] is None and back["content"]["title"] == "Carriage belt replacement"


def test_only_an_sop_never_published_can_be_deleted(client, office):
    kept = create(client, title="Kept")
    publish(client, kept)
    gone = create(client, title="Gone")
    response = client.delete(f"/api/v1/sops/{kept}")
    assert response.status_code == 409
    assert "retire" in response.json["error"]["message"]
    assert client.delete(f"/api/v1/sops/{gone}").status_code == 204
    assert [s["slug"] for s in client.get("/api/v1/sops").json["sops"]] == [kept]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SopDraft)) == 0


def test_retire_and_restore(client, office):
    slug = create(client)
    publish(client, slug)
    retired = client.post(f"/api/v1/sops/{slug}/retire")
    assert retired.status_code == 200
    assert retired.json["retired"] is True and retired.json["retired_at"]
    listed = client.get("/api/v1/sops").json["sops"]
    assert listed[0]["retired"] is True
    assert client.get(f"/api/v1/sops/{slug}").json["retired"] is True  # history stays readable
    restored = client.post(f"/api/v1/sops/{slug}/restore")
    assert restored.json == {"slug": slug, "retired": False, "retired_at": None}
    never = create(client, title="Never published")
    client.post(f"/api/v1/sops/{never}/retire")
    refused = client.post(f"/api/v1/sops/{never}/restore")
    assert refused.status_code == 422
    assert refused.json["error"]["fields"]["sop"]


def test_the_openapi_document_lists_the_sop_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {
        "/api/v1/sops",
        "/api/v1/sops/{slug}",
        "/api/v1/sops/{slug}/v{number}",
        "/api/v1/sops/{slug}/draft",
        "/api/v1/sops/{slug}/publish",
        "/api/v1/sops/{slug}/retire",
        "/api/v1/sops/{slug}/restore",
    } <= set(paths)
    create_op = paths["/api/v1/sops"]["post"]
    assert create_op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SopContent"
    }
    assert "201" in create_op["responses"] and "422" in create_op["responses"]
    assert "409" in paths["/api/v1/sops/{slug}"]["delete"]["responses"]


@pytest.mark.parametrize("title", ["T" * 160, "Ä" * 160, "-" * 160])
def test_the_longest_title_makes_an_sop_and_its_events(client, office, title):
    """The longest title the schema takes is stored, with a slug and activity events that fit
    their columns (PostgreSQL refused an over-long event subject before)."""
    slug = create(client, title=title)
    assert client.post(f"/api/v1/sops/{slug}/publish", json={}).status_code == 200
    sop = db.session.scalar(sa.select(Sop).where(Sop.slug == slug))
    assert sop.title == title and len(slug) <= 80
