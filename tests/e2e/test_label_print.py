"""Label printing in Chromium: the print page's PDF and the SVG labels, measured and decoded."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from fieldapp.equipment import labels
from fieldapp.equipment.services import issue_unclaimed_labels, resolve_code
from tests import factories
from tests.e2e.browser import sign_in
from tests.equipment.test_labels import (
    GEOMETRY,
    STOCK_KEYS,
    assert_labels_where_the_stock_expects,
    decode,
    token_of,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def office_page(browser, live_server):
    """A desktop browser signed in as office staff."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, device_scale_factor=4)
    context.set_default_timeout(15_000)
    page = context.new_page()
    user = factories.make_user("office")
    sign_in(page, live_server.url, user.email, factories.PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    yield page
    context.close()


def public_url(live_server, token: str) -> str:
    return f"{live_server.app.config['PUBLIC_URL']}/e/{token}"


def batch_for(stock_key: str, live_server) -> tuple[str, list[str]]:
    """Labels enough to spill onto a second sheet (three roll labels), chosen three ways."""
    stock = labels.STOCKS[stock_key]
    if stock_key == "avery5160":
        # A whole customer: its plotters in make, model, serial order.
        customer = factories.make_customer(name="Harbour & Hill Engineering")
        plotters = [factories.make_equipment(customer) for _ in range(stock.per_page + 1)]
        return f"customer={customer.id}", [public_url(live_server, p.qr_token) for p in plotters]
    if stock_key == "l7163":
        # A hand-picked selection in a deliberate order, plus spare unclaimed labels.
        plotters = [factories.make_equipment() for _ in range(stock.per_page - 2)]
        random.Random(7).shuffle(plotters)
        spares = factories.committed(issue_unclaimed_labels, 3, actor_id=None)
        query = "&".join(f"equipment={p.id}" for p in plotters)
        query += "&tokens=" + ",".join(label.token for label in spares)
        urls = [public_url(live_server, p.qr_token) for p in plotters]
        return query, urls + [public_url(live_server, label.token) for label in spares]
    # Roll stock: codes, as after a reprint or a batch of new labels.
    plotter = factories.make_equipment(model="imagePROGRAF TX-3100", make="Canon")
    spares = factories.committed(issue_unclaimed_labels, 2, actor_id=None)
    tokens = [plotter.qr_token] + [label.token for label in spares]
    return f"tokens={','.join(tokens)}", [public_url(live_server, t) for t in tokens]


@pytest.mark.parametrize("stock_key", STOCK_KEYS)
def test_print_page_pdf_puts_each_label_where_the_stock_expects(
    office_page, live_server, stock_key
):
    """Printed from Chromium, is every QR within 0.5 mm of its place and in the asked order?"""
    query, urls = batch_for(stock_key, live_server)
    office_page.goto(f"{live_server.url}/labels/print?{query}&stock={stock_key}")
    assert office_page.get_by_role("button", name="Print").is_visible()
    count = len(urls)
    assert office_page.locator(".label-slot").count() == count
    pdf = office_page.pdf(prefer_css_page_size=True, print_background=True)
    worst = assert_labels_where_the_stock_expects(pdf, stock_key, urls)
    print(f"Chromium PDF {stock_key}: max QR position error {worst:.3f} mm")
    for url in urls:
        found = resolve_code(token_of(url))
        assert found.state in ("active", "unclaimed")
        assert found.token == token_of(url)


@pytest.mark.parametrize("stock_key", STOCK_KEYS)
def test_svg_label_decodes_in_chromium(office_page, live_server, stock_key):
    """Does each stock's SVG, drawn by Chromium, scan to this plotter's address?"""
    plotter = factories.make_equipment(make="Canon", model="imagePROGRAF TX-3100")
    office_page.goto(f"{live_server.url}/e/{plotter.qr_token}/label.svg?stock={stock_key}")
    svg = office_page.locator("svg")
    box = svg.bounding_box()
    label_w, label_h = GEOMETRY[stock_key][1]
    # Chromium draws the SVG at its size in mm (96 CSS px per inch).
    assert box["width"] == pytest.approx(label_w / 25.4 * 96, abs=1)
    assert box["height"] == pytest.approx(label_h / 25.4 * 96, abs=1)
    image = Image.open(io.BytesIO(svg.screenshot()))
    codes = decode(image)
    assert [code.text for code in codes] == [public_url(live_server, plotter.qr_token)]
    found = resolve_code(token_of(codes[0].text))
    assert found.state == "active" and found.equipment.id == plotter.id


def test_new_labels_from_the_form_to_the_print_page(office_page, live_server):
    """Can the office ask for new labels and land on a print page showing them?"""
    office_page.goto(f"{live_server.url}/labels/new")
    office_page.get_by_label("How many labels").fill("4")
    office_page.locator("#f-new-stock").select_option("l7163")
    office_page.get_by_role("button", name="Create and print").click()
    office_page.wait_for_url("**/labels/print?**")
    assert office_page.locator(".label-slot").count() == 4
    assert office_page.get_by_text("4 new labels ready to print").is_visible()
    assert office_page.get_by_role("link", name="Download PDF").is_visible()
    office_page.emulate_media(media="print")
    assert not office_page.locator(".label-toolbar").is_visible()
    assert not office_page.locator(".flashes").is_visible()


@pytest.mark.parametrize(
    "path", ["/labels/new", "/labels/print?customer={customer}&stock=avery5160"]
)
def test_label_pages_fit_a_phone(page, live_server, path):
    """On a 390 px phone, do the batch form and a sheet preview fit without sideways scrolling?"""
    customer = factories.make_customer()
    for _ in range(4):
        factories.make_equipment(customer)
    user = factories.make_user("office")
    sign_in(page, live_server.url, user.email, factories.PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(live_server.url + path.format(customer=customer.id))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"]
