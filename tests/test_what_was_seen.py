"""The cases an office walkthrough found (issue 13, "What was seen" 3, 4, 6 and 7), each as
it was reproduced: every one failed before the input rules, formats and error pages were
made one. Runs on SQLite and, with FIELDAPP_TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import io
import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from fieldapp.customers import services as customer_services
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment, short_code
from fieldapp.equipment.services import replace_label
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.localtime import company_zone, local_today
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def customer_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Customer))


# -- 4: lengths ------------------------------------------------------------------------------


def test_a_customer_name_too_long_is_the_forms_error_not_a_500_or_saved(client, auth):
    """A 200-character name (PostgreSQL: "value too long", a 500) and a 5,000-character one
    (SQLite stored it): is each the form again with the name's message, nothing saved?"""
    auth.login("office")
    for name in ("N" * 200, "N" * 5000):
        response = client.post("/customers/new", data={"name": name})
        assert response.status_code == 422
        assert "Keep it to 160 characters or fewer." in page_text(response)
    assert customer_count() == 0


def test_a_phone_or_contact_too_long_is_refused_by_field(client, auth):
    """60-character phone, 200-character contact: refused with each field's message?"""
    auth.login("office")
    response = client.post(
        "/customers/new",
        data={"name": "Oakridge Survey", "phone": "5" * 60, "contact_name": "C" * 200},
    )
    assert response.status_code == 422
    text = page_text(response)
    assert "Keep it to 40 characters or fewer." in text
    assert "Keep it to 120 characters or fewer." in text
    assert customer_count() == 0


def test_the_customer_form_says_its_limits_before_submit(client, auth):
    """Does each field carry the column's length as maxlength?"""
    auth.login("office")
    html = client.get("/customers/new").get_data(as_text=True)
    for name, length in (("name", 160), ("contact_name", 120), ("phone", 40), ("email", 254)):
        assert re.search(rf'name="{name}"[^>]*maxlength="{length}"', html), name
    assert re.search(r'name="notes"[^>]*maxlength="5000"', html)


def test_a_serial_too_long_is_refused_on_the_plotter_form(client, auth):
    """A 100-character serial: the form's error, no plotter?"""
    auth.login("office")
    customer = factories.make_customer()
    response = client.post(
        "/plotters/new",
        data={
            "customer_id": customer.id,
            "make": "HP",
            "model": "DesignJet T830",
            "serial_number": "S" * 100,
        },
    )
    assert response.status_code == 422
    assert "Keep it to 40 characters or fewer." in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Equipment)) == 0


def test_a_caller_name_too_long_is_refused_not_cut_short(client, auth):
    """The intake form used to cut a long caller name silently; is it now the form's error?"""
    auth.login("office")
    customer = factories.make_customer()
    response = client.post(
        "/jobs/new",
        data={
            "target": f"customer:{customer.id}",
            "caller_name": "C" * 121,
            "problem": "Carriage stuck",
        },
    )
    assert response.status_code == 422
    assert "Keep it to 120 characters or fewer." in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


# -- 3: dates --------------------------------------------------------------------------------


def _assign(client, job, when: str):
    return client.post(
        f"/jobs/{job.id}/assign",
        data={"tech": str(job.assigned_to_id), "scheduled_for": when},
        follow_redirects=True,
    )


def test_a_job_far_from_now_is_refused_with_the_window(client, auth):
    """9999-12-31 (a 500 once), 1900-01-01 and three years ahead: each refused with the
    window, the job's time unchanged; next month is taken?"""
    auth.login("office")
    tech = factories.make_user("tech")
    job = factories.make_job(assigned_to_id=tech.id, status="scheduled")
    before = job.scheduled_for
    far = (datetime.now(UTC) + timedelta(days=3 * 365)).strftime("%Y-%m-%dT10:00")
    for when in ("9999-12-31T10:00", "1900-01-01T10:00", far):
        response = _assign(client, job, when)
        assert response.status_code == 200
        text = page_text(response)
        assert "Schedule the job between" in text or "Enter a date between" in text, when
        db.session.expire_all()
        assert db.session.get(Job, job.id).scheduled_for == before
    soon = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT10:00")
    _assign(client, job, soon)
    db.session.expire_all()
    assert db.session.get(Job, job.id).scheduled_for != before


