"""The installable app: manifest, icons, the service worker's script and its version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from fieldapp import PROJECT_ROOT, pwa

STATIC = PROJECT_ROOT / "static"


def worker_build(text: str) -> dict:
    """The BUILD object written into a served /sw.js."""
    start = text.index("const BUILD = ") + len("const BUILD = ")
    return json.loads(text[start : text.index(";\n", start)])


def test_manifest_makes_the_app_installable(client, app):
    """Does the manifest name the company and open FieldApp standalone from /?"""
    app.config["COMPANY_NAME"] = "Harbor Plotter Care"
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "FieldApp · Harbor Plotter Care"
    assert manifest["short_name"] == "FieldApp"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0f4c81"
    assert manifest["background_color"].startswith("#")


def test_manifest_icons_exist_at_their_sizes(client):
    """Is every icon the manifest names a real PNG of the size it claims, maskable included?"""
    icons = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["icons"]
    found = {(icon["sizes"], icon.get("purpose", "any")) for icon in icons}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= found
    for icon in icons:
        path = STATIC / icon["src"].removeprefix("/static/")
        with Image.open(path) as image:
            assert image.format == "PNG"
            assert f"{image.width}x{image.height}" == icon["sizes"]
            if icon.get("purpose") == "maskable":
                # Full bleed: the launcher crops it to any shape, so no corner may be see-through.
                corner = image.convert("RGBA").getpixel((0, 0))
                assert corner == (15, 76, 129, 255)


def test_service_worker_is_served_for_the_whole_origin(client):
    """Is /sw.js JavaScript for scope /, always revalidated, to anyone (the sign-in page too)?"""
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_service_worker_precaches_the_shell(client, app):
    """Does the served worker carry this build's version and the whole app shell, at the
    versioned static URLs the pages use?"""
    text = client.get("/sw.js").get_data(as_text=True)
    build = worker_build(text)
    assert "/*BUILD*/" not in text
    shell = pwa.shell_build(app)
    assert build["version"] == shell.version
    static = f"/static/{shell.static_version}"
    assert build["static"] == static
    assets = set(build["assets"])
    every_script = {
        f"{static}/{path.relative_to(STATIC).as_posix()}" for path in (STATIC / "js").rglob("*.js")
    }
    assert every_script <= assets
    assert f"{static}/js/scanner/decoder.js" in assets
    assert {
        f"{static}/css/app.css",
        f"{static}/vendor/jsqr/jsQR.js",
        f"{static}/icons/sprite.svg",
        f"{static}/icons/icon-192.png",
    } <= assets
    assert all(url.startswith(f"{static}/") for url in assets)
    # Licences and the install-only icons are never loaded by a page.
    assert f"{static}/vendor/jsqr/LICENSE" not in assets
    assert f"{static}/icons/icon-maskable-512.png" not in assets
    assert {"/offline", "/scan"} <= set(build["pages"])
    assert build["pages"] == list(pwa.OFFLINE_SHELL_PAGES)


def test_every_shell_page_is_a_page_staff_can_open(app, client, auth):
    """Is each precached shell page a real GET page that answers a signed-in tech with 200?"""
    auth.login("tech")
    for url in pwa.OFFLINE_SHELL_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/html"
        assert response.headers[pwa.PAGE_USER_HEADER]


def version_of(static: Path, templates: Path, pages=pwa.OFFLINE_SHELL_PAGES) -> str:
    return pwa.compute_shell_build(static, templates, "/static", pages).version


@pytest.mark.parametrize(
    "changed",
    [
        "static/css/app.css",
        "static/js/scanner/decoder.js",
        "static/vendor/jsqr/jsQR.js",
        "static/icons/sprite.svg",
        "static/sw.js",
        "templates/base.html",
        "templates/pwa/offline.html",
    ],
)
def test_any_change_to_the_shell_makes_a_new_version(shell_copy, changed):
    """Does editing any one shell file (CSS, JS, vendor, icons, worker, template) change it?"""
    static, templates, _ = shell_copy
    before = version_of(static, templates)
    path = static.parent / changed
    path.write_bytes(path.read_bytes() + b"\n")
    assert version_of(static, templates) != before


def test_version_is_stable_without_changes(shell_copy, tmp_path):
    """Does the same shell hash to the same version, and a file outside it change nothing?"""
    static, templates, _ = shell_copy
    before = version_of(static, templates)
    (static / "robots.txt").write_text("User-agent: *\n")
    assert version_of(static, templates) == before


def test_version_does_not_depend_on_where_the_app_is_installed(shell_copy, tmp_path):
    """Do two servers of one deploy, in different folders (one hidden), agree on the version?"""
    static, templates, _ = shell_copy
    elsewhere = tmp_path / ".venvs" / "fieldapp"
    shutil.copytree(static, elsewhere / "static")
    shutil.copytree(templates, elsewhere / "templates")
    here = pwa.compute_shell_build(static, templates)
    there = pwa.compute_shell_build(elsewhere / "static", elsewhere / "templates")
    assert there.version == here.version
    assert there.static_version == here.static_version
    assert there.assets == here.assets and f"{here.static_path}/css/app.css" in there.assets


def test_a_new_shell_page_makes_a_new_version(shell_copy):
    """Does adding a page to the precache list install a new worker?"""
    static, templates, _ = shell_copy
    before = version_of(static, templates)
    assert version_of(static, templates, (*pwa.OFFLINE_SHELL_PAGES, "/visits/offline")) != before


def test_a_new_script_is_precached(shell_copy):
    """Is a script added under static/js (any depth) precached without anyone listing it?"""
    static, templates, _ = shell_copy
    (static / "js" / "scanner" / "new-thing.js").write_text("export {};\n")
    build = pwa.compute_shell_build(static, templates)
    assert f"{build.static_path}/js/scanner/new-thing.js" in build.assets


def test_version_is_computed_once(app, monkeypatch):
    """Is the shell hashed once per app, not on every /sw.js request?"""
    first = pwa.shell_build(app)
    monkeypatch.setattr(pwa, "compute_shell_build", lambda *args: pytest.fail("recomputed"))
    assert pwa.shell_build(app) is first


def test_offline_page_is_for_staff(client, auth):
    """Does the offline page need a sign-in, and offer a retry and its module to staff?"""
    assert client.get("/offline").status_code == 302
    auth.login("tech")
    page = client.get("/offline").get_data(as_text=True)
    assert "Try again" in page
    assert "js/offline-page.js" in page
    assert "Nothing saved on this phone yet" in page


def test_only_signed_in_pages_are_marked_for_the_worker(client, auth):
    """Are the sign-in page and JSON left unmarked, so the worker never caches them as pages?"""
    assert pwa.PAGE_USER_HEADER not in client.get("/login").headers
    user = auth.login("tech")
    assert client.get("/").headers[pwa.PAGE_USER_HEADER] == str(user.id)
    assert pwa.PAGE_USER_HEADER not in client.get("/api/v1/me").headers
