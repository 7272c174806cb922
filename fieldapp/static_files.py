"""Static files: served by WhiteNoise, compressed, and cached for a year under a version.

Every shell file's URL names the hash of the shell's static files (/static/<version>/js/app.js),
so browsers keep it as immutable: a deploy that changes any of them changes every URL, and the
ES modules' relative imports ("./store.js") stay within one version. WhiteNoise serves a copy
of this version's files with gzip and brotli versions beside them, made at start in the
instance folder (once per version: no build step, and nothing is written into static/).

Flask still answers the rest of /static/: a plain /static/<file> as it always did (revalidated
on every use, for pages and scripts that predate versions) and another version's URL with a
redirect to this version's file, so a page saved before a deploy still finds its scripts.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from flask import Flask, current_app, redirect, url_for
from werkzeug.routing import BaseConverter
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

from fieldapp.pwa import VERSION_LENGTH, shell_build, shell_static_files, static_files_version
from fieldapp.security import security_headers

ONE_YEAR = 365 * 24 * 60 * 60
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
# Under the instance folder: one folder per version of the compressed copies.
COMPRESSED_FOLDER = "static-compressed"
# Versions kept besides the newest: servers of the previous deploy may still be running.
KEEP_VERSIONS = 3
# A copy half made by a process that died; a live one takes seconds.
ABANDONED_AFTER_S = 3600
BUILDING_PREFIX = ".building-"


class StaticVersionConverter(BaseConverter):
    """A version in a static URL: exactly its hex digits, so /static/js/... never reads as one."""

    regex = f"[0-9a-f]{{{VERSION_LENGTH}}}"


def register_static_files(app: Flask) -> None:
    """Put the version in every url_for("static", ...) and let WhiteNoise serve its files."""
    app.url_map.converters["static_version"] = StaticVersionConverter
    app.add_url_rule(
        f"{app.static_url_path}/<static_version:version>/<path:filename>", endpoint="static"
    )
    # Both rules (Flask's plain one and the versioned one) are the endpoint "static", so the
    # templates' url_for("static", filename=...) stay as they are; one view answers both.
    app.view_functions["static"] = static_file
    app.url_defaults(add_static_version)
    if app.debug:
        # Files change under a development server: Flask serves them fresh (static_file).
        return
    version = shell_build(app).static_version
    folder = compressed_copy(app.static_folder, Path(app.instance_path, COMPRESSED_FOLDER), version)
    required = security_headers(app.config["ENV_NAME"] == "production")

    def add_headers(headers, path, url):
        # The same security headers as every page (nosniff above all; the CSP also binds the
        # scanner's worker script), and a year: the URL changes whenever the content does.
        for name, value in required.items():
            headers[name] = value
        headers["Cache-Control"] = IMMUTABLE

    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        root=folder,
        prefix=f"{app.static_url_path}/{version}/",
        max_age=None,
        allow_all_origins=False,
        add_headers_function=add_headers,
    )


def add_static_version(endpoint: str, values: dict) -> None:
    """url_for("static", filename=...) names this version's URL; version=None the plain one."""
    if endpoint == "static" and "version" not in values:
        values["version"] = shell_build(current_app).static_version


def static_file(filename: str, version: str | None = None):
    """What WhiteNoise left to Flask: a plain /static/ URL, a file outside the shell, anything
    in debug (served, revalidated each time), or another version's URL (redirected)."""
    current = shell_build(current_app).static_version
    if version is None or version == current or current_app.debug:
        return current_app.send_static_file(filename)
    # Never serve this version's file under another version's URL: it would be kept for a
    # year as that version's. A redirect is asked again next time.
    response = redirect(url_for("static", filename=filename))
    response.headers["Cache-Control"] = "no-cache"
    return response


def compressed_copy(static_folder: str | Path, parent: Path, version: str) -> Path:
    """The folder holding this version's shell files with .gz and .br beside each, made when
    missing. Made aside and renamed into place, so processes starting together never serve
    a half-made copy; the copy is hashed again so a file changed meanwhile cannot get in."""
    target = parent / version
    if target.is_dir():
        return target
    parent.mkdir(parents=True, exist_ok=True)
    static = Path(static_folder)
    # mkdir, not mkdtemp: the copy gets the usual permissions, like the rest of the instance.
    building = parent / f"{BUILDING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
    building.mkdir()
    try:
        copies = []
        for path in shell_static_files(static):
            copy = building / path.relative_to(static)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
            copies.append(copy)
        if static_files_version(building) != version:
            raise RuntimeError(
                f"{static} changed while FieldApp started (version {version} expected); "
                "start it again"
            )
        compressor = Compressor(quiet=True)
        for copy in copies:
            if compressor.should_compress(copy.name):
                compressor.compress(str(copy))
        try:
            os.rename(building, target)
        except OSError:
            if not target.is_dir():
                raise
            # Another process made the same version first; its copy is as good.
    finally:
        shutil.rmtree(building, ignore_errors=True)
    remove_old_copies(parent, keep=target)
    return target


def remove_old_copies(parent: Path, keep: Path) -> None:
    """Delete all but the newest few versions' copies, and copies abandoned half made."""
    ages = {path: _age(path) for path in parent.iterdir() if path.is_dir() and path != keep}
    building = {path for path in ages if path.name.startswith(BUILDING_PREFIX)}
    versions = sorted(set(ages) - building, key=ages.__getitem__)
    abandoned = [path for path in building if ages[path] > ABANDONED_AFTER_S]
    for path in [*versions[KEEP_VERSIONS:], *abandoned]:
        shutil.rmtree(path, ignore_errors=True)


def _age(path: Path) -> float:
    """Seconds since path last changed; 0 when another process has just removed it."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
