"""QR labels: exact size on every stock, QRs that decode to the right plotter, batches, reprints."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import unescape
from urllib.parse import urlsplit

import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fieldapp.equipment import labels
from fieldapp.equipment.models import QrLabel, short_code
from fieldapp.equipment.services import issue_unclaimed_labels, replace_label, resolve_code
from fieldapp.extensions import db
from tests import factories

PUBLIC_URL = "http://fieldapp.test"
TOLERANCE_MM = 0.5
MEASURE_DPI = 600

# The makers' published geometry, written out independently of fieldapp's table:
# page (w, h), label (w, h), grid (columns, rows), first label's corner, pitch (x, y); mm.
GEOMETRY = {
    "dk11209": ((62, 29), (62, 29), (1, 1), (0, 0), (0, 0)),
    "dk22205": ((62, 40), (62, 40), (1, 1), (0, 0), (0, 0)),
    "dymo30252": ((89, 28), (89, 28), (1, 1), (0, 0), (0, 0)),
    "avery5160": ((215.9, 279.4), (66.675, 25.4), (3, 10), (4.7625, 12.7), (69.85, 25.4)),
    "l7163": ((210, 297), (99.1, 38.1), (2, 7), (4.65, 15.15), (101.6, 38.1)),
}
STOCK_KEYS = list(GEOMETRY)
SHEETS = [key for key in STOCK_KEYS if GEOMETRY[key][2] != (1, 1)]


def px(mm: float) -> int:
    return round(mm / 25.4 * 300)


def decode(image: Image.Image) -> list:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def token_of(url: str) -> str:
    path = urlsplit(url).path
    assert path.startswith("/e/"), url
    return path.removeprefix("/e/")


def expected_slot(stock_key: str, index: int) -> tuple[int, float, float]:
    """Page number and the label's top-left corner (mm) for the index-th label of a batch."""
    _, _, (columns, rows), (left, top), (pitch_x, pitch_y) = GEOMETRY[stock_key]
    page, slot = divmod(index, columns * rows)
    row, column = divmod(slot, columns)
    return page, left + column * pitch_x, top + row * pitch_y


def qr_offset_in_label(url: str, stock_key: str) -> tuple[float, float, float]:
    """Where the label's own layout puts the QR symbol (checked against the PNG below)."""
    content = labels.LabelContent(url=url, code="PM-XXXX-XXXX", company="Company")
    return labels.lay_out(content, labels.STOCKS[stock_key]).qr_mm


@dataclass
class FoundQr:
    page: int
    url: str
    x: float  # mm, symbol's top-left corner from the page's top-left corner
    y: float
    side: float


def qr_codes_in_pdf(pdf: bytes) -> tuple[list[tuple[float, float]], list[FoundQr]]:
    """Each page's size (mm) and every QR found on it, rasterised at 600 dpi by PDFium."""
    document = pypdfium2.PdfDocument(pdf)
    sizes, found = [], []
    try:
        for number in range(len(document)):
            page = document[number]
            width_pt, height_pt = page.get_size()
            sizes.append((width_pt / 72 * 25.4, height_pt / 72 * 25.4))
            image = page.render(scale=MEASURE_DPI / 72, grayscale=True).to_pil()
            page.close()
            for code in decode(image):
                corner = code.position.top_left
                right = code.position.top_right
                to_mm = 25.4 / MEASURE_DPI
                found.append(
                    FoundQr(
                        number,
                        code.text,
                        corner.x * to_mm,
                        corner.y * to_mm,
                        (right.x - corner.x) * to_mm,
                    )
                )
    finally:
        document.close()
    return sizes, found


