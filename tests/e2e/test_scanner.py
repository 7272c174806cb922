"""The in-app scanner at /scan, with a fake camera showing a label to headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from fieldapp.equipment.tokens import normalise_code
from tests import factories
from tests.e2e.browser import PHONE, launch_options, sign_in
from tests.e2e.camera import qr_video, scene, write_y4m

PLOTTER_PAGE = Path(__file__).resolve().parents[2] / "templates" / "equipment" / "plotter.html"
NOT_A_LABEL = "This QR code isn't a FieldApp label"

# Makes the fake camera report a torch, and records what the page asks of it.
FAKE_TORCH = """
window.torchRequests = [];
const capabilities = MediaStreamTrack.prototype.getCapabilities;
MediaStreamTrack.prototype.getCapabilities = function () {
  return { ...capabilities.call(this), torch: true };
};
const apply = MediaStreamTrack.prototype.applyConstraints;
MediaStreamTrack.prototype.applyConstraints = function (constraints) {
  const wish = constraints && constraints.advanced && constraints.advanced[0];
  if (wish && "torch" in wish) {
    window.torchRequests.push(wish.torch);
    return Promise.resolve();
  }
  return apply.call(this, constraints);
};
"""

# Stands in for Chrome-on-Android's native detector; it "sees" a label the video doesn't show.
FAKE_BARCODE_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code", "ean_13"]; }
  constructor(options) { this.formats = options.formats; }
  async detect() { return [{ rawValue: %r, format: "qr_code" }]; }
};
"""


@pytest.fixture
def launch_camera(playwright_driver):
    """Start a Chromium whose webcam plays this .y4m file (the file is fixed per launch)."""
    browsers = []

    def launch(video: Path, *, auto_allow: bool = True):
        args = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
        if auto_allow:
            # Answers the permission prompt with "allow", as a tech tapping Allow would.
            args.append("--use-fake-ui-for-media-stream")
        browser = playwright_driver.chromium.launch(**launch_options(args=args))
        browsers.append(browser)
        return browser

    yield launch
    for browser in browsers:
        browser.close()


def phone_page(browser, *, camera_allowed: bool):
    """A 390x844 phone page; camera_allowed is the site permission a previous visit granted."""
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        permissions=["camera"] if camera_allowed else [],
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def open_scanner(page, live_server, user=None):
    user = user or factories.make_user("tech")
    sign_in(page, live_server.url, user.email, factories.PASSWORD)
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/scan")
    return page


def label_url(live_server, token: str) -> str:
    return f"{live_server.app.config['PUBLIC_URL']}/e/{token}"


def test_label_qr_shown_to_the_camera_opens_the_plotter(live_server, launch_camera, tmp_path):
    """Does tapping Start camera and showing a label's QR open that plotter's page?"""
    plotter = factories.make_equipment(model="imagePROGRAF TM-300")
    video = qr_video(tmp_path / "label.y4m", label_url(live_server, plotter.qr_token))
    # Not yet allowed for the site (iOS asks every time): the camera waits for a tap.
    page = open_scanner(phone_page(launch_camera(video), camera_allowed=False), live_server)

    start = page.get_by_role("button", name="Start camera")
    expect(start).to_be_visible()
    start.click()

    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")
    if PLOTTER_PAGE.exists():
        expect(page.get_by_text("imagePROGRAF TM-300").first).to_be_visible()


def test_camera_starts_by_itself_when_already_allowed(live_server, launch_camera, tmp_path):
    """With the camera allowed on an earlier visit, does /scan start scanning without a tap?"""
    plotter = factories.make_equipment()
    video = qr_video(tmp_path / "label.y4m", label_url(live_server, plotter.qr_token))
    page = phone_page(launch_camera(video), camera_allowed=True)

    open_scanner(page, live_server)

    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")


