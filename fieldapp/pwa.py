"""The installable app: web app manifest, the service worker with its precache, the offline page.

The worker's version is a hash of the app shell's files, so a deploy that changes any of them
installs a new worker (and offers "Reload"); nobody bumps a number by hand. A second hash, of
the static files alone, versions their URLs (/static/<version>/js/app.js, see static_files.py),
so a deploy that changes only templates leaves every cached script and stylesheet valid.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    current_app,
    has_request_context,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from fieldapp.auth.access import PUBLIC, STAFF, allow
from fieldapp.settings import services as settings

bp = Blueprint("pwa", __name__)

# Signed-in pages the service worker precaches with the shell, so they open without signal.
# Features append their offline shells here (exact URLs: the worker matches them exactly).
OFFLINE_SHELL_PAGES = (
    "/offline",
    "/scan",
    "/offline/plotter",
    "/sync",
)

THEME_COLOR = "#0f4c81"
BACKGROUND_COLOR = "#eef1f5"
# Set on pages rendered for a signed-in user: the worker caches only those (never the sign-in
# page or the public plotter page) and notices when another person signs in on the phone.
PAGE_USER_HEADER = "X-FieldApp-User"

# Folders under static/ that make up the shell; vendor code is precached only as scripts.
SHELL_FOLDERS = ("css", "js", "vendor", "icons")
# The large icons: only the manifest names them and the phone keeps them when it installs the
# app. No page loads them, so precaching them would only add to every update's download.
ICON_192 = "icons/icon-192.png"
ICON_512 = "icons/icon-512.png"
MASKABLE_512 = "icons/icon-maskable-512.png"
NOT_PRECACHED = frozenset({ICON_512, MASKABLE_512})
WORKER_FILE = "sw.js"
BUILD_SLOT = re.compile(r"/\*BUILD\*/.*?/\*END\*/", re.DOTALL)
SHELL_BUILD_KEY = "fieldapp.pwa.build"
# Hex digits of a version; sw.js recognises a versioned static URL by this length.
VERSION_LENGTH = 12


@dataclass(frozen=True)
class ShellBuild:
    """One version of the app shell: its hash, the hash in its static URLs, what to precache,
    and the worker's source."""

    version: str
    static_version: str
    static_path: str
    assets: tuple[str, ...]
    pages: tuple[str, ...]
    worker_source: str


def _files(folder: Path) -> list[Path]:
    """Every file under folder, sorted, leaving out hidden ones (.DS_Store, editor swap files)."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def shell_static_files(static_folder: str | Path) -> list[Path]:
    """The shell's files under static/ (every one, vendor licences too): what static_files.py
    serves under the version, and what that version is a hash of."""
    static = Path(static_folder)
    return [path for name in SHELL_FOLDERS for path in _files(static / name)]


def _static_names(static: Path, paths: list[Path]) -> list[tuple[str, Path]]:
    """Each file with the name it is hashed under ("static/js/app.js")."""
    return [(f"static/{path.relative_to(static).as_posix()}", path) for path in paths]


def _digest(named_files: list[tuple[str, Path]], extra: bytes = b"") -> str:
    """A version: the first hex digits of a hash of the names and contents (and extra)."""
    # Relative names only: every server of one deploy, wherever installed, gets one version.
    digest = hashlib.sha256()
    for name, path in named_files:
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    digest.update(extra)
    return digest.hexdigest()[:VERSION_LENGTH]


def static_files_version(static_folder: str | Path) -> str:
    """The hash of the shell's static files, the version in their URLs."""
    static = Path(static_folder)
    return _digest(_static_names(static, shell_static_files(static)))


