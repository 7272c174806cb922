"""`make run` on a fresh database: migrates, loads demo data, serves, and a demo tech signs in."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldapp.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"make run exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def served(tmp_path, empty_database_url):
    port = free_port()
    env = {
        **os.environ,
        "FIELDAPP_DATABASE_URL": empty_database_url,
        "FIELDAPP_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "FIELDAPP_SECRET_KEY": "make-run-test",
    }
    log = (tmp_path / "make-run.log").open("w+")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}", f"VENV={sys.prefix}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/login", process)
        log.flush()
        yield base, (tmp_path / "make-run.log").read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


def test_make_run_serves_sign_in_and_a_demo_tech_signs_in(served):
    """Does `make run` print the demo sign-ins and let a demo tech sign in to Today?"""
    from fieldapp.demo.data import DEMO_PASSWORD, DEMO_USERS

    base, output = served
    tech = next(user for user in DEMO_USERS if user["role"] == "tech")
    for user in DEMO_USERS:
        assert user["email"] in output
    assert DEMO_PASSWORD in output

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {"email": tech["email"], "password": DEMO_PASSWORD, "csrf_token": token}
    ).encode()
    today = opener.open(f"{base}/login", data=form).read().decode()
    assert "<h1>Today</h1>" in today
    assert re.search(r'data-job="J-\d+"', today), "the demo tech should have jobs today"


def test_make_run_runs_the_mail_worker_beside_the_server(served, tmp_path, empty_database_url):
    """A service request sent to the served app is written to the log by the mail worker that
    `make run` started in the background (no SMTP host is set)."""
    base, _ = served
    engine = sa.create_engine(normalise_database_url(empty_database_url))
    with engine.connect() as connection:
        token = connection.execute(
            sa.text("SELECT token FROM qr_labels WHERE status = 'active' LIMIT 1")
        ).scalar_one()
    engine.dispose()
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/e/{token}").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {
            "name": "Carlos Mendez",
            "email": "carlos@riverwalk.example",
            "problem": "Paper jam on every roll change",
            "csrf_token": csrf,
        }
    ).encode()
    opener.open(f"{base}/e/{token}/request", data=form).read()
    log = tmp_path / "make-run.log"
    deadline = time.monotonic() + 90
    while "mail (no SMTP host) to carlos@riverwalk.example" not in log.read_text():
        assert time.monotonic() < deadline, "the mail worker did not write the message"
        time.sleep(0.5)
    assert "No SMTP host is set (FIELDAPP_SMTP_HOST)" in log.read_text()
