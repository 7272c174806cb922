"""The service report as a PDF (WeasyPrint, from the report page's own markup): it opens in
a PDF reader and holds the visit's summary, parts, meter reading and sign-off, with the
company's logo, the visit's photo and the customer's signature as images; it is the tech's
own or the office's to read."""

from __future__ import annotations

import io
import uuid

import pypdfium2
from PIL import Image, ImageDraw

from fieldapp.extensions import db
from tests import factories
from tests.pdf import pdf_text
from tests.scenarios import complete_visit
from tests.settings.test_company import logo_png, post_logo


def signature_png() -> bytes:
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(40, 150), (200, 60), (380, 140), (560, 50)], fill="black", width=6)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def finished_visit(client, site) -> str:
    """A finished visit sent as the phone sends it, with a photo and a drawn signature."""
    client.post("/login", data={"email": site.tech.email, "password": factories.PASSWORD})
    photo_id, signature_id = uuid.uuid4(), uuid.uuid4()
    put = client.put(
        f"/api/v1/photos/{photo_id}", data=factories.jpeg_bytes(), content_type="image/jpeg"
    )
    assert put.status_code == 201
    put = client.put(
        f"/api/v1/photos/{signature_id}?kind=signature",
        data=signature_png(),
        content_type="image/png",
    )
    assert put.status_code == 201
    payload = complete_visit(
        site, photos=[str(photo_id)], signoff={"name": "Dana Ruiz", "signature": str(signature_id)}
    )
    assert client.post("/api/v1/visits", json=payload).status_code == 201
    return payload["id"]


def images_in(data: bytes) -> int:
    document = pypdfium2.PdfDocument(data)
    try:
        return sum(
            [obj.type for obj in document[i].get_objects()].count(pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
            for i in range(len(document))
        )
    finally:
        document.close()


def test_the_report_pdf_holds_the_visit_the_logo_photo_and_signature(client, auth, site):
    visit_id = finished_visit(client, site)
    page = client.get(f"/visits/{visit_id}/report").get_data(as_text=True)
    assert f'href="/visits/{visit_id}/report.pdf"' in page

    response = client.get(f"/visits/{visit_id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('inline; filename="service-report-')
    text, sizes = pdf_text(response.data)
    flat = " ".join(text.split())
    for expected in (
        "Service report",
        "Replaced carriage belt; 86:01 cleared, test plot clean",
        "Carriage belt 24in",
        "CR357-67010",
        "HP 729 printhead",
        "182,340",
        "Dana Ruiz",
        site.plotter.customer.name,
        site.plotter.serial_number,
    ):
        assert expected in flat, expected
    assert sizes[0] == (612, 792)  # Letter
    without_logo = images_in(response.data)
    assert without_logo == 2  # the photo's thumbnail and the signature

    client.post("/logout")
    auth.login("admin")
    assert post_logo(client, logo_png()).status_code == 302
    a4 = client.get(f"/visits/{visit_id}/report.pdf?paper=a4")
    assert a4.status_code == 200
    assert images_in(a4.data) == without_logo + 1
    _, sizes = pdf_text(a4.data)
    assert [round(n) for n in sizes[0]] == [595, 842]
    assert client.get(f"/visits/{visit_id}/report.pdf?paper=tabloid").status_code == 400


def test_only_the_visit_s_tech_and_the_office_get_the_pdf(client, auth, site):
    visit_id = finished_visit(client, site)
    client.post("/logout")
    assert client.get(f"/visits/{visit_id}/report.pdf").status_code == 302  # to sign in
    auth.login("tech")
    assert client.get(f"/visits/{visit_id}/report.pdf").status_code == 403
    auth.logout()
    auth.login("office")
    assert client.get(f"/visits/{visit_id}/report.pdf").status_code == 200
    assert client.get(f"/visits/{uuid.uuid4()}/report.pdf").status_code == 404
    db.session.rollback()
