"""Static files and pages on the wire: compressed, cached under versioned URLs, still
revalidated by ETag where they change."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import brotli
import flask_compress.flask_compress as flask_compress_module
import pytest
from flask import Flask, url_for

from fieldapp import PROJECT_ROOT, compression, pwa, static_files
from fieldapp.activity.services import record_event
from fieldapp.extensions import db
from tests import factories
from tests.conftest import RequestClient

STATIC = PROJECT_ROOT / "static"
YEAR_IMMUTABLE = re.compile(r"max-age=31536000, immutable")
STATIC_REFERENCE = re.compile(r'(?:href|src)="(/static/[^"#]*)')


class ReadingClient(RequestClient):
    """Reads each answer whole, closing the file WhiteNoise opened, as a server does."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = ReadingClient
    return app.test_client()


def static_url(app, filename: str) -> str:
    with app.test_request_context():
        return url_for("static", filename=filename)


def test_static_files_are_compressed_when_asked(client, app):
    """Is a stylesheet sent gzip- or brotli-encoded to a browser that takes it, and as it is
    to one that does not, the same file either way?"""
    url = static_url(app, "css/app.css")
    original = (STATIC / "css/app.css").read_bytes()

    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(original) / 3
    assert gzip.decompress(zipped.data) == original

    smaller = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert smaller.headers["Content-Encoding"] == "br"
    assert brotli.decompress(smaller.data) == original

    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers
    assert plain.data == original


def test_versioned_static_files_are_cached_for_a_year(client, app):
    """Does every precached file answer at its URL, kept a year as immutable, with the
    security headers pages carry?"""
    build = pwa.shell_build(app)
    for url in build.assets:
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, url
        assert YEAR_IMMUTABLE.search(response.headers["Cache-Control"]), url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert "Content-Security-Policy" in response.headers, url
    script = client.get(f"{build.static_path}/js/app.js")
    assert script.mimetype == "text/javascript"
    # The scanner's worker script gets the same policy it had when Flask served it.
    worker = client.get(f"{build.static_path}/js/scanner/decode-worker.js")
    assert "script-src 'self'" in worker.headers["Content-Security-Policy"]


def test_pages_load_the_versioned_files(client, auth, app):
    """Do the pages (their stylesheet, scripts, icons and icon sprite) name this version's
    static URLs, and does each of them answer?"""
    build = pwa.shell_build(app)
    auth.login("tech")
    for page in ("/", "/scan", "/offline"):
        html = client.get(page).get_data(as_text=True)
        urls = STATIC_REFERENCE.findall(html)
        assert f"{build.static_path}/css/app.css" in urls, page
        assert f"{build.static_path}/js/app.js" in urls, page
        assert all(url.startswith(f"{build.static_path}/") for url in urls), (page, urls)
        assert f'href="{build.static_path}/icons/sprite.svg#' in html, page
        for url in urls:
            assert client.get(url).status_code == 200, url


def test_scripts_name_no_unversioned_static_path():
    """Does no shell script hard-code a /static/ address that would skip the version?"""
    for path in [*(STATIC / "js").rglob("*.js"), STATIC / "sw.js"]:
        text = path.read_text()
        assert not re.search(r"/static/(css|js|icons|vendor)/", text), path


def test_another_versions_url_redirects_to_this_versions_file(client, app):
    """Does a page saved before a deploy, asking for the old version's file, get this
    version's, by a redirect that is never kept? Does the plain URL still answer?"""
    old = client.get("/static/0123456789ab/css/app.css")
    assert old.status_code == 302
    assert old.headers["Location"] == static_url(app, "css/app.css")
    assert old.headers["Cache-Control"] == "no-cache"
    plain = client.get("/static/css/app.css")
    assert plain.status_code == 200
    assert plain.data == (STATIC / "css/app.css").read_bytes()
    assert "immutable" not in plain.headers.get("Cache-Control", "")
    assert client.get(static_url(app, "css/missing.css")).status_code == 404


def test_manifest_icons_keep_their_addresses(client):
    """Do the manifest's icons stay at plain URLs, so a deploy never looks like a new icon?"""
    icons = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))["icons"]
    for icon in icons:
        assert re.fullmatch(r"/static/icons/[\w-]+\.png", icon["src"]), icon
        assert client.get(icon["src"]).status_code == 200


def test_pages_and_json_are_compressed(client, auth):
    """Are pages and the pack sent gzip-encoded, with the page's security headers kept?"""
    auth.login("tech")
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in page.headers["Vary"]
    assert "<html" in gzip.decompress(page.data).decode()
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers[pwa.PAGE_USER_HEADER]

    for n in range(5):
        factories.make_equipment(factories.make_customer(name=f"Customer {n}"))
    pack = client.get("/api/v1/pack", headers={"Accept-Encoding": "gzip, br"})
    assert pack.headers["Content-Encoding"] == "br"
    assert "equipment" in json.loads(brotli.decompress(pack.data))


