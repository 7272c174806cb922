"""Pages and JSON compressed on their way out by Flask-Compress: brotli when the browser takes
it, else gzip. Static files come compressed already (static_files.py).

Flask-Compress gives a compressed answer an ETag of its own ("abc:gzip"), and that is what the
browser sends back. The views that answer 304 themselves (the pack, the activity feed, /sw.js,
labels) compare with the ETag they made, so the plain tag is added to If-None-Match before
they see it: an unchanged pack stays a 304 without being built, compressed and thrown away.
"""

from __future__ import annotations

import re

from flask import Flask
from flask_compress import Compress

compress = Compress()

# br first: smaller than gzip at a lower cost; deflate and zstd add nothing a phone needs.
ALGORITHMS = ["br", "gzip"]
# Flask-Compress marks only strong ETags, so a weak one is never among them.
ENCODED_ETAG = re.compile(r'"([^"]*):(?:br|gzip|deflate|zstd)"')


def register_compression(app: Flask) -> None:
    """Compress what the views answer, and keep their ETags answering 304."""
    app.config.setdefault("COMPRESS_ALGORITHM", ALGORITHMS)
    # Streamed answers are files Flask sends (photos, a static file WhiteNoise left to Flask):
    # compressing them, Flask-Compress never closes the file. WhiteNoise sends the shell's
    # files compressed already.
    app.config.setdefault("COMPRESS_STREAMS", False)
    # A view that sets an ETag without checking it still answers 304 once compressed.
    app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", True)
    compress.init_app(app)
    app.wsgi_app = PlainETags(app.wsgi_app)


class PlainETags:
    """WSGI middleware: If-None-Match names each compressed ETag's plain tag too."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        header = environ.get("HTTP_IF_NONE_MATCH")
        if header:
            environ["HTTP_IF_NONE_MATCH"] = with_plain_etags(header)
        return self.wsgi_app(environ, start_response)


def with_plain_etags(header: str) -> str:
    """'"abc:gzip"' -> '"abc:gzip", "abc"': the view matches the tag it made, Flask-Compress
    the one it sent."""
    plain = [f'"{tag}"' for tag in ENCODED_ETAG.findall(header)]
    return ", ".join([header, *plain])
