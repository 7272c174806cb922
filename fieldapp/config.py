"""Configuration: embedded-mode defaults, then FIELDAPP_* environment variables."""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ENV_PREFIX = "FIELDAPP_"
SMTP_TLS_MODES = ("none", "starttls", "ssl")


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def defaults(instance_path: str) -> dict:
    """Settings for the embedded mode: SQLite and uploads in the instance folder."""
    instance = Path(instance_path)
    return {
        "ENV_NAME": "development",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'fieldapp.sqlite3'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "PUBLIC_URL": "http://127.0.0.1:5000",
        "COMPANY_NAME": "Precision Plotter Service",
        "COMPANY_PHONE": "+1 (555) 014-2290",
        "COMPANY_EMAIL": "",
        "COMPANY_ADDRESS": "",
        "TIMEZONE": "America/Chicago",
        "UPLOAD_FOLDER": str(instance / "uploads"),
        # Photos, signatures and the logo: empty for UPLOAD_FOLDER, or s3://bucket/prefix
        # (S3_ENDPOINT_URL for an S3-compatible store such as MinIO).
        "STORAGE_URL": "",
        "S3_ENDPOINT_URL": "",
        # A phone photo downscaled in the browser is well under this; the limit guards the server.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "PHOTO_MAX_PIXELS": 50_000_000,
        # Anyone can post the public request form: its photo may cost far less to decode.
        "PUBLIC_PHOTO_MAX_BYTES": 8 * 1024 * 1024,
        "PUBLIC_PHOTO_MAX_PIXELS": 16_000_000,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "WTF_CSRF_TIME_LIMIT": None,  # a tech's page may sit open all day; the session bounds it
        "LOGIN_THROTTLE_WINDOW": timedelta(minutes=15),
        "LOGIN_THROTTLE_PER_ACCOUNT": 5,
        "LOGIN_THROTTLE_PER_ADDRESS": 20,
        # How many proxies (nginx, a load balancer) stand in front of the app and set
        # X-Forwarded-For; 0 trusts no such header.
        "PROXY_HOPS": 0,
        # Mail (Flask-Mailman). Without a host, mail is written to the log and the Outbox
        # page instead of being sent, so the embedded mode needs no server.
        "MAIL_BACKEND": "smtp",  # also under test: the suite talks to a real SMTP server
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_TIMEOUT": 20,
        "MAIL_DEFAULT_SENDER": "",
    }


def from_environment(environ: os._Environ | dict) -> dict:
    """The FIELDAPP_* variables that are set, mapped onto Flask config keys."""
    mapping = {
        "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
        "SECRET_KEY": "SECRET_KEY",
        "PUBLIC_URL": "PUBLIC_URL",
        "UPLOAD_FOLDER": "UPLOAD_FOLDER",
        "BACKUP_FOLDER": "BACKUP_FOLDER",
        "STORAGE_URL": "STORAGE_URL",
        "S3_ENDPOINT_URL": "S3_ENDPOINT_URL",
        "COMPANY_NAME": "COMPANY_NAME",
        "COMPANY_PHONE": "COMPANY_PHONE",
        "COMPANY_EMAIL": "COMPANY_EMAIL",
        "COMPANY_ADDRESS": "COMPANY_ADDRESS",
        "ENV": "ENV_NAME",
        "TIMEZONE": "TIMEZONE",
        "SMTP_HOST": "MAIL_SERVER",
        "SMTP_USER": "MAIL_USERNAME",
        "SMTP_PASSWORD": "MAIL_PASSWORD",
        "MAIL_FROM": "MAIL_DEFAULT_SENDER",
        "VAPID_PRIVATE_KEY": "VAPID_PRIVATE_KEY",
        "VAPID_SUBJECT": "VAPID_SUBJECT",
    }
    found: dict = {}
    for suffix, key in mapping.items():
        value = environ.get(ENV_PREFIX + suffix)
        if value:
            found[key] = value
    max_upload = _whole_number(environ, "MAX_UPLOAD_MB")
    if max_upload is not None:
        found["MAX_CONTENT_LENGTH"] = max_upload * 1024 * 1024
    hops = _whole_number(environ, "PROXY_HOPS")
    if hops is not None:
        found["PROXY_HOPS"] = hops
    port = _whole_number(environ, "SMTP_PORT")
    if port is not None:
        found["MAIL_PORT"] = port
    tls = environ.get(ENV_PREFIX + "SMTP_TLS")
    if tls:
        if tls not in SMTP_TLS_MODES:
            raise ConfigError(
                f"{ENV_PREFIX}SMTP_TLS must be one of {', '.join(SMTP_TLS_MODES)}, not {tls!r}"
            )
        found["MAIL_USE_TLS"], found["MAIL_USE_SSL"] = tls == "starttls", tls == "ssl"
    return found


def _whole_number(environ, suffix: str) -> int | None:
    value = environ.get(ENV_PREFIX + suffix)
    if not value:
        return None
    if not value.strip().isdigit():
        raise ConfigError(f"{ENV_PREFIX}{suffix} must be a whole number, not {value!r}")
    return int(value)


def normalise_database_url(url: str) -> str:
    """Point plain postgres URLs at psycopg 3, the driver this app ships with."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ensure_secret_key(config: dict, instance_path: str) -> None:
    """Use the configured secret key; in production refuse to start without one.

    In the embedded mode a key is generated once into instance/secret_key (mode 0600) so
    sessions survive restarts without anyone having to pick a key.
    """
    if config.get("SECRET_KEY"):
        return
    if config["ENV_NAME"] == "production":
        raise ConfigError(
            "FIELDAPP_SECRET_KEY is not set. In production the app refuses to start without it: "
            'generate one with: python -c "import secrets; print(secrets.token_hex(32))"'
        )
    key_file = Path(instance_path) / "secret_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two workers starting at once must not write two different keys.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    config["SECRET_KEY"] = key_file.read_text().strip()


def ensure_vapid_key(config: dict, instance_path: str) -> None:
    """The web push signing key (P-256, PEM): FIELDAPP_VAPID_PRIVATE_KEY, else one generated
    on first run into instance/vapid_private.pem (0600) and kept, since every browser's
    subscription is bound to it. Also its public half, as browsers take it, and the contact
    address push services may write to (FIELDAPP_VAPID_SUBJECT)."""
    pem = config.get("VAPID_PRIVATE_KEY")
    if not pem:
        key_file = Path(instance_path) / "vapid_private.pem"
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            key = ec.generate_private_key(ec.SECP256R1())
            with os.fdopen(fd, "wb") as handle:
                handle.write(
                    key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    )
                )
        pem = key_file.read_text()
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}VAPID_PRIVATE_KEY is not a PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ConfigError(f"{ENV_PREFIX}VAPID_PRIVATE_KEY must be a P-256 (prime256v1) key")
    point = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    config["VAPID_PRIVATE_KEY"] = pem
    config["VAPID_PUBLIC_KEY"] = base64.urlsafe_b64encode(point).rstrip(b"=").decode()
    if not config.get("VAPID_SUBJECT"):
        host = urlsplit(config["PUBLIC_URL"]).hostname or "localhost"
        config["VAPID_SUBJECT"] = f"mailto:{config.get('COMPANY_EMAIL') or 'fieldapp@' + host}"


def apply_production_rules(config: dict) -> None:
    """Cookies only over HTTPS in production."""
    if config["ENV_NAME"] == "production":
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True
