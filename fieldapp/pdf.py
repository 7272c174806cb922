"""Pages as PDF, made on the server by WeasyPrint from the same markup and print stylesheet
the browser prints with: an SOP version for the binder, a purchase order for the supplier."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, abort, current_app, request
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from fieldapp.photos.models import Photo
from fieldapp.photos.services import photo_bytes

PAPER_SIZES = {"letter": "letter", "a4": "A4"}
_PHOTO_PATH = re.compile(r"/photos/(?P<id>[0-9a-f-]{36})(?:/(?P<size>thumb))?")
# Where the document's relative addresses resolve; never fetched over the network.
_BASE = "http://fieldapp.invalid/"
_STYLESHEET = "fieldapp.pdf.stylesheet"


@dataclass(frozen=True)
class Attached:
    """A file a PDF may show besides photos, e.g. the company's logo."""

    data: bytes
    content_type: str


class StoredPhotos(URLFetcher):
    """Gives WeasyPrint the photos the document shows, read from the photo store, and the
    files it is handed (the company's logo), and nothing else: a PDF never makes the server
    fetch an address (no SSRF through a page)."""

    def __init__(self, photos: Iterable[Photo], files: Mapping[str, Attached] | None = None):
        super().__init__()
        self._photos = {photo.id: photo for photo in photos}
        self._files = dict(files or {})

    def fetch(self, url, headers=None):
        path = urlsplit(url).path
        attached = self._files.get(path) if url.startswith(_BASE) else None
        if attached is not None:
            return URLFetcherResponse(
                url, attached.data, {"Content-Type": attached.content_type}, status=200
            )
        match = _PHOTO_PATH.fullmatch(path)
        photo = self._photos.get(uuid.UUID(match["id"])) if match else None
        if not url.startswith(_BASE) or photo is None:
            raise ValueError(f"not fetched for a PDF: {url[:200]}")
        size = match["size"] or "full"
        content_type = photo.content_type if size == "full" else "image/jpeg"
        return URLFetcherResponse(
            url, photo_bytes(photo, size), {"Content-Type": content_type}, status=200
        )


def _stylesheet() -> CSS:
    """The app's stylesheet (its print rules lay the page out), parsed once per version of
    the file: parsing it is a good part of a PDF's time."""
    path = Path(current_app.static_folder, "css", "app.css")
    stamp = path.stat().st_mtime_ns
    cached = current_app.extensions.get(_STYLESHEET)
    if cached is None or cached[0] != stamp:
        sheet = CSS(filename=str(path), url_fetcher=StoredPhotos(()))
        cached = current_app.extensions[_STYLESHEET] = (stamp, sheet)
    return cached[1]


def html_pdf(
    html: str,
    *,
    paper: str = "letter",
    photos: Iterable[Photo] = (),
    files: Mapping[str, Attached] | None = None,
) -> bytes:
    """A rendered page (an SOP version's print page, an order) as PDF bytes, with the given
    photos (an SOP's reference images) and files (by the path the page names them with) as
    the only files it may show."""
    document = HTML(string=html, base_url=_BASE, url_fetcher=StoredPhotos(photos, files))
    return document.write_pdf(
        stylesheets=[_stylesheet(), CSS(string=f"@page {{ size: {PAPER_SIZES[paper]}; }}")]
    )


def asked_paper() -> str:
    """The paper a PDF is asked for (?paper=letter, the default, or a4); 400 for another."""
    paper = request.args.get("paper", "letter")
    if paper not in PAPER_SIZES:
        abort(400, description="Paper must be letter or a4.")
    return paper


def pdf_response(document: bytes, filename: str) -> Response:
    """A PDF shown in the browser (and saved under filename), never kept by a shared cache."""
    response = Response(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.cache_control.private = True
    return response
