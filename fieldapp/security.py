"""What every response and request goes through: the proxy in front, security headers, and
input no database can store.

Behind nginx every request comes from the proxy; with FIELDAPP_PROXY_HOPS set to the number
of proxies, Werkzeug's ProxyFix takes the client's address, scheme and host from the
X-Forwarded-* headers those proxies set (and only from them), so throttles and logs see the
real client.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, abort, request
from werkzeug.middleware.proxy_fix import ProxyFix

# Every script, style, font and image comes from this origin: no inline code, no inline style
# attribute. Photos shown before upload are blob: URLs; the signature pad reads a data: URL.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self' blob:",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
# The scanner needs the camera; nothing needs the microphone, location or payment.
PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"
NUL = "\x00"


def register_security(app: Flask) -> None:
    hops = app.config["PROXY_HOPS"]
    if hops:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )
    app.before_request(refuse_nul_bytes)
    required = security_headers(app.config["ENV_NAME"] == "production")

    @app.after_request
    def add_security_headers(response):
        for name, value in required.items():
            response.headers.setdefault(name, value)
        return response


def security_headers(production: bool) -> dict[str, str]:
    """The headers every response carries, pages and static files alike (static_files.py)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def refuse_nul_bytes() -> None:
    """A NUL character in a query or form field is never meant (and PostgreSQL cannot store
    it): refused before any view runs. JSON bodies are checked field by field by the API
    schemas, so one bad sync op never refuses the whole batch."""
    values = [*request.args.items(multi=True)]
    if request.method != "GET" and request.mimetype in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        values += request.form.items(multi=True)
    if any(NUL in key or NUL in value for key, value in values):
        abort(400, description="The request contains a NUL character, which no field accepts.")


def secret_link_page(response: Response) -> Response:
    """A page whose link is the key (a status page, an unsubscribe link): kept by no cache,
    no search engine, and no referrer carries the link on."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def local_url(target: str | None) -> str | None:
    """target if it is a path on this site, else None: a redirect to anywhere a link names
    would let a phishing page borrow our address (//evil.example is another site)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(char in target for char in "\\\r\n\t") or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