def test_pack_etag_still_answers_304_when_compressed(client, auth, monkeypatch):
    """Does the compressed pack's ETag, sent back, get a 304 from the pack view itself, with
    nothing compressed or sent?"""
    auth.login("tech")
    factories.make_equipment(factories.make_customer())
    first = client.get("/api/v1/pack", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    assert etag.endswith(':gzip"')

    compressed = []
    real_compress = flask_compress_module._compress_data
    monkeypatch.setattr(
        flask_compress_module,
        "_compress_data",
        lambda *args: compressed.append(args) or real_compress(*args),
    )
    again = client.get("/api/v1/pack", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert compressed == []

    factories.make_equipment(factories.make_customer(name="A new customer"))
    changed = client.get("/api/v1/pack", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_activity_feed_poll_stays_a_304(client, auth):
    """After a compressed feed answer, does the next poll with its ETag still get a 304 (not
    an empty 200 too small to compress)?"""
    office = auth.login("office")
    for n in range(12):
        record_event(
            "job.created", "job", n, f"Job {n} created for a long customer name", actor_id=office.id
        )
    db.session.commit()
    first = client.get("/api/v1/activity?after=0", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    latest = json.loads(gzip.decompress(first.data))["latest"]
    quiet = client.get(
        f"/api/v1/activity?after={latest}",
        headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]},
    )
    assert quiet.status_code == 304


def test_service_worker_itself_is_compressed_and_revalidated(client):
    """Is /sw.js compressed, never cached, and a 304 when unchanged?"""
    first = client.get("/sw.js", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    assert first.headers["Cache-Control"] == "no-cache"
    again = client.get(
        "/sw.js",
        headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"abc:gzip"', '"abc:gzip", "abc"'),
        ('"a:br", "b"', '"a:br", "b", "a"'),
        ('"plain"', '"plain"'),
        ("*", "*"),
    ],
)
def test_if_none_match_names_the_plain_etag_too(header, expected):
    """Does a compressed ETag sent back also name the tag the view made?"""
    assert compression.with_plain_etags(header) == expected


# -- a shell of its own: change files and see the URLs change ------------------------------


def app_on(static: Path, templates: Path, instance: Path, **config) -> Flask:
    """A bare app serving these folders the way FieldApp does."""
    app = Flask(
        "fieldapp",
        static_folder=str(static),
        template_folder=str(templates),
        instance_path=str(instance),
    )
    app.config.update(ENV_NAME="development", **config)
    static_files.register_static_files(app)
    return app


def test_a_changed_file_gets_new_urls(shell_copy):
    """After a deploy that changes a script, does every static URL change, the new one serve
    the new file, and the old one lead there?"""
    static, templates, instance = shell_copy
    before = app_on(static, templates, instance)
    old_url = static_url(before, "js/app.js")
    old_sprite = static_url(before, "icons/sprite.svg")

    script = static / "js" / "app.js"
    script.write_text(script.read_text() + "\n// changed\n")
    after = app_on(static, templates, instance)
    new_url = static_url(after, "js/app.js")
    assert new_url != old_url
    assert static_url(after, "icons/sprite.svg") != old_sprite
    client = ReadingClient(after)
    assert client.get(new_url).data.endswith(b"// changed\n")
    assert client.get(old_url).headers["Location"] == new_url
    # The old server, still running during the deploy, keeps serving its own copy.
    assert not ReadingClient(before).get(old_url).data.endswith(b"// changed\n")


def test_a_template_change_keeps_the_static_urls(shell_copy):
    """Does a deploy that changes only templates keep every static URL (the browser's copies
    stay good) while the worker still gets a new version?"""
    static, templates, instance = shell_copy
    before = pwa.compute_shell_build(static, templates)
    base = templates / "base.html"
    base.write_text(base.read_text() + "\n")
    after = pwa.compute_shell_build(static, templates)
    assert after.version != before.version
    assert after.static_version == before.static_version
    assert after.assets == before.assets


def test_compressed_copies_are_made_once_outside_static(shell_copy):
    """Are the compressed copies made once, in the instance folder, never in static/?"""
    static, templates, instance = shell_copy
    app_on(static, templates, instance)
    version = pwa.static_files_version(static)
    folder = instance / static_files.COMPRESSED_FOLDER / version
    assert (folder / "css" / "app.css.gz").is_file()
    assert (folder / "css" / "app.css.br").is_file()
    assert not (folder / "icons" / "icon-192.png.gz").exists()  # PNG: nothing to gain
    assert not list(static.rglob("*.gz")) and not list(static.rglob("*.br"))
    made = (folder / "css" / "app.css.gz").stat().st_mtime_ns
    app_on(static, templates, instance)
    assert (folder / "css" / "app.css.gz").stat().st_mtime_ns == made


def test_a_file_changed_during_start_is_refused(shell_copy):
    """Is a copy whose files no longer hash to the version refused, rather than served for a
    year under a URL that names other content?"""
    static, _, instance = shell_copy
    version = pwa.static_files_version(static)
    (static / "css" / "app.css").write_text("body { color: red }\n")
    with pytest.raises(RuntimeError, match="changed while FieldApp started"):
        static_files.compressed_copy(static, instance / "copies", version)
    assert not (instance / "copies" / version).exists()


def test_only_a_few_old_versions_are_kept(shell_copy):
    """Are the copies of old versions removed, all but the newest few?"""
    static, templates, instance = shell_copy
    parent = instance / static_files.COMPRESSED_FOLDER
    for n in range(6):
        (parent / f"{n:012x}").mkdir(parents=True)
    app_on(static, templates, instance)
    kept = {path.name for path in parent.iterdir()}
    assert pwa.static_files_version(static) in kept
    assert len(kept) == 1 + static_files.KEEP_VERSIONS


def test_development_server_serves_edits_at_once(shell_copy):
    """In debug, is an edited stylesheet served at once under its new URL, never immutable?"""
    static, templates, instance = shell_copy
    app = app_on(static, templates, instance, DEBUG=True)
    client = ReadingClient(app)
    (static / "css" / "app.css").write_text("body { color: teal }\n")
    url = static_url(app, "css/app.css")
    response = client.get(url)
    assert response.data == b"body { color: teal }\n"
    assert "immutable" not in response.headers.get("Cache-Control", "")
    assert not (instance / static_files.COMPRESSED_FOLDER).exists()
