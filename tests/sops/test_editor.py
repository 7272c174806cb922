"""SOP pages: the list with drafts and retired SOPs, the editor (office only), a version's
page, What changed, printing and the PDF, and the safe formatting of a step's detail."""

from __future__ import annotations

import re
import uuid

import pypdfium2
import pytest
from markupsafe import Markup

from fieldapp.pdf import StoredPhotos
from fieldapp.sops.content import SopContent, StepText
from fieldapp.sops.formatting import sop_text, word_changes
from fieldapp.sops.services import (
    create_sop,
    draft_content,
    publish_draft,
    retire_sop,
    save_draft,
    sop_by_slug,
)
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.pdf import pdf_text

BELT = SopContent(
    title="Carriage belt replacement",
    category="repair",
    summary="When the carriage slips or the belt is frayed.",
    applies_to=("HP DesignJet T1700",),
    steps=(
        StepText("Power off and unplug", "Wait for the carriage to park.", "check"),
        StepText(
            "Belt tension",
            "Hook the gauge on the **idler** side.\n\n- pull slowly\n- read at rest",
            "measure",
            unit="N",
            min_value=4,
            max_value=6,
        ),
        StepText("Run a test plot", "", "pass_fail", required=False),
    ),
)


def publish(content=BELT, note="First version.", author=None, slug=None):
    """Publish content as the next version of its SOP (created on the first)."""
    with unit_of_work():
        sop = sop_by_slug(slug) if slug else None
        if sop is None:
            sop = create_sop(content, author_id=author.id if author else None)
        else:
            current = draft_content(sop)
            keyed = [
                StepText(**{**step.__dict__, "key": _key_of(current, step.title)})
                for step in content.steps
            ]
            save_draft(
                sop, SopContent(**{**content.__dict__, "steps": tuple(keyed)}), author_id=None
            )
        return publish_draft(sop, change_note=note, author_id=author.id if author else None)


def _key_of(current: SopContent, title: str) -> str | None:
    return next((step.key for step in current.steps if step.title == title), None)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


# --- the safe formatting filter ------------------------------------------------------------


def test_detail_formatting_makes_paragraphs_lists_and_bold():
    html = sop_text("First line\nsame paragraph\n\n- one **two**\n- three\n\nLast")
    assert isinstance(html, Markup)
    assert html == (
        "<p>First line<br>same paragraph</p>"
        "<ul><li>one <strong>two</strong></li><li>three</li></ul>"
        "<p>Last</p>"
    )
    assert sop_text("") == "" and sop_text(None) == ""
    assert sop_text("Text\n- item\nmore") == "<p>Text</p><ul><li>item</li></ul><p>more</p>"
    assert sop_text("2 ** 3 is **not** 6") == "<p>2 ** 3 is <strong>not</strong> 6</p>"


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "**<img src=x onerror=alert(1)>**",
        "- <a href='javascript:alert(1)'>x</a>",
        '"><svg onload=alert(1)>',
        "**</strong><script>alert(1)</script>**",
        "&lt;script&gt; already escaped",
        "<p onclick=alert(1)>x</p>\n\n- <b>bold</b>",
    ],
)
def test_detail_formatting_escapes_before_it_formats(payload):
    """Can anything an author types become a tag other than p, br, ul, li or strong?"""
    html = str(sop_text(payload))
    tags = re.findall(r"<\s*/?\s*([^\s>/]+)([^>]*)>", html)
    assert {name for name, _ in tags} <= {"p", "br", "ul", "li", "strong"}, html
    assert all(attributes == "" for _, attributes in tags), html  # no attribute ever
    assert "&lt;" in html or "&#34;" in html or "&amp;" in html


def test_word_changes_mark_what_was_taken_out_and_put_in():
    runs = word_changes("Pull the belt slowly", "Pull the new belt firmly")
    assert "".join(r.text for r in runs if r.op != "insert") == "Pull the belt slowly"
    assert "".join(r.text for r in runs if r.op != "delete") == "Pull the new belt firmly"
    assert ("delete", "slowly") in [(r.op, r.text) for r in runs]
    assert ("insert", "firmly") in [(r.op, r.text) for r in runs]


# --- the list ----------------------------------------------------------------------------