def assert_labels_where_the_stock_expects(
    pdf: bytes, stock_key: str, urls: list[str], *, skip: int = 0
) -> float:
    """Is every label's QR within 0.5 mm of its place on the stock, in order? Returns max error."""
    page_size = GEOMETRY[stock_key][0]
    sizes, found = qr_codes_in_pdf(pdf)
    expected_pages = expected_slot(stock_key, skip + len(urls) - 1)[0] + 1
    assert len(sizes) == expected_pages
    for width, height in sizes:
        assert abs(width - page_size[0]) <= TOLERANCE_MM, (width, page_size)
        assert abs(height - page_size[1]) <= TOLERANCE_MM, (height, page_size)
    assert sorted(qr.url for qr in found) == sorted(urls), "every label's QR decodes"
    worst = 0.0
    by_url = {qr.url: qr for qr in found}
    for index, url in enumerate(urls, start=skip):
        page, label_x, label_y = expected_slot(stock_key, index)
        qr_x, qr_y, side = qr_offset_in_label(url, stock_key)
        qr = by_url[url]
        assert qr.page == page, (url, qr.page, page)
        errors = (
            abs(qr.x - (label_x + qr_x)),
            abs(qr.y - (label_y + qr_y)),
            abs(qr.side - side),
        )
        worst = max(worst, *errors)
        assert max(errors) <= TOLERANCE_MM, (stock_key, index, errors)
    # The printed order is the asked order: page by page, row by row, left to right.
    reading_order = sorted(found, key=lambda qr: (qr.page, round(qr.y), qr.x))
    assert [qr.url for qr in reading_order] == urls
    return worst


def url_for_token(token: str) -> str:
    return f"{PUBLIC_URL}/e/{token}"


def label_texts(markup: str) -> list[str]:
    """The words on each label in a page or SVG, its wrapped lines joined by spaces."""
    labels_svg = re.findall(r'<svg[^>]*aria-label="QR label[^>]*>(.*?)</svg>', markup, re.S)
    return [
        " ".join(unescape(line) for line in re.findall(r"<text[^>]*>([^<]*)</text>", svg))
        for svg in labels_svg
    ]


# ---------- Stock geometry ----------


def test_stocks_match_the_published_geometry():
    """Does the stock table say what the makers publish (and fit each page exactly)?"""
    assert set(labels.STOCKS) == set(GEOMETRY)
    for key, (page, label, grid, first, pitch) in GEOMETRY.items():
        stock = labels.STOCKS[key]
        assert (stock.page_w, stock.page_h) == pytest.approx(page)
        assert (stock.label_w, stock.label_h) == pytest.approx(label)
        assert (stock.columns, stock.rows) == grid
        assert (stock.left, stock.top) == pytest.approx(first)
        if stock.is_sheet:
            assert (stock.pitch_x, stock.pitch_y) == pytest.approx(pitch)
            right = stock.left + (stock.columns - 1) * stock.pitch_x + stock.label_w
            bottom = stock.top + (stock.rows - 1) * stock.pitch_y + stock.label_h
            assert stock.page_w - right == pytest.approx(stock.left)
            assert stock.page_h - bottom == pytest.approx(stock.top)


# ---------- One label: PNG and SVG ----------


@pytest.fixture
def plotter(app):
    customer = factories.make_customer(name="Northgate Architects")
    return factories.make_equipment(
        customer, make="Canon", model="imagePROGRAF TX-3100", serial_number="AB12345678"
    )


@pytest.mark.parametrize("stock_key", STOCK_KEYS)
def test_png_is_exact_size_at_300_dpi_and_its_qr_opens_the_plotter(
    client, auth, plotter, stock_key
):
    """Is each stock's PNG the label's physical size at 300 dpi, with a QR for this plotter?"""
    auth.login("tech")
    response = client.get(f"/e/{plotter.qr_token}/label.png?stock={stock_key}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    label_w, label_h = GEOMETRY[stock_key][1]
    assert image.size == (px(label_w), px(label_h))
    assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)

    codes = decode(image)
    assert [code.text for code in codes] == [f"{PUBLIC_URL}/e/{plotter.qr_token}"]
    found = resolve_code(token_of(codes[0].text))
    assert found.state == "active"
    assert found.equipment.id == plotter.id

    # The QR sits where the layout says, with its full 4-module quiet zone inside the label.
    qr_x, qr_y, side = qr_offset_in_label(codes[0].text, stock_key)
    corner = codes[0].position.top_left
    assert abs(corner.x - px(qr_x)) <= 1 and abs(corner.y - px(qr_y)) <= 1
    module = side / len(labels.qr_matrix(codes[0].text))
    assert min(qr_x, qr_y, label_w - qr_x - side, label_h - qr_y - side) >= 4 * module
    assert module >= 0.45, "modules big enough for a phone camera at arm's length"


