"""The company's details, time zone, working hours, job types and logo, set in the app by
the admin and shown on labels, reports, the public page and every time the app prints."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from fieldapp.activity.models import ActivityEvent
from fieldapp.equipment.labels import get_stock, lay_out, render_image
from fieldapp.equipment.printing import label_content
from fieldapp.extensions import db
from fieldapp.localtime import company_zone, local_time
from fieldapp.settings.services import company, default_minutes, job_types
from tests import factories

DETAILS = {
    "name": "Ridgeline Plotter Care",
    "phone": "+1 (555) 201-7788",
    "email": "office@ridgeline.example",
    "address": "410 Mill Street\nDuluth, MN 55802",
    "time_zone": "Europe/Berlin",
    "label_text": "Scan me for service",
    "day_starts": "07:30",
    "day_ends": "16:00",
    "working_days": ["0", "1", "2", "3", "4", "5"],
}


def logo_png(color=(200, 20, 40)) -> bytes:
    """A wide logo with a transparent background, as a designer would send it."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    image.paste(Image.new("RGBA", (500, 120), (*color, 255)), (50, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def post_logo(client, data: bytes, name: str = "logo.png"):
    # Encoded here, in memory: the test client spools a big body to a file it never closes.
    boundary, body = encode_multipart({"logo": FileStorage(io.BytesIO(data), name)})
    return client.post(
        "/settings/company/logo",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def events(summary_like: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(ActivityEvent)
        .where(ActivityEvent.verb == "settings.changed", ActivityEvent.summary.like(summary_like))
    )


def test_details_default_to_the_environment_until_the_admin_changes_them(app, client, auth):
    """Does a new install show what FIELDAPP_COMPANY_* said, and the admin's details after?"""
    first = company()
    assert first.name == app.config["COMPANY_NAME"]
    assert first.time_zone == app.config["TIMEZONE"]
    assert first.working_hours.summary == "Mon, Tue, Wed, Thu, Fri, 08:00–17:00"
    auth.login("admin")
    response = client.post("/settings/company", data=DETAILS)
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = company()
    assert (saved.name, saved.phone, saved.email) == (
        "Ridgeline Plotter Care",
        "+1 (555) 201-7788",
        "office@ridgeline.example",
    )
    assert saved.address == "410 Mill Street\nDuluth, MN 55802"
    assert saved.working_hours.summary == "Mon, Tue, Wed, Thu, Fri, Sat, 07:30–16:00"
    assert events("Company details changed: name, phone, email, address, time zone%") == 1
    page = client.get("/settings/company").get_data(as_text=True)
    assert 'value="Ridgeline Plotter Care"' in page
    assert '<option value="Europe/Berlin" selected>' in page


def test_the_company_shows_where_people_meet_it(client, auth):
    """Do the page titles, the public page, the manifest and the labels say the new name?"""
    plotter = factories.make_equipment()
    db.session.commit()
    auth.login("admin")
    client.post("/settings/company", data=DETAILS)
    assert "· Ridgeline Plotter Care</title>" in client.get("/more").get_data(as_text=True)
    assert client.get("/manifest.webmanifest").json["name"].endswith("Ridgeline Plotter Care")
    svg = client.get(f"/e/{plotter.qr_token}/label.svg").get_data(as_text=True)
    lines = re.findall(r'spacingAndGlyphs">([^<]*)<', svg)
    assert lines[:3] == ["Ridgeline", "Plotter Care", "Scan me for service"]
    client.post("/logout", data={})
    public = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert "Serviced by Ridgeline Plotter Care" in public
    assert "tel:+15552017788" in public


def test_times_follow_the_chosen_time_zone(app, client, auth):
    """Does every time the app prints move to the zone the admin chose?"""
    auth.login("admin")
    noon = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    with app.test_request_context():
        assert local_time(noon) == "Jul 1, 7:00"  # America/Chicago, the first-run zone
    assert client.post("/settings/company", data=DETAILS).status_code == 302
    with app.test_request_context():
        assert company_zone().key == "Europe/Berlin"
        assert local_time(noon) == "Jul 1, 14:00"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", "  ", "Fill this in"),
        ("name", "N" * 81, "80 characters"),
        ("phone", "5" * 41, "40 characters"),
        ("email", "not an address", "office@example.com"),
        ("address", "a" * 301, "300 characters"),
        ("time_zone", "Mars/Olympus", "time zone"),
        ("label_text", "L" * 71, "70 characters"),
        ("day_starts", "25:00", "08:00"),
        ("day_ends", "07:00", "end after it starts"),
        ("working_days", [], "at least one"),
    ],
)
def test_bad_details_are_explained_and_change_nothing(client, auth, field, value, message):
    """Is each bad value named on its field, with the page still holding what was typed?"""
    auth.login("admin")
    before = company()
    response = client.post("/settings/company", data={**DETAILS, field: value})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'value="+1 (555) 201-7788"' in page or field == "phone"  # the rest is kept
    assert company() == before
    assert events("%") == 0