def test_the_office_sees_new_sop_drafts_and_retired(client, auth):
    auth.login("office")
    empty = page(client, "/sops/")
    assert "No procedures yet" in empty and "Write the first SOP" in empty
    assert 'href="/sops/new"' in empty
    v1 = publish()
    with unit_of_work():
        create_sop(
            SopContent("Head alignment", "preventive", steps=(BELT.steps[0],)), author_id=None
        )
        old = create_sop(SopContent("Old intake", "intake", steps=(BELT.steps[0],)), author_id=None)
        publish_draft(old, change_note="", author_id=None)
        retire_sop(old, actor_id=None)
    listing = page(client, "/sops/")
    assert "Drafts awaiting publication" in listing
    assert "Head alignment" in listing and "never published" in listing
    assert f'href="/sops/{v1.sop.slug}"' in listing and "Old intake" not in listing
    retired = page(client, "/sops/?show=retired")
    assert "Old intake" in retired and "Retired" in retired
    assert "Carriage belt replacement" not in retired


def test_a_tech_sees_published_sops_only(client, auth):
    auth.login("tech")
    publish()
    with unit_of_work():
        create_sop(
            SopContent("Head alignment", "preventive", steps=(BELT.steps[0],)), author_id=None
        )
    listing = page(client, "/sops/")
    assert "Carriage belt replacement" in listing
    assert "Head alignment" not in listing and "New SOP" not in listing and "Drafts" not in listing
    assert "No procedures yet" not in listing


def test_retired_tab_says_when_nothing_is_retired(client, auth):
    auth.login("admin")
    publish()
    assert "Nothing retired" in page(client, "/sops/?show=retired")


# --- the editor ----------------------------------------------------------------------------


def test_the_editor_is_for_the_office(client, auth):
    v1 = publish()
    assert client.get("/sops/new").status_code == 302  # sign in first
    auth.login("tech")
    assert client.get("/sops/new").status_code == 403
    assert client.get(f"/sops/{v1.sop.slug}/edit").status_code == 403
    for path in ("publish", "discard", "delete", "retire", "restore"):
        assert client.post(f"/sops/{v1.sop.slug}/{path}").status_code == 403


def test_the_new_sop_editor(client, auth):
    auth.login("office")
    factories.make_equipment(make="Canon", model="imagePROGRAF TM-300")
    html = page(client, "/sops/new")
    assert "<h1>New SOP</h1>" in html
    assert "data-sop-editor" in html and 'data-slug=""' in html
    assert "Publish as version 1" in html and "data-publish disabled" in html
    assert 'id="sop-step-template"' in html
    assert '<option value="Canon">' in html and '<option value="Canon imagePROGRAF TM-300">' in html
    assert "js/sop-editor.js" in html


def test_the_editor_opens_the_current_version_then_the_draft(client, auth):
    auth.login("office")
    v1 = publish()
    slug = v1.sop.slug
    html = page(client, f"/sops/{slug}/edit")
    assert "Edit Carriage belt replacement" in html
    assert "Publish as version 2" in html
    assert 'value="Belt tension"' in html and 'value="4"' in html and 'value="6"' in html
    assert 'data-key="' + v1.steps[1].key + '"' in html
    assert "No changes yet" in html
    with unit_of_work():
        sop = sop_by_slug(slug)
        save_draft(sop, SopContent(**{**BELT.__dict__, "title": "Belt job"}), author_id=None)
    html = page(client, f"/sops/{slug}/edit")
    assert 'value="Belt job"' in html and "Draft saved" in html
    assert "data-discard" in html
    assert page(client, "/sops/nothing/edit", 404)


def test_publishing_from_the_editor_page(client, auth):
    office = auth.login("office", name="Maria Chen")
    v1 = publish()
    slug = v1.sop.slug
    nothing = client.post(f"/sops/{slug}/publish", data={"change_note": "Same"})
    assert nothing.status_code == 422
    text = nothing.get_data(as_text=True)
    assert "Nothing has changed since the last version" in text and ">Same</textarea>" in text
    with unit_of_work():
        sop = sop_by_slug(slug)
        current = draft_content(sop)
        steps = list(current.steps)
        steps[1] = StepText(**{**steps[1].__dict__, "max_value": 7.0})
        save_draft(sop, SopContent(**{**current.__dict__, "steps": tuple(steps)}), author_id=None)
    response = client.post(f"/sops/{slug}/publish", data={"change_note": "Range up to 7 N"})
    assert response.status_code == 302 and response.location == f"/sops/{slug}/v2"
    html = page(client, f"/sops/{slug}/v2")
    assert "Published version 2" in html
    assert "Maria Chen" in html and "Range up to 7 N" in html
    assert office.name in html