@pytest.mark.parametrize("stock_key", STOCK_KEYS)
def test_long_text_never_leaves_the_label(client, auth, stock_key):
    """Does a very long model, serial and company shrink and wrap instead of running off?"""
    customer = factories.make_customer()
    plotter = factories.make_equipment(
        customer,
        make="Hewlett-Packard",
        model="DesignJet Z9+ PostScript 44-in Printer with Vertical Trimmer and Spectro Kit",
        serial_number="SG7A1B2C3D4E5F6G7H8J9K0LMNPQRSTU",
    )
    auth.login("office")
    image = Image.open(
        io.BytesIO(client.get(f"/e/{plotter.qr_token}/label.png?stock={stock_key}").data)
    )
    edge = px(1.0)
    width, height = image.size
    strips = [(0, 0, width, edge), (0, height - edge, width, height)]
    strips += [(0, 0, edge, height), (width - edge, 0, width, height)]
    for box in strips:
        assert image.crop(box).getextrema() == (255, 255), f"ink within 1 mm of the edge: {box}"
    assert decode(image)[0].text == f"{PUBLIC_URL}/e/{plotter.qr_token}"


texts = st.text(max_size=80)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(company=texts, make=texts, model=texts, serial=st.text("ABC123-/", max_size=40))
def test_layout_keeps_text_inside_and_legible(company, make, model, serial):
    """Whatever the text, does every line stay inside the label at 5 pt, in valid SVG?"""
    content = labels.LabelContent(
        f"{PUBLIC_URL}/e/ABCDEFGH", "PM-ABCD-EFGH", company, make, model, serial
    )
    for stock in labels.STOCKS.values():
        layout = labels.lay_out(content, stock)
        ET.fromstring(labels.render_svg(layout))  # still well-formed XML
        qr_right = labels.px_to_mm(layout.qr_x_px) + layout.qr_mm[2]
        for line in layout.lines:
            assert line.size >= labels.pt_to_mm(labels.MIN_TEXT_PT) - 1e-9
            assert line.x > qr_right
            assert line.x + line.width <= stock.label_w - 1.0
            assert line.baseline - line.size >= 1.0 - 1e-9
            assert line.baseline + 0.25 * line.size <= stock.label_h - 1.0


@pytest.mark.parametrize("stock_key", STOCK_KEYS)
def test_svg_is_sized_in_mm_and_says_what_the_png_says(client, auth, plotter, stock_key):
    """Is the SVG the label's size in mm, with the QR as a path and the text as text?"""
    auth.login("tech")
    response = client.get(f"/e/{plotter.qr_token}/label.svg?stock={stock_key}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    label_w, label_h = GEOMETRY[stock_key][1]
    assert root.get("width") == f"{label_w:g}mm" and root.get("height") == f"{label_h:g}mm"
    assert root.get("viewBox") == f"0 0 {label_w:g} {label_h:g}"
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}path") is not None
    text = " ".join(t.text for t in root.iter(f"{ns}text"))
    for expected in ("PM-", "Canon", "imagePROGRAF", "AB12345678", "Scan for service"):
        assert expected in text
    assert short_code(plotter.qr_token) in text