def test_the_job_forms_say_the_window(client, auth):
    """Do the time inputs carry min and max, so the browser says it before submit?"""
    auth.login("office")
    html = client.get("/jobs/new").get_data(as_text=True)
    assert re.search(r'name="scheduled_for"[^>]*min="\d{4}-\d\d-\d\dT\d\d:\d\d"', html)
    assert re.search(r'name="scheduled_for"[^>]*max="\d{4}-\d\d-\d\dT\d\d:\d\d"', html)


def _plotter_form(customer, installed: str) -> dict:
    return {
        "customer_id": customer.id,
        "make": "HP",
        "model": "DesignJet T830",
        "serial_number": f"CN{installed.replace('-', '')}",
        "installed_on": installed,
    }


def test_a_plotter_installed_in_the_future_or_before_1990_is_refused(client, auth):
    """2099 was accepted: is it refused, and 1989 too, while 1995 and today are kept?"""
    auth.login("office")
    today = local_today(company_zone())
    customer = factories.make_customer()
    for installed in ("2099-01-01", "1989-12-31", (today + timedelta(days=1)).isoformat()):
        response = client.post("/plotters/new", data=_plotter_form(customer, installed))
        assert response.status_code == 422, installed
        assert "Enter an installation date from Jan 1, 1990 to today" in page_text(response)
    for installed in ("1995-06-01", today.isoformat()):
        response = client.post("/plotters/new", data=_plotter_form(customer, installed))
        assert response.status_code == 302, installed
    days = set(db.session.scalars(sa.select(Equipment.installed_on)))
    assert days == {date(1995, 6, 1), today}
    html = client.get("/plotters/new").get_data(as_text=True)
    assert re.search(rf'name="installed_on"[^>]*min="1990-01-01" max="{today}"', html)


def test_job_dates_in_another_year_carry_the_year(client, auth):
    """Job dates showed as "Wed Dec 31, 10:00" whatever the year: does one in another
    year say which?"""
    auth.login("office")
    tech = factories.make_user("tech")
    when = datetime.now(UTC) - timedelta(days=300)
    if when.year == datetime.now(UTC).year:
        when = datetime.now(UTC) + timedelta(days=400)
    job = factories.make_job(assigned_to_id=tech.id, status="scheduled", scheduled_for=when)
    text = page_text(client.get(f"/jobs/{job.id}"))
    assert f", {when.year}, " in text


# -- 7: numbers, weeks, labels, a photo too large --------------------------------------------


def test_a_one_day_report_says_1_day(client, auth):
    auth.login("office")
    text = page_text(client.get("/reports/first-time-fix?from=2026-03-02&to=2026-03-02"))
    assert "1 day" in text and "1 days" not in text


def test_weekly_csv_names_each_week_with_its_year(client, auth):
    """Weeks were "Dec 29", "Jan 5": does the CSV say which year each is?"""
    auth.login("office")
    csv = client.get("/reports/first-time-fix.csv?from=2025-12-29&to=2026-01-11")
    rows = csv.get_data(as_text=True).splitlines()
    assert rows[1].startswith('"Dec 29, 2025"')
    assert rows[2].startswith('"Jan 5, 2026"')


def test_the_replaced_label_page_shows_the_printed_code(client, auth):
    """It said "A8RJZJFP"; the label says "PM-A8RJ-ZJFP"."""
    plotter = factories.make_equipment()
    old = plotter.qr_token
    factories.committed(replace_label, plotter, revoke_old=True, actor_id=None)
    auth.login("tech")
    text = page_text(client.get(f"/e/{old}"))
    assert short_code(old) in text


