"""Each report on a hand-built business (tests/office/dataset.py) gives exactly the numbers
worked out by hand, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import sqlalchemy as sa

from fieldapp.csvfile import safe_cell
from fieldapp.customers.models import Customer
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.office import reports
from fieldapp.office.reports import DateRange
from tests.office.dataset import CHICAGO, build

MARCH = DateRange(date(2026, 3, 2), date(2026, 3, 22))  # three weeks, Monday to Sunday


@pytest.fixture
def business(app):
    return build()


def test_weeks_follow_local_monday_across_the_dst_change():
    """Are weeks Monday to Sunday in Chicago time, including the one where clocks go forward?"""
    weeks = MARCH.weeks(CHICAGO)
    assert [w.label for w in weeks] == ["Mar 2, 2026", "Mar 9, 2026", "Mar 16, 2026"]
    assert weeks[0].start.isoformat() == "2026-03-02T06:00:00+00:00"  # CST
    assert weeks[1].start.isoformat() == "2026-03-09T05:00:00+00:00"  # CDT after Mar 8
    assert weeks[2].end.isoformat() == "2026-03-23T05:00:00+00:00"


def test_ranges_clip_the_first_and_last_bucket():
    """Does a range starting mid-week and mid-month count only its own days?"""
    span = DateRange(date(2026, 2, 25), date(2026, 3, 4))
    assert [(w.label, w.first_day.isoformat()) for w in span.weeks(CHICAGO)] == [
        ("Feb 25, 2026", "2026-02-25"),
        ("Mar 2, 2026", "2026-03-02"),
    ]
    assert [m.label for m in span.months(CHICAGO)] == ["Feb 2026", "Mar 2026"]


def test_first_time_fix_rate(business):
    """Week 1: J1 done on its one visit. Week 2: J2 took two visits; J3 is preventive and left
    out. Week 3: J4 done on one visit; J5 closed by phone has no visit, so is left out.
    2 of 3 = 66.7%."""
    report = reports.first_time_fix(MARCH, CHICAGO)
    assert report.rows == [
        ["Mar 2, 2026", 1, 1, 100.0],
        ["Mar 9, 2026", 1, 0, 0.0],
        ["Mar 16, 2026", 1, 1, 100.0],
    ]
    assert report.total == ["All weeks", 3, 2, 66.7]
    assert ("First-time-fix rate", "66.7%") in report.headline


def test_mean_time_to_resolve(business):
    """J1 158.5 h (Mar 2 08:00 CST to Mar 8 23:30 CDT), J2 143 h (the clocks moved an hour),
    J4 12 h, J5 2 h; preventive J3, open J7 and cancelled J8 are left out. Mean 78.875 h."""
    report = reports.time_to_resolve(MARCH, CHICAGO)
    assert report.rows == [
        ["Mar 2, 2026", 1, 158.5, 158.5],
        ["Mar 9, 2026", 1, 143.0, 143.0],
        ["Mar 16, 2026", 2, 7.0, 12.0],
    ]
    assert report.total == ["All weeks", 4, 78.9, 158.5]


def test_jobs_per_tech_per_week(business):
    """Done jobs (every kind) by their tech: Sam J1, J3, J4; Priya J2, J5."""
    report = reports.jobs_per_tech(MARCH, CHICAGO)
    assert [c.title for c in report.columns] == [
        "Tech",
        "Mar 2, 2026",
        "Mar 9, 2026",
        "Mar 16, 2026",
        "Total",
    ]
    assert report.rows == [["Priya Natarajan", 0, 1, 1, 2], ["Sam Okafor", 1, 1, 1, 3]]
    assert report.total == ["All techs", 1, 2, 2, 5]


def test_parts_cost_per_customer_per_month(business):
    """Acme: Feb belt $69; Mar two heads $498 + belt $69. Birch: Mar belt at $50 (its cost
    then) + belt $69 + the belt used late on March 31 (April in UTC) $69. A use without a
    visit and a receipt are not charged to anyone."""
    span = DateRange(date(2026, 2, 1), date(2026, 3, 31))
    report = reports.parts_cost(span, CHICAGO)
    assert [c.title for c in report.columns] == ["Customer", "Feb 2026", "Mar 2026", "Total"]
    assert report.rows == [
        ["Acme Architects", 6900, 56700, 63600],
        ["Birch Builders", 0, 18800, 18800],
    ]
    assert report.total == ["All customers", 6900, 75500, 82400]


def test_repeat_failures_by_model(business):
    """HP T830: A1 broke Mar 8, 16 days after Feb 20 (repeat); A2 broke Mar 5 (its Mar 10
    visit is the same job) and again Mar 21 (repeat). Canon TM-300: Mar 11 was preventive,
    Mar 16 a breakdown, Mar 20 again (repeat). The retired T830 is not in service."""
    report = reports.repeat_failures(MARCH, CHICAGO)
    assert report.rows == [
        ["HP DesignJet T830", 2, 3, 2, 66.7],
        ["Canon imagePROGRAF TM-300", 1, 2, 1, 50.0],
    ]
    assert report.total == ["All models", 3, 5, 3, 60.0]


def test_owner_load(business):
    """Week 1: Frank opened J1, answered, converted a request; Maria assigned. Week 2: Maria
    opened and assigned, Frank assigned and dismissed a request, Maria answered twice. Week 3:
    Maria and a tech opened jobs, Frank and Maria answered once each, Maria converted."""
    report = reports.owner_load(MARCH, CHICAGO)
    assert report.rows == [
        ["Mar 2, 2026", 1, 1, 1, 0, 1, 0, 75.0],
        ["Mar 9, 2026", 1, 2, 0, 2, 1, 0, 33.3],
        ["Mar 16, 2026", 0, 2, 1, 1, 0, 1, 20.0],
    ]
    assert report.total == ["All weeks", 2, 5, 2, 3, 2, 1, 40.0]
    assert ("First week → last week", "75% → 20%") in report.headline


def test_report_page_shows_chart_table_and_range(client, auth, business):
    """Does a report page draw an SVG chart, the table and the chosen range?"""
    auth.login("office")
    html = client.get("/reports/owner-load?from=2026-03-02&to=2026-03-22").get_data(as_text=True)
    assert '<svg class="chart"' in html and "<title>Owner load by week</title>" in html
    assert 'value="2026-03-02"' in html and 'value="2026-03-22"' in html
    assert "75.0%" in html and "40.0%" in html


def test_csv_export_has_plain_numbers(client, auth, business):
    """Is the CSV a spreadsheet can read: a header with units, dollars, and the total row?"""
    auth.login("admin")
    response = client.get("/reports/parts-cost.csv?from=2026-02-01&to=2026-03-31")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "parts-cost_2026-02-01_2026-03-31.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows == [
        ["Customer", "Feb 2026 (USD)", "Mar 2026 (USD)", "Total (USD)"],
        ["Acme Architects", "69.00", "567.00", "636.00"],
        ["Birch Builders", "0.00", "188.00", "188.00"],
        ["All customers", "69.00", "755.00", "824.00"],
    ]


def test_every_report_page_and_csv_answers(client, auth, business):
    auth.login("office")
    assert "Owner load" in client.get("/reports").get_data(as_text=True)
    for slug in reports.REPORTS:
        assert client.get(f"/reports/{slug}?from=2026-03-02&to=2026-03-22").status_code == 200
        assert client.get(f"/reports/{slug}.csv?from=2026-03-02&to=2026-03-22").status_code == 200


def test_bad_dates_are_explained(client, auth, business):
    """Is a wrong range explained, with the default range shown instead of an error page?"""
    auth.login("office")
    response = client.get("/reports/first-time-fix?from=2026-03-22&to=2026-03-02")
    assert response.status_code == 422
    assert "The start date is after the end date." in response.get_data(as_text=True)
    assert client.get("/reports/first-time-fix.csv?from=March").status_code == 422
    with pytest.raises(Invalid):
        reports.parse_range("2020-01-01", "2026-01-01", date(2026, 3, 1))


def test_empty_range_has_an_empty_state(client, auth, app):
    auth.login("office")
    html = client.get("/reports/repeat-failures?from=2026-03-02&to=2026-03-22").get_data(
        as_text=True
    )
    assert "Nothing in this range" in html


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, auth, business):
    """A customer named like a formula (anyone who claims a label can name a plotter): is the
    CSV cell plain text to a spreadsheet, while numbers stay numbers?"""
    acme = db.session.scalar(sa.select(Customer).where(Customer.name == "Acme Architects"))
    acme.name = '=HYPERLINK("http://evil.example","Acme")'
    db.session.commit()
    auth.login("admin")
    response = client.get("/reports/parts-cost.csv?from=2026-02-01&to=2026-03-31")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert ['\'=HYPERLINK("http://evil.example","Acme")', "69.00", "567.00", "636.00"] in rows


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tstart", "'\tstart"),
        ("\rstart", "'\rstart"),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("HP DesignJet", "HP DesignJet"),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell(value, written):
    assert safe_cell(value) == written
