"""Schemathesis against the API's own OpenAPI document, signed in as a tech and as the office:
whatever it sends, the server never answers 500 and never with a status the document leaves
out. A bounded run (FIELDAPP_FUZZ_SECONDS, 60 by default) on each database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import requests

from tests import factories
from tests.conftest import make_test_app
from tests.live import LiveServer
from tests.scenarios import make_site

SECONDS = int(os.environ.get("FIELDAPP_FUZZ_SECONDS", "60"))


@pytest.fixture
def served(tmp_path, postgres_schema):
    """The app with CSRF on, served over HTTP, with a site to work on."""
    app = make_test_app(tmp_path, postgres_schema, WTF_CSRF_ENABLED=True)
    with app.app_context():
        site = make_site()
        office = factories.make_user("office")
        people = {"tech": site.tech.email, "office": office.email}
    server = LiveServer(app).start()
    yield server.url, people
    server.stop()


def signed_in_headers(url: str, email: str) -> list[str]:
    """The cookie and CSRF header of a fresh session, as schemathesis sends them."""
    with requests.Session() as session:
        page = session.get(f"{url}/login").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        session.post(
            f"{url}/login",
            data={"email": email, "password": factories.PASSWORD, "csrf_token": token},
        )
        page = session.get(f"{url}/more").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        cookie = "; ".join(f"{name}={value}" for name, value in session.cookies.items())
    return ["-H", f"Cookie: {cookie}", "-H", f"X-CSRFToken: {token}"]


@pytest.mark.parametrize("role", ["tech", "office"])
def test_the_api_answers_only_what_it_documents(served, role, tmp_path):
    url, people = served
    report = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{url}/api/v1/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance",
        "--max-time",
        str(SECONDS),
        "--seed",
        "1042",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--no-color",
        *signed_in_headers(url, people[role]),
    ]
    # Run from the test's folder: schemathesis keeps its cache of crashes in the working one.
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=SECONDS * 4 + 120, cwd=tmp_path
    )
    summary = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, summary
    if report.exists():
        assert json.loads(report.read_text()), summary