def test_the_form_says_each_limit_before_it_is_sent(client, auth):
    auth.login("admin")
    page = client.get("/settings/company").get_data(as_text=True)
    assert re.search(r'name="name"[^>]*maxlength="80"', page)
    assert re.search(r'name="label_text"[^>]*maxlength="70"', page)


def test_only_the_admin_changes_company_details(client, auth):
    """May the office read visit settings but not change who the company is?"""
    auth.login("office")
    assert client.get("/settings").status_code == 200
    assert client.post("/settings/company", data=DETAILS).status_code == 403
    assert post_logo(client, logo_png()).status_code == 403
    assert company().name != "Ridgeline Plotter Care" and company().logo is None


def test_a_logo_is_shown_on_labels_reports_and_the_public_page(app, client, auth):
    """Is an uploaded logo cleaned, served to anyone, printed on the label (the QR still
    reads) and shown on the public page, the service report and a PDF?"""
    tech = factories.make_user("tech")
    plotter = factories.make_equipment()
    visit = factories.make_visit(plotter, tech)
    db.session.commit()
    auth.login("admin")
    assert post_logo(client, logo_png()).status_code == 302
    logo = company()
    assert logo.logo is not None and events("Company logo changed") == 1
    stored = Path(app.config["UPLOAD_FOLDER"], logo.logo)
    served = client.get(f"/company/logo-{logo.logo_digest}.png")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    assert served.data == stored.read_bytes()
    assert Image.open(io.BytesIO(served.data)).size == (600, 200)
    served.close()

    client.post("/settings/company", data=DETAILS)
    report = client.get(f"/visits/{visit.id}/report").get_data(as_text=True)
    assert f'src="/company/logo-{logo.logo_digest}.png"' in report
    assert "410 Mill Street\nDuluth, MN 55802" in report and "office@ridgeline.example" in report
    svg = client.get(f"/e/{plotter.qr_token}/label.svg").get_data(as_text=True)
    assert "<image " in svg and "data:image/png;base64," in svg

    with app.test_request_context():
        content = label_content(plotter.qr_token, plotter)
        layout = lay_out(content, get_stock("dk22205"))
        plain = lay_out(content.__class__(content.url, content.code, content.company), layout.stock)
    assert layout.logo is not None
    # The logo sits in the text column, above the first line of text, and inside the label.
    assert layout.logo.x >= layout.qr_mm[0] + layout.qr_mm[2]
    assert layout.logo.y + layout.logo.height <= layout.lines[0].baseline - layout.lines[0].size
    assert layout.logo.x + layout.logo.width <= layout.stock.label_w
    assert all(line.baseline <= layout.stock.label_h for line in layout.lines)
    image = render_image(layout)
    box = layout.logo
    to_px = 300 / 25.4
    crop = image.crop(
        (
            round(box.x * to_px),
            round(box.y * to_px),
            round((box.x + box.width) * to_px),
            round((box.y + box.height) * to_px),
        )
    )
    assert crop.getextrema()[0] < 128  # the logo is printed there
    assert plain.logo is None
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in found] == [content.url]

    client.post("/logout", data={})
    public = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert f'src="/company/logo-{logo.logo_digest}.png"' in public
    anyone = client.get(f"/company/logo-{logo.logo_digest}.png")
    assert anyone.status_code == 200
    anyone.close()