def test_svg_escapes_what_users_typed(client, auth):
    """Would a model name with markup in it stay text (no injected SVG or script)?"""
    customer = factories.make_customer()
    plotter = factories.make_equipment(
        customer, make="HP & Co", model='<script>alert("x")</script>', serial_number="S<1>"
    )
    auth.login("office")
    data = client.get(f"/e/{plotter.qr_token}/label.svg?stock=dymo30252").data
    assert b"<script" not in data
    root = ET.fromstring(data)
    text = "".join(t.text for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "HP & Co" in text and "<script>" in text.replace(" ", "")


def test_unclaimed_label_says_so_and_revoked_or_unknown_is_404(app, client, auth, plotter):
    """Do unclaimed labels print, and are replaced or unknown codes refused?"""
    auth.login("office")
    (unclaimed,) = factories.committed(issue_unclaimed_labels, 1, actor_id=None)
    svg = client.get(f"/e/{unclaimed.token}/label.svg").get_data(as_text=True)
    (words,) = label_texts(svg)
    assert "New label — scan to link it to a plotter" in words
    assert short_code(unclaimed.token) in words
    assert "imagePROGRAF" not in words
    png = client.get(f"/e/{unclaimed.token}/label.png")
    assert decode(Image.open(io.BytesIO(png.data)))[0].text == url_for_token(unclaimed.token)

    old = plotter.qr_token
    factories.committed(replace_label, plotter, revoke_old=True, actor_id=None)
    for suffix in ("png", "svg"):
        assert client.get(f"/e/{old}/label.{suffix}").status_code == 404
        assert client.get(f"/e/ZZZZZZZZ/label.{suffix}").status_code == 404
        assert client.get(f"/e/{plotter.qr_token}/label.{suffix}").status_code == 200


def test_unknown_stock_is_a_400_page_listing_the_stocks(client, auth, plotter):
    """Does ?stock=nonsense explain which stocks exist instead of failing?"""
    auth.login("office")
    for path in (
        f"/e/{plotter.qr_token}/label.png?stock=letter",
        f"/e/{plotter.qr_token}/label.svg?stock=letter",
        f"/labels/print?equipment={plotter.id}&stock=letter",
        f"/labels/print.pdf?equipment={plotter.id}&stock=letter",
    ):
        response = client.get(path)
        assert response.status_code == 400, path
        assert response.mimetype == "text/html"
        html = response.get_data(as_text=True)
        assert "Unknown label stock" in html
        for key in GEOMETRY:
            assert key in html


def test_label_images_are_cached_briefly_and_revalidate(client, auth, plotter):
    """Can a browser reuse a label for a few minutes and revalidate it by ETag?"""
    auth.login("tech")
    response = client.get(f"/e/{plotter.qr_token}/label.png")
    assert "private" in response.headers["Cache-Control"]
    assert "max-age=300" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get(f"/e/{plotter.qr_token}/label.png", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_label_images_need_a_signed_in_user(client, plotter):
    """Is a label (which names the plotter) kept from the public?"""
    response = client.get(f"/e/{plotter.qr_token}/label.png")
    assert response.status_code == 302
    assert response.location.startswith("/login")


# ---------- Print page and PDF ----------


def slot_count(html: str) -> int:
    return html.count('class="label-slot slot-')


def test_print_page_for_a_customer_has_every_active_plotter_at_page_size(client, auth):
    """Does the customer batch show one label per active plotter, on pages of the stock's size?"""
    customer = factories.make_customer(name="Riverside Print Co")
    plotters = [factories.make_equipment(customer) for _ in range(4)]
    retired = factories.make_equipment(customer, status="retired")
    other = factories.make_equipment()
    auth.login("office")
    html = client.get(f"/labels/print?customer={customer.id}&stock=l7163").get_data(as_text=True)
    sheet = client.get("/labels/stocks/l7163.css").get_data(as_text=True)
    assert "@page { size: 210mm 297mm; margin: 0; }" in sheet
    assert 'href="/labels/stocks/l7163.css"' in html
    assert slot_count(html) == 4
    positions = [html.index(short_code(p.qr_token)) for p in plotters]
    assert positions == sorted(positions)
    assert short_code(retired.qr_token) not in html
    assert short_code(other.qr_token) not in html
    assert "Riverside Print Co" in html
    assert "Download PDF" in html and "data-print" in html


def test_print_page_keeps_the_selected_order_and_pages(client, auth):
    """Do selected plotters print in the order chosen, overflowing onto a second sheet?"""
    customer = factories.make_customer()
    plotters = [factories.make_equipment(customer) for _ in range(16)]
    chosen = list(reversed(plotters))
    auth.login("admin")
    query = "&".join(f"equipment={p.id}" for p in chosen)
    html = client.get(f"/labels/print?{query}&stock=l7163").get_data(as_text=True)
    assert slot_count(html) == 16
    assert html.count('class="label-page"') == 2
    positions = [html.index(short_code(p.qr_token)) for p in chosen]
    assert positions == sorted(positions)


def test_print_page_refuses_bad_selections(client, auth, plotter):
    """Are unknown customers, plotters, codes and revoked labels refused with a message?"""
    auth.login("office")
    assert client.get("/labels/print?customer=99999").status_code == 404
    assert client.get("/labels/print?equipment=99999").status_code == 404
    assert client.get("/labels/print?equipment=abc").status_code == 400
    assert client.get("/labels/print?customer=99999999999999999999").status_code == 400
    assert client.get("/labels/print?tokens=ZZZZZZZZ").status_code == 404
    old = plotter.qr_token
    factories.committed(replace_label, plotter, revoke_old=True, actor_id=None)
    response = client.get(f"/labels/print?tokens={old}")
    assert response.status_code == 404
    assert "no printable label" in response.get_data(as_text=True)
    assert (
        client.get(f"/labels/print?equipment={plotter.id}&stock=avery5160&start=31").status_code
        == 400
    )


def test_print_page_without_a_selection_points_to_the_batch_form(client, auth):
    """Does an empty print page say what to do, and the PDF refuse to be empty?"""
    auth.login("office")
    response = client.get("/labels/print")
    assert response.status_code == 200
    assert "Nothing selected to print" in response.get_data(as_text=True)
    assert "/labels/new" in response.get_data(as_text=True)
    assert client.get("/labels/print.pdf").status_code == 400


def test_print_pages_are_for_the_office(client, auth, plotter):
    """Is a tech refused the print pages, and the public sent to sign in?"""
    for path in ("/labels/print", f"/labels/print?equipment={plotter.id}", "/labels/new"):
        response = client.get(path)
        assert response.status_code == 302 and response.location.startswith("/login"), path
    auth.login("tech")
    for path in ("/labels/print", f"/labels/print.pdf?equipment={plotter.id}", "/labels/new"):
        assert client.get(path).status_code == 403, path
    assert client.post("/labels/unclaimed", data={"count": "3"}).status_code == 403
    assert client.post(f"/e/{plotter.qr_token}/label/replace").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(QrLabel.id))) == 1