def test_label_url_on_this_origin_is_accepted(live_server, launch_camera, tmp_path):
    """A label printed while PUBLIC_URL pointed at this very server opens too."""
    plotter = factories.make_equipment()
    video = qr_video(tmp_path / "label.y4m", f"{live_server.url}/e/{plotter.qr_token}/")
    page = open_scanner(phone_page(launch_camera(video), camera_allowed=True), live_server)

    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.example/e/ABCDEFGH",
        "Call Dana on 555-0100 about the T830",
        '<img src=x onerror="document.title=1">PM-2345-6789',
    ],
    ids=["other-site", "plain-text", "markup"],
)
def test_foreign_qr_is_refused_and_never_followed(live_server, launch_camera, tmp_path, text):
    """Does a QR that isn't our label get a clear message, shown as text, with no navigation?"""
    video = qr_video(tmp_path / "foreign.y4m", text)
    page = phone_page(launch_camera(video), camera_allowed=True)
    hosts = set()
    page.context.on("request", lambda request: hosts.add(urlsplit(request.url).hostname))
    open_scanner(page, live_server)

    status = page.get_by_role("status").filter(has_text=NOT_A_LABEL)
    expect(status).to_be_visible()
    expect(status).to_contain_text(text)  # what the QR said, as plain text
    expect(status.locator("img")).to_have_count(0)
    # Several more decodes of the same code, each refused again, and still no navigation.
    expect(page.locator("[data-refusals]")).to_have_attribute(
        "data-refusals", re.compile(r"^([5-9]|\d{2,})$")
    )
    expect(page).to_have_url(f"{live_server.url}/scan")
    assert hosts == {"127.0.0.1"}
    assert page.title() != "1"


def test_short_code_qr_is_accepted(live_server, launch_camera, tmp_path):
    """Does a QR holding just the printed short code (PM-XXXX-XXXX) open the plotter?"""
    plotter = factories.make_equipment()
    video = qr_video(tmp_path / "code.y4m", plotter.short_code)
    page = open_scanner(phone_page(launch_camera(video), camera_allowed=True), live_server)

    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")


def test_native_barcode_detector_is_used_where_the_browser_has_one(
    live_server, launch_camera, tmp_path
):
    """Where BarcodeDetector reads QR codes (Android), is it used instead of jsQR?"""
    plotter = factories.make_equipment()
    # The video shows no QR at all, so only the (fake) native detector can find the label.
    video = write_y4m(tmp_path / "empty.y4m", scene(None))
    page = phone_page(launch_camera(video), camera_allowed=True)
    page.add_init_script(FAKE_BARCODE_DETECTOR % label_url(live_server, plotter.qr_token))

    open_scanner(page, live_server)

    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")


def test_torch_button_only_when_the_camera_has_a_torch(live_server, launch_camera, tmp_path):
    """Is the torch toggle hidden for a camera without one, and does it switch one that has?"""
    video = write_y4m(tmp_path / "empty.y4m", scene(None))
    browser = launch_camera(video)
    tech = factories.make_user("tech")

    plain = open_scanner(phone_page(browser, camera_allowed=True), live_server, tech)
    expect(plain.get_by_role("button", name="Stop camera")).to_be_visible()
    expect(plain.get_by_role("button", name="Torch")).to_be_hidden()

    lit = phone_page(browser, camera_allowed=True)
    lit.add_init_script(FAKE_TORCH)
    open_scanner(lit, live_server, tech)
    torch = lit.get_by_role("button", name="Torch")
    expect(torch).to_have_attribute("aria-pressed", "false")
    torch.click()
    expect(torch).to_have_attribute("aria-pressed", "true")
    torch.click()
    expect(torch).to_have_attribute("aria-pressed", "false")
    assert lit.evaluate("window.torchRequests") == [True, False]

    lit.get_by_role("button", name="Stop camera").click()
    expect(lit.get_by_role("button", name="Start camera")).to_be_visible()
    assert lit.evaluate("document.querySelector('[data-scanner] video').srcObject") is None