def test_a_pdf_carries_the_logo(client, auth):
    """Does the SOP PDF (WeasyPrint) embed the logo as an image?"""
    version = factories.make_sop()
    db.session.commit()
    auth.login("admin")

    def images_in_pdf() -> int:
        data = client.get(f"/sops/{version.sop.slug}/v{version.number}.pdf").data
        document = pypdfium2.PdfDocument(data)
        try:
            page = document[0]
            kinds = [obj.type for obj in page.get_objects()]
            return kinds.count(pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
        finally:
            document.close()

    without = images_in_pdf()
    assert post_logo(client, logo_png()).status_code == 302
    assert images_in_pdf() == without + 1


def test_a_new_logo_replaces_the_old_file_and_a_removed_one_goes(app, client, auth):
    auth.login("admin")
    post_logo(client, logo_png())
    first = Path(app.config["UPLOAD_FOLDER"], company().logo)
    assert first.exists()
    post_logo(client, logo_png(color=(10, 120, 60)))
    second = Path(app.config["UPLOAD_FOLDER"], company().logo)
    assert second.exists() and not first.exists()
    old_address = first.name
    assert client.get(f"/company/{old_address}").status_code == 404
    response = client.post("/settings/company/logo", data={"remove": "1"})
    assert response.status_code == 302
    assert company().logo is None and not second.exists()
    assert events("Company logo removed") == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (b"%PDF-1.4 not an image", "not a logo we can read"),
        (b"", "The logo is empty"),
        (b"x" * (2 * 1024 * 1024 + 1), "larger than 2 MB"),
    ],
)
def test_a_bad_logo_is_explained_and_changes_nothing(app, client, auth, data, message):
    auth.login("admin")
    response = post_logo(client, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert company().logo is None
    assert not Path(app.config["UPLOAD_FOLDER"], "company").exists() or not any(
        Path(app.config["UPLOAD_FOLDER"], "company").iterdir()
    )


def test_sending_no_file_is_explained(client, auth):
    auth.login("admin")
    response = client.post("/settings/company/logo", data={})
    assert response.status_code == 422
    assert "Choose an image file for the logo." in response.get_data(as_text=True)


def test_job_types_have_a_planned_length_the_office_sets(client, auth):
    """Does each job type carry a default length, changed on the settings page, with bad
    lengths refused and nothing saved?"""
    assert [(t.kind, t.minutes) for t in job_types()] == [
        ("repair", 120),
        ("preventive", 90),
        ("install", 180),
        ("inspection", 60),
    ]
    auth.login("office")
    form = {
        "procedure_kinds": ["repair", "preventive"],
        "follow_up_to": "same_tech",
        "minutes_repair": "150",
        "minutes_preventive": "90",
        "minutes_install": "240",
        "minutes_inspection": "45",
    }
    assert client.post("/settings", data=form).status_code == 302
    assert default_minutes("repair") == 150 and default_minutes("install") == 240
    assert events("Planned job lengths: repair 150 min, installation 240 min, inspection 45%") == 1
    for bad in ("0", "10", "100", "abc", "721", "-15"):
        response = client.post("/settings", data={**form, "minutes_repair": bad})
        assert response.status_code == 422, bad
        assert "steps of 15" in response.get_data(as_text=True)
        assert default_minutes("repair") == 150
    page = client.get("/settings").get_data(as_text=True)
    assert re.search(r'name="minutes_repair"[^>]*min="15" max="720" step="15"', page)


@pytest.mark.parametrize(
    "shown, dialled",
    [
        ("+1 (555) 014-2290", "+15550142290"),
        ("555.201.7788", "5552017788"),
        ("+1 555 014 2290 ext. 12", "+15550142290,12"),
        ("", ""),
    ],
)
def test_a_phone_link_dials_the_number(shown, dialled):
    """Does a tel: link hold only what a phone dials (the page shows the number as typed)?"""
    from fieldapp.templating import tel

    assert tel(shown) == dialled