def test_a_photo_too_large_answers_a_page_that_keeps_the_typed_text(app, client):
    """A 20 MB photo gave a 413 with only "Go to the start page": does the page say the
    limit and go back to the form (history back keeps what was typed)?"""
    app.config["MAX_CONTENT_LENGTH"] = 100 * 1024  # small: the body stays in memory
    plotter = factories.make_equipment()
    form = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert re.search(r'name="photo"[^>]*data-max-bytes="\d+"', form)
    response = client.post(
        f"/e/{plotter.qr_token}/request",
        data={
            "name": "Dana Ruiz",
            "phone": "555 0101",
            "problem": "Streaks on every print",
            "photo": (io.BytesIO(b"\xff" * (200 * 1024)), "big.jpg"),
        },
        content_type="multipart/form-data",
        headers={"Referer": f"http://fieldapp.test/e/{plotter.qr_token}"},
    )
    assert response.status_code == 413
    text = page_text(response)
    assert "at most <strong>100 KB</strong>" in text
    assert "what you typed is still in the form" in text
    assert re.search(
        rf'href="http://fieldapp.test/e/{plotter.qr_token}" data-history-back>Back to the form',
        text,
    )


def test_the_browser_checks_the_photo_size_before_sending():
    """The script that refuses a file over data-max-bytes is in the module every page loads."""
    script = (ROOT / "static/js/app.js").read_text()
    assert "input[type=file][data-max-bytes]" in script and "history.back()" in script


# -- 6: a long URL in a card -----------------------------------------------------------------


def test_cards_and_threads_break_long_words():
    """A URL in a problem widened its board card over the next column."""
    css = (ROOT / "static/css/app.css").read_text()
    rule = re.search(r"\.card, \.item, \.thread[^{]*\{([^}]*)\}", css)
    assert rule and "overflow-wrap: anywhere" in rule.group(1) and "min-width: 0" in rule.group(1)


# -- any unexpected error --------------------------------------------------------------------


def test_an_unexpected_error_names_its_request_in_page_header_and_log(
    app, client, auth, monkeypatch, caplog
):
    """Does the friendly page give a request id that the log line and the header carry too?"""
    auth.login("office")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def create_customer(values, *, actor_id):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(customer_services, "create_customer", create_customer)
    with caplog.at_level(logging.ERROR):
        response = client.post("/customers/new", data={"name": "Oakridge Survey"})
    assert response.status_code == 500
    request_id = response.headers["X-Request-Id"]
    assert re.fullmatch(r"[0-9a-f]{12}", request_id)
    text = page_text(response)
    assert "Something went wrong on our side" in text and request_id in text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and "the disk is full" in (logged[0].exc_text or str(logged[0].exc_info))


def test_an_error_page_that_fails_is_not_a_second_error(app, client, auth, monkeypatch):
    """When the database is gone even for the error page's navigation, is the answer still
    a page with the request id (was: PendingRollbackError, a bare 500)?"""
    from fieldapp import templating

    auth.login("office")
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def create_customer(values, *, actor_id):
        raise RuntimeError("boom")

    def navigation():
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(customer_services, "create_customer", create_customer)
    monkeypatch.setattr(templating, "navigation", navigation)
    response = client.post("/customers/new", data={"name": "Oakridge Survey"})
    assert response.status_code == 500
    text = page_text(response)
    assert "Something went wrong" in text
    assert f"Request id: <code>{response.headers['X-Request-Id']}</code>" in text  # the bare page


def test_an_api_error_carries_the_request_id(app, client, auth, monkeypatch):
    from fieldapp.auth import api as auth_api

    app.config["PROPAGATE_EXCEPTIONS"] = False
    auth.login("tech")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(auth_api, "jsonify", broken)
    response = client.get("/api/v1/me")
    assert response.status_code == 500
    assert response.json["error"]["request_id"] == response.headers["X-Request-Id"]