def test_discard_and_delete_from_the_page(client, auth):
    auth.login("office")
    v1 = publish()
    slug = v1.sop.slug
    with unit_of_work():
        save_draft(sop_by_slug(slug), SopContent(**{**BELT.__dict__, "title": "X"}), author_id=None)
    response = client.post(f"/sops/{slug}/discard")
    assert response.status_code == 302
    assert sop_by_slug(slug).draft is None
    with unit_of_work():
        create_sop(SopContent("Scratch", "other", steps=(BELT.steps[0],)), author_id=None)
    assert client.post("/sops/scratch/discard").location == "/sops/scratch/edit"
    assert client.post("/sops/scratch/delete").location == "/sops/"
    assert sop_by_slug("scratch") is None
    refused = client.post(f"/sops/{slug}/delete")
    assert refused.status_code == 302 and sop_by_slug(slug) is not None


def test_an_unpublished_sop_opens_in_the_editor_for_the_office(client, auth):
    with unit_of_work():
        create_sop(SopContent("Scratch", "other", steps=(BELT.steps[0],)), author_id=None)
    auth.login("office")
    assert client.get("/sops/scratch").location == "/sops/scratch/edit"
    auth.logout()
    auth.login("tech")
    assert client.get("/sops/scratch").status_code == 404


# --- a version's page ----------------------------------------------------------------------


def test_a_version_page_shows_who_published_it_and_the_history(client, auth):
    owner = factories.make_user("admin", name="Dale Ruiz")
    v1 = publish(author=owner)
    steps = [*BELT.steps[:2], StepText("Grease the rod", "", "check")]
    publish(
        SopContent(**{**BELT.__dict__, "steps": tuple(steps)}), "Rod greasing", owner, v1.sop.slug
    )
    slug = v1.sop.slug
    auth.login("tech")
    html = page(client, f"/sops/{slug}")
    assert "Version 2" in html and "by Dale Ruiz" in html
    assert "Rod greasing" in html and "First version." in html
    assert f'href="/sops/{slug}/changes?from=1&amp;to=2"' in html
    assert "Expected: <strong>4 to 6 N</strong>" in html
    assert "Hook the gauge on the <strong>idler</strong> side." in html
    assert "<ul><li>pull slowly</li><li>read at rest</li></ul>" in html
    assert "Every plotter" not in html and "HP DesignJet T1700" in html
    assert f'href="/sops/{slug}/edit"' not in html and "Retire" not in html
    assert f'href="/sops/{slug}/v2.pdf"' in html and "data-print" in html
    old = page(client, f"/sops/{slug}/v1")
    assert "kept for the record" in old and "Run a test plot" in old


def test_the_office_edits_and_retires_from_the_version_page(client, auth):
    auth.login("office")
    slug = publish().sop.slug
    html = page(client, f"/sops/{slug}")
    assert f'href="/sops/{slug}/edit"' in html and "Retire this SOP" in html
    assert client.post(f"/sops/{slug}/retire").location == f"/sops/{slug}"
    html = page(client, f"/sops/{slug}")
    assert "Retired on" in html and "Put back in use" in html
    client.post(f"/sops/{slug}/restore")
    assert "Retire this SOP" in page(client, f"/sops/{slug}")


def test_a_step_detail_is_escaped_on_the_version_page(client, auth):
    evil = StepText(
        "Look", "**<script>alert(1)</script>**\n- <img src=x onerror=alert(1)>", "check"
    )
    slug = publish(SopContent("Evil", "other", steps=(evil,))).sop.slug
    auth.login("tech")
    html = page(client, f"/sops/{slug}")
    assert "<script>alert(1)</script>" not in html
    assert "<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in html
    assert "<li>&lt;img src=x onerror=alert(1)&gt;</li>" in html


# --- what changed --------------------------------------------------------------------------


def test_what_changed_lists_added_removed_moved_and_reworded_steps(client, auth):
    v1 = publish()
    slug = v1.sop.slug
    steps = [
        StepText("Run a test plot", "", "pass_fail", required=False),  # moved to the top
        StepText("Power off and unplug", "Wait until the carriage parks.", "check"),  # reworded
        StepText(
            "Belt tension", BELT.steps[1].detail, "measure", unit="N", min_value=4, max_value=7
        ),
        StepText("Grease the rod", "", "check"),  # added
    ]
    publish(SopContent(**{**BELT.__dict__, "steps": tuple(steps)}), "Second", slug=slug)
    v3_steps = [steps[0], steps[1], steps[3]]  # belt tension removed
    publish(SopContent(**{**BELT.__dict__, "steps": tuple(v3_steps)}), "Third", slug=slug)
    auth.login("tech")
    html = page(client, f"/sops/{slug}/changes?from=1&to=2")
    assert "version 1 → version 2" in html
    for label in ("Moved", "Reworded", "Settings changed", "Added"):
        assert f">{label}</span>" in html, label
    assert "Moved from step 3 to step 1" in html
    assert "<del>for</del><ins>until</ins>" in html  # the old wording beside the new
    assert "Expected range: 4 to 6 N → 4 to 7 N" in html
    assert "Grease the rod" in html
    assert '<option value="1" selected>' in html and '<option value="2" selected>' in html
    latest = page(client, f"/sops/{slug}/changes")  # by default: the one before and the current
    assert "version 2 → version 3" in latest and ">Removed</span>" in latest
    assert "<del>Belt tension</del>" in latest
    across = page(client, f"/sops/{slug}/changes?from=1&to=3")
    assert "Second" in across and "Third" in across  # the change notes in between
    same = page(client, f"/sops/{slug}/changes?from=2&to=2")
    assert "same version twice" in same