def test_camera_blocked_points_to_the_short_code(live_server, launch_camera, tmp_path):
    """When the camera is refused, does the page say so and leave the code form usable?"""
    plotter = factories.make_equipment()
    video = write_y4m(tmp_path / "empty.y4m", scene(None))
    page = phone_page(launch_camera(video, auto_allow=False), camera_allowed=False)
    open_scanner(page, live_server)

    page.get_by_role("button", name="Start camera").click()

    status = page.get_by_role("status").filter(has_text="Camera unavailable")
    expect(status).to_contain_text("Type the short code below")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    page.get_by_label("Short code").fill(plotter.short_code)
    page.get_by_role("button", name="Open plotter").click()
    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")


def test_no_camera_at_all_points_to_the_short_code(live_server, page):
    """On a device with no camera, does Start camera explain and point to typing the code?"""
    open_scanner(page, live_server)

    page.get_by_role("button", name="Start camera").click()

    status = page.get_by_role("status").filter(has_text="Camera unavailable")
    expect(status).to_contain_text("no camera")
    expect(status).to_contain_text("Type the short code below")


def test_typed_code_opens_the_plotter_and_a_bad_one_shows_the_error(live_server, page):
    """With JavaScript on, does a lowercase code without dashes open the plotter, and a bad
    code show the server's explanation?"""
    plotter = factories.make_equipment()
    open_scanner(page, live_server)

    page.get_by_label("Short code").fill(plotter.short_code.replace("-", "").lower())
    page.get_by_role("button", name="Open plotter").click()
    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")

    page.goto(f"{live_server.url}/scan")
    page.get_by_label("Short code").fill("pm-0000-1111")
    page.get_by_role("button", name="Open plotter").click()
    expect(page.get_by_role("alert")).to_contain_text("is not a FieldApp label code")
    expect(page.get_by_label("Short code")).to_have_attribute("aria-invalid", "true")
    assert urlsplit(page.url).path == "/scan"


def test_typed_code_works_without_javascript(live_server, browser):
    """Without JavaScript, is the camera part absent and the short-code form still working?"""
    plotter = factories.make_equipment()
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = open_scanner(context.new_page(), live_server)

    expect(page.get_by_role("button", name="Start camera")).to_be_hidden()
    page.get_by_label("Short code").fill(plotter.short_code)
    page.get_by_role("button", name="Open plotter").click()
    expect(page).to_have_url(f"{live_server.url}/e/{plotter.qr_token}")
    context.close()


def test_scanner_page_fits_a_phone(live_server, page):
    """No horizontal scroll at 390 px, and every scanner button is a gloved-finger target."""
    open_scanner(page, live_server)
    expect(page.get_by_role("button", name="Start camera")).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for name in ("Start camera", "Open plotter"):
        box = page.get_by_role("button", name=name).bounding_box()
        assert box["height"] >= 48, name


