"""Every test here runs its app against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import pytest

from fieldapp.extensions import db
from tests.conftest import make_test_app
from tests.mail import SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def app(tmp_path, postgres_schema, smtp):
    app = make_test_app(
        tmp_path,
        postgres_schema,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER="office@precision.example",
        MAIL_TIMEOUT=5,
    )
    with app.app_context():
        yield app
        db.session.remove()