@pytest.mark.parametrize("stock_key", STOCK_KEYS)
def test_server_pdf_puts_each_label_where_the_stock_expects(client, auth, stock_key):
    """Is every label in the server's PDF within 0.5 mm of its place on the stock?"""
    stock = labels.STOCKS[stock_key]
    count = stock.per_page + 1 if stock.is_sheet else 3
    customer = factories.make_customer(name="Harbour & Hill Engineering")
    plotters = [factories.make_equipment(customer) for _ in range(count)]
    auth.login("office")
    response = client.get(f"/labels/print.pdf?customer={customer.id}&stock={stock_key}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"labels-harbour-hill-engineering-{stock_key}.pdf" in disposition
    urls = [url_for_token(p.qr_token) for p in plotters]
    worst = assert_labels_where_the_stock_expects(response.data, stock_key, urls)
    print(f"server PDF {stock_key}: max QR position error {worst:.3f} mm")


@pytest.mark.parametrize("stock_key", SHEETS)
def test_server_pdf_can_start_part_way_down_a_used_sheet(client, auth, stock_key):
    """Does start=N leave the first N-1 positions of a part-used sheet empty?"""
    labels_ = factories.committed(issue_unclaimed_labels, 4, actor_id=None)
    auth.login("office")
    tokens = ",".join(label.token for label in labels_)
    response = client.get(f"/labels/print.pdf?tokens={tokens}&stock={stock_key}&start=5")
    urls = [url_for_token(label.token) for label in labels_]
    assert_labels_where_the_stock_expects(response.data, stock_key, urls, skip=4)


# ---------- New unclaimed labels ----------


def unclaimed_count() -> int:
    query = sa.select(sa.func.count(QrLabel.id)).where(QrLabel.status == "unclaimed")
    return db.session.scalar(query)


def test_batch_form_lists_customers_and_stocks(client, auth):
    """Does the batch page offer each customer (with plotter counts) and every stock?"""
    customer = factories.make_customer(name="Lakeside Surveyors")
    factories.make_equipment(customer)
    factories.make_equipment(customer)
    auth.login("office")
    html = client.get("/labels/new").get_data(as_text=True)
    assert "Lakeside Surveyors · 2 plotters" in html
    for stock in labels.STOCKS.values():
        assert stock.name in html
    assert 'action="/labels/unclaimed"' in html


def test_new_unclaimed_labels_are_made_and_shown_for_printing(client, auth):
    """Does asking for 5 new labels make 5 unclaimed codes and a print page with 5 labels?"""
    user = auth.login("office")
    response = client.post("/labels/unclaimed", data={"count": "5", "stock": "avery5160"})
    assert response.status_code == 302
    assert response.location.startswith("/labels/print?")
    assert "stock=avery5160" in response.location
    assert unclaimed_count() == 5
    page = client.get(response.location)
    page_html = page.get_data(as_text=True)
    assert slot_count(page_html) == 5
    assert "5 new labels ready to print" in page_html
    words = label_texts(page_html)
    assert len(words) == 5
    assert all("New label — scan to link it to a plotter" in label for label in words)
    issued = db.session.scalars(sa.select(QrLabel)).all()
    for label in issued:
        assert short_code(label.token) in page_html
    from fieldapp.activity.models import ActivityEvent

    event = db.session.scalar(sa.select(ActivityEvent).where(ActivityEvent.verb == "label.printed"))
    assert event.actor_id == user.id


@pytest.mark.parametrize(
    ("count", "message"),
    [
        ("0", "between 1 and 300"),
        ("1000", "between 1 and 300"),
        ("abc", "whole number"),
        ("", "whole number"),
        ("2.5", "whole number"),
    ],
)
def test_bad_label_counts_make_nothing(client, auth, count, message):
    """Are 0, 1000 or 'abc' labels refused with a clear message and nothing made?"""
    auth.login("office")
    response = client.post("/labels/unclaimed", data={"count": count, "stock": "dk11209"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert unclaimed_count() == 0


def test_unknown_stock_for_new_labels_makes_nothing(client, auth):
    """Is an unknown stock caught before any label is made?"""
    auth.login("office")
    response = client.post("/labels/unclaimed", data={"count": "5", "stock": "a4"})
    assert response.status_code == 422
    assert "Choose a label stock" in response.get_data(as_text=True)
    assert unclaimed_count() == 0


# ---------- Reprinting a lost label ----------


def test_reprint_with_revoke_retires_the_old_label(client, auth, plotter):
    """After a reprint that revokes, does the new code open the plotter and the old one not?"""
    auth.login("office")
    old = plotter.qr_token
    response = client.post(
        f"/e/{old}/label/replace", data={"revoke_old": "1", "stock": "dymo30252"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    new = plotter.qr_token
    assert new != old
    assert re.search(rf"tokens={new}\b", response.location)
    assert "stock=dymo30252" in response.location
    assert resolve_code(new).state == "active"
    assert resolve_code(new).equipment.id == plotter.id
    assert resolve_code(old).state == "revoked"
    html = client.get(response.location).get_data(as_text=True)
    assert "no longer works" in html
    assert "Canon imagePROGRAF TX-3100 SN AB12345678" in html
    assert short_code(new) in html and slot_count(html) == 1


def test_reprint_without_revoke_keeps_both_labels_working(client, auth, plotter):
    """Without revoking, do the old and the new label both open the plotter?"""
    auth.login("office")
    old = plotter.qr_token
    response = client.post(f"/e/{old}/label/replace", data={})
    assert response.status_code == 302
    db.session.expire_all()
    new = plotter.qr_token
    assert {resolve_code(old).state, resolve_code(new).state} == {"active"}
    assert resolve_code(old).equipment.id == resolve_code(new).equipment.id == plotter.id
    assert "still opens this plotter" in client.get(response.location).get_data(as_text=True)


def test_reprint_of_an_unknown_or_unclaimed_code_is_404(client, auth):
    """Can only a plotter's label be replaced?"""
    auth.login("office")
    (unclaimed,) = factories.committed(issue_unclaimed_labels, 1, actor_id=None)
    assert client.post(f"/e/{unclaimed.token}/label/replace").status_code == 404
    assert client.post("/e/ZZZZZZZZ/label/replace").status_code == 404