def compute_shell_build(
    static_folder: str | Path,
    template_folder: str | Path,
    static_url_path: str = "/static",
    pages: tuple[str, ...] | list[str] = OFFLINE_SHELL_PAGES,
) -> ShellBuild:
    """Hash the shell's files into a version and list the URLs to precache."""
    static = Path(static_folder)
    templates = Path(template_folder)
    static_files = _static_names(static, shell_static_files(static))
    static_version = _digest(static_files)
    static_path = f"{static_url_path}/{static_version}"
    precached = [
        name
        for name in (static_name.removeprefix("static/") for static_name, _ in static_files)
        if (not name.startswith("vendor/") or name.endswith(".js")) and name not in NOT_PRECACHED
    ]
    worker = static / WORKER_FILE
    # Every template counts: the shell pages extend base.html and its macros, and which
    # templates a URL renders is only known at request time.
    hashed = [
        *static_files,
        (f"static/{WORKER_FILE}", worker),
        *(
            (f"templates/{path.relative_to(templates).as_posix()}", path)
            for path in _files(templates)
        ),
    ]
    return ShellBuild(
        version=_digest(hashed, json.dumps(list(pages)).encode()),
        static_version=static_version,
        static_path=static_path,
        assets=tuple(f"{static_path}/{name}" for name in precached),
        pages=tuple(pages),
        worker_source=worker.read_text(encoding="utf-8"),
    )


def _compute_for(app: Flask) -> ShellBuild:
    """The build of this app's static and template folders."""
    return compute_shell_build(
        app.static_folder,
        Path(app.root_path, app.template_folder),
        app.static_url_path,
        OFFLINE_SHELL_PAGES,
    )


def shell_build(app: Flask) -> ShellBuild:
    """This app's shell build, computed once (in debug once per request, so edits show)."""
    if not app.debug:
        build = app.extensions.get(SHELL_BUILD_KEY)
        if build is None:
            build = app.extensions[SHELL_BUILD_KEY] = _compute_for(app)
        return build
    if not has_request_context():
        return _compute_for(app)
    # Every url_for("static", ...) asks for the version: hash the files once per page.
    if SHELL_BUILD_KEY not in request.environ:
        request.environ[SHELL_BUILD_KEY] = _compute_for(app)
    return request.environ[SHELL_BUILD_KEY]


def worker_script(build: ShellBuild) -> str:
    """The worker's source with the build (version, assets, pages) written into its slot."""
    settings = json.dumps(
        {
            "version": build.version,
            "static": build.static_path,
            "assets": list(build.assets),
            "pages": list(build.pages),
        }
    )
    script, found = BUILD_SLOT.subn(lambda _: settings, build.worker_source, count=1)
    if not found:
        raise RuntimeError(f"static/{WORKER_FILE} has no /*BUILD*/ ... /*END*/ slot")
    return script


@bp.get("/manifest.webmanifest")
@allow(PUBLIC)
def manifest():
    """The web app manifest: what a phone needs to install FieldApp to its home screen."""
    company = settings.company().name
    # Plain URLs, not versioned ones: a phone re-reads the manifest, and icon addresses that
    # changed with every deploy could make it offer an app update for the same pictures.
    icon_192, icon_512, maskable_512 = (
        url_for("static", filename=name, version=None)
        for name in (ICON_192, ICON_512, MASKABLE_512)
    )
    body = {
        "id": "/",
        "name": f"FieldApp · {company}",
        "short_name": "FieldApp",
        "description": f"Plotter service history, SOPs and visit logging for {company}.",
        "lang": "en",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": icon_192, "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {
                "src": icon_512,
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": maskable_512,
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "shortcuts": [
            {
                "name": "Scan a plotter",
                "short_name": "Scan",
                "url": "/scan",
                "icons": [{"src": icon_192, "sizes": "192x192", "type": "image/png"}],
            },
        ],
    }
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/manifest+json"
    )
    # The company name can change with the configuration; revalidate instead of keeping it.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
@allow(PUBLIC)
def service_worker():
    """The service worker, with this build's version and precache list written in."""
    response = current_app.response_class(
        worker_script(shell_build(current_app)), mimetype="text/javascript"
    )
    response.headers["Service-Worker-Allowed"] = "/"
    # Browsers check for a new worker on navigation; they must never get a stale copy.
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/offline")
@allow(STAFF)
def offline():
    """What this phone holds for working without signal; the page fills it in from IndexedDB."""
    return render_template("pwa/offline.html")


@bp.after_app_request
def mark_page_user(response):
    """Name the user a page was rendered for, so the worker caches only signed-in pages."""
    if response.mimetype == "text/html" and current_user.is_authenticated:
        response.headers[PAGE_USER_HEADER] = str(current_user.id)
    return response