PUBLIC = "http://fieldapp.test"
SCAN_CASES = [
    # (what the QR says, the token it opens, or None when refused)
    (f"{PUBLIC}/e/7K3Q9XA4", "7K3Q9XA4"),
    (f"{PUBLIC}/e/7K3Q9XA4/", "7K3Q9XA4"),
    (f"{PUBLIC}/e/7k3q9xa4", "7K3Q9XA4"),  # lowercase token: the server redirects it too
    ("HTTP://FIELDAPP.TEST/e/7K3Q9XA4", "7K3Q9XA4"),  # scheme and host are case-blind
    (f"  {PUBLIC}/e/7K3Q9XA4\n", "7K3Q9XA4"),
    ("{here}/e/7K3Q9XA4", "7K3Q9XA4"),  # this server's own origin
    ("PM-7K3Q-9XA4", "7K3Q9XA4"),
    ("pm 7k3q 9xa4", "7K3Q9XA4"),
    ("PM7K3Q9XA4", "7K3Q9XA4"),
    ("7K3Q9XA4", "7K3Q9XA4"),
    ("https://fieldapp.test/e/7K3Q9XA4", None),  # another origin: https is not http
    ("http://fieldapp.test:8080/e/7K3Q9XA4", None),
    ("https://evil.example/e/ABCDEFGH", None),
    ("http://fieldapp.test.evil.example/e/7K3Q9XA4", None),
    ("http://fieldapp.test@evil.example/e/7K3Q9XA4", None),
    ("http://evil.example\\@fieldapp.test/e/7K3Q9XA4", None),
    ("//evil.example/e/7K3Q9XA4", None),
    (f"{PUBLIC}/e/7K3Q9XA4/../admin", None),
    (f"{PUBLIC}/e/../admin/users", None),
    (f"{PUBLIC}/x/../e/7K3Q9XA4", None),
    (f"{PUBLIC}/e/%37K3Q9XA4", None),
    (f"{PUBLIC}/e/7K3Q9XA4?next=https://evil.example", None),
    (f"{PUBLIC}/e/7K3Q9XA4#x", None),
    (f"{PUBLIC}/e/7K3Q9XA4/label.png", None),
    (f"{PUBLIC}/E/7K3Q9XA4", None),
    (f"{PUBLIC}//e/7K3Q9XA4", None),
    (f"{PUBLIC}/admin/users", None),
    (f"{PUBLIC}/e/7K3Q9XA", None),  # too short
    (f"{PUBLIC}/e/7K3Q9XA44", None),  # too long
    (f"{PUBLIC}/e/7K3Q-9XA4", None),
    (f"{PUBLIC}/e/0K3Q9XA4", None),  # ambiguous characters are never in a token
    (f"{PUBLIC}/e/OK3Q9XA4", None),
    (f"{PUBLIC}/e/1K3Q9XA4", None),
    (f"{PUBLIC}/e/IK3Q9XA4", None),
    (f"{PUBLIC}/e/LK3Q9XA4", None),
    ("PM-0K3Q-9XA4", None),
    ("PM-LK3Q-9XA4", None),
    ("javascript:alert(1)//PM-7K3Q-9XA4", None),
    ("javascript:location='/e/7K3Q9XA4'", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("ftp://fieldapp.test/e/7K3Q9XA4", None),
    ("fieldapp.test/e/7K3Q9XA4", None),
    ("Call Dana on 555-0100", None),
    ("", None),
    ("   ", None),
]


def test_scanned_text_parser(live_server, page):
    """The accept/refuse table for what a QR may contain, run in the browser on codes.js."""
    page.goto(f"{live_server.url}/login")
    cases = [text.replace("{here}", live_server.url) for text, _ in SCAN_CASES]
    results = page.evaluate(
        """async ([cases, publicUrl]) => {
            const codes = await import("/static/js/codes.js");
            const origins = [publicUrl, location.origin];
            return cases.map((text) => codes.parseScan(text, origins));
        }""",
        [cases, PUBLIC],
    )
    for text, (_, expected), result in zip(cases, SCAN_CASES, results, strict=True):
        assert result.get("token") == expected, (text, result)
        assert result["ok"] is (expected is not None), (text, result)


TYPED = [
    "PM-7K3Q-9XA4", "pm-7k3q-9xa4", " pm 7k3q 9xa4 ", "PM7K3Q9XA4", "7K3Q9XA4", "7k3q-9xa4",
    "PM-7K3Q-9XA", "PM-0K3Q-9XA4", "PMPM7K3Q9XA4", "XX-7K3Q-9XA4", "P.M/7K3Q_9XA4", "7K3Q9XA4!",
    "ﬀ7K3Q9XA", "7K3Q9XAß", "ı7K3Q9XA", "", "PM", "pm-pm23-4567", "２３４５６７８９",
]  # fmt: skip


def test_typed_code_rules_match_the_server(live_server, page):
    """Does codes.js normalise a typed code exactly as the server's normalise_code does?"""
    page.goto(f"{live_server.url}/login")
    in_browser = page.evaluate(
        """async (typed) => {
            const codes = await import("/static/js/codes.js");
            return typed.map((text) => codes.normaliseCode(text));
        }""",
        TYPED,
    )
    assert in_browser == [normalise_code(text) for text in TYPED]