@pytest.mark.parametrize("query", ["from=9&to=1", "from=abc", "to=-1", "from=1&to=99999999999"])
def test_what_changed_with_unknown_versions_is_404(client, auth, query):
    slug = publish().sop.slug
    auth.login("tech")
    assert client.get(f"/sops/{slug}/changes?{query}").status_code == 404
    assert client.get("/sops/nothing/changes").status_code == 404


# --- print and PDF -------------------------------------------------------------------------


def test_the_version_page_prints_with_boxes_and_lines(client, auth):
    slug = publish().sop.slug
    auth.login("tech")
    html = page(client, f"/sops/{slug}")
    assert html.count('class="sop-box print-only"') == 3
    assert 'Reading: <span class="sop-line"></span> N' in html
    assert 'Pass <span class="sop-box-inline"></span> Fail' in html
    assert "Done by" in html


def test_a_version_as_a_pdf(client, auth):
    photo_id = uuid.uuid4()
    auth.login("office")
    upload = client.put(
        f"/api/v1/photos/{photo_id}", data=factories.jpeg_bytes(), content_type="image/jpeg"
    )
    assert upload.status_code == 201
    steps = (*BELT.steps[:2], StepText("Belt routing", "", "check", images=(photo_id,)))
    slug = publish(SopContent(**{**BELT.__dict__, "steps": steps})).sop.slug
    response = client.get(f"/sops/{slug}/v1.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'inline; filename="{slug}-v1.pdf"'
    text, sizes = pdf_text(response.data)
    for expected in (
        "Carriage belt replacement",
        "Version 1",
        "Power off and unplug",
        "Belt tension",
        "4 to 6 N",
        "idler",
        "Done by",
        "HP DesignJet T1700",
    ):
        assert expected in text, expected
    width, height = sizes[0]
    assert (round(width), round(height)) == (612, 792)  # Letter, in points
    a4 = client.get(f"/sops/{slug}/v1.pdf?paper=a4")
    _, sizes = pdf_text(a4.data)
    assert (round(sizes[0][0]), round(sizes[0][1])) == (595, 842)
    assert client.get(f"/sops/{slug}/v1.pdf?paper=tabloid").status_code == 400
    assert client.get(f"/sops/{slug}/v2.pdf").status_code == 404
    assert client.get(f"/sops/{slug}/v99999999999.pdf").status_code == 404
    assert client.get(f"/sops/{slug}/v99999999999").status_code == 404


def test_the_pdf_embeds_the_reference_image(client, auth):
    """Is the step's reference image in the PDF (read from the photo store, not fetched)?"""
    photo_id = uuid.uuid4()
    auth.login("office")
    client.put(f"/api/v1/photos/{photo_id}", data=factories.jpeg_bytes(), content_type="image/jpeg")
    steps = (StepText("Belt routing", "", "check", images=(photo_id,)),)
    slug = publish(SopContent("Routing", "repair", steps=steps)).sop.slug
    data = client.get(f"/sops/{slug}/v1.pdf").data
    document = pypdfium2.PdfDocument(data)
    try:
        images = [
            obj for obj in document[0].get_objects() if obj.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE
        ]
    finally:
        document.close()
    assert len(images) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/steal.png",
        "file:///etc/passwd",
        "http://fieldapp.invalid/photos/6f1c1a52-0000-4000-8000-000000000000",
        "http://fieldapp.invalid/static/css/app.css",
    ],
)
def test_a_pdf_fetches_nothing_but_its_own_photos(url):
    """Could a page make the server fetch an address (or read a file) while it makes a PDF?"""
    with pytest.raises(ValueError):
        StoredPhotos(()).fetch(url)
