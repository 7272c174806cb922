"""Finding any job: by its number (the address, Scan, the search box), in the list of every
job ever (filters, sorting, pages, CSV), and from its customer's and plotter's pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.public.models import ServiceRequest
from tests import factories
from tests.sql import count_queries


@pytest.fixture
def jobs():
    """Three customers' jobs: open, done long ago (off the board), cancelled, unassigned."""
    tech = factories.make_user("tech", name="Sam Rivera")
    other = factories.make_user("tech", name="Lee Chen")
    oak = factories.make_customer(name="Okonkwo + Reyes Architects")
    bay = factories.make_customer(name="Baywater Print Studio")
    plotter = factories.make_equipment(oak, model="DesignJet T1700", serial_number="CN7711A0B2")
    old = datetime.now(UTC) - timedelta(days=200)
    made = {
        "open": factories.make_job(equipment=plotter, assigned_to_id=tech.id, status="scheduled"),
        "done": factories.make_job(
            equipment=plotter,
            assigned_to_id=other.id,
            status="done",
            closed_at=old,
            created_at=old,
            scheduled_for=old,
            priority="urgent",
        ),
        "bay": factories.make_job(
            bay, status="new", scheduled_for=None, problem="=cmd|' /C calc'!A0"
        ),
        "cancelled": factories.make_job(bay, status="cancelled", assigned_to_id=other.id),
    }
    return {"tech": tech, "other": other, "oak": oak, "baywater": bay, "plotter": plotter, **made}


def _numbers(page: str) -> list[str]:
    return re.findall(r"<strong>(J-\d+)</strong></a><div", page)


def listed(response) -> list[str]:
    return _numbers(response.get_data(as_text=True))


def test_a_job_number_is_an_address(client, auth, jobs):
    auth.login("office")
    job = jobs["done"]
    for typed in (job.number, job.number.lower(), job.number.replace("-", "")):
        response = client.get(f"/jobs/{typed}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    assert client.get("/jobs/J-999999").status_code == 404
    assert client.get("/jobs/J-1x").status_code == 404


def test_scan_takes_a_job_number(client, auth, jobs):
    job = jobs["open"]
    auth.login("office")
    response = client.get("/scan", query_string={"code": job.number})
    assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    client.post("/logout")
    client.post("/login", data={"email": jobs["tech"].email, "password": factories.PASSWORD})
    response = client.get("/scan", query_string={"code": job.number.lower()})
    assert response.headers["Location"].endswith(f"/e/{jobs['plotter'].qr_token}")
    # A job with no plotter on file: a tech is told so, not sent to a page they may not open.
    response = client.get("/scan", query_string={"code": jobs["bay"].number})
    assert response.status_code == 422
    assert "has no plotter on file yet" in response.get_data(as_text=True)
    response = client.get("/scan", query_string={"code": "J-999999"})
    assert response.status_code == 422
    assert "not a FieldApp label code or job number" in response.get_data(as_text=True)


def test_every_job_ever_is_listed_newest_first(client, auth, jobs):
    auth.login("office")
    numbers = listed(client.get("/jobs/all"))
    assert numbers == [jobs[k].number for k in ("cancelled", "bay", "done", "open")]
    # The board shows done jobs for a week only; the list still has the one from 200 days ago.
    assert jobs["done"].number not in client.get("/jobs").get_data(as_text=True)


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"status": "done"}, ["done"]),
        ({"status": "open"}, ["bay", "open"]),
        ({"tech": "none"}, ["bay"]),
        ({"customer": "okonkwo reyes"}, ["done", "open"]),
        ({"priority": "urgent"}, ["done"]),
        ({"sort": "number"}, ["open", "done", "bay", "cancelled"]),
        ({"sort": "-closed", "status": "done"}, ["done"]),
    ],
)
def test_the_list_filters_and_sorts(client, auth, jobs, args, expected):
    auth.login("office")
    assert listed(client.get("/jobs/all", query_string=args)) == [jobs[k].number for k in expected]


def test_the_list_filters_by_tech_plotter_and_dates(client, auth, jobs):
    auth.login("office")
    assert listed(client.get(f"/jobs/all?tech={jobs['other'].id}")) == [
        jobs["cancelled"].number,
        jobs["done"].number,
    ]
    by_plotter = client.get(f"/jobs/all?plotter_id={jobs['plotter'].id}")
    assert listed(by_plotter) == [jobs["done"].number, jobs["open"].number]
    assert "Plotter: " in by_plotter.get_data(as_text=True)
    since = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    assert jobs["done"].number not in listed(client.get(f"/jobs/all?from={since}"))
    back = (datetime.now(UTC) - timedelta(days=201)).date().isoformat()
    until = (datetime.now(UTC) - timedelta(days=199)).date().isoformat()
    assert listed(client.get(f"/jobs/all?from={back}&to={until}")) == [jobs["done"].number]


def test_a_bad_date_is_said_and_the_list_still_answers(client, auth, jobs):
    auth.login("office")
    response = client.get("/jobs/all?from=2026-13-45&to=2020-01-01")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="f-from-error"' in page
    assert len(_numbers(page)) == 0  # "to" 2020 still applies: nothing opened before it
    reversed_range = client.get("/jobs/all?from=2026-06-01&to=2026-01-01").get_data(as_text=True)
    assert "Choose an end date on or after the start date." in reversed_range


def test_the_list_pages(client, auth, app):
    customer = factories.make_customer()
    for _ in range(55):
        db.session.add(Job(customer_id=customer.id, problem="Banding"))
    db.session.commit()
    auth.login("office")
    first = client.get("/jobs/all").get_data(as_text=True)
    assert len(_numbers(first)) == 50 and "Page 1 of 2" in first
    assert len(_numbers(client.get("/jobs/all?page=2").get_data(as_text=True))) == 5


def test_the_csv_has_every_filtered_job_and_no_formula(client, auth, jobs):
    auth.login("office")
    response = client.get("/jobs/all.csv?customer=baywater&sort=number")
    assert response.mimetype == "text/csv"
    assert "attachment;" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["job", "status", "priority"]
    assert [row[0] for row in rows[1:]] == [jobs["bay"].number, jobs["cancelled"].number]
    assert rows[1][-1] == "'=cmd|' /C calc'!A0"  # a formula typed by a caller stays text


def test_customer_and_plotter_pages_list_their_jobs_with_new_job(client, auth, jobs):
    auth.login("office")
    oak, plotter = jobs["oak"], jobs["plotter"]
    page = client.get(f"/customers/{oak.id}").get_data(as_text=True)
    assert jobs["open"].number in page and jobs["done"].number in page
    assert jobs["bay"].number not in page
    assert f'href="/jobs/new?target=customer:{oak.id}"' in page
    assert f'href="/jobs/all?customer_id={oak.id}"' in page
    page = client.get(f"/e/{plotter.qr_token}").get_data(as_text=True)
    assert jobs["done"].number in page  # done 200 days ago, still in the plotter's jobs
    assert f'href="/jobs/new?target=equipment:{plotter.id}"' in page
    new = client.get(f"/jobs/new?target=equipment:{plotter.id}").get_data(as_text=True)
    assert f'value="equipment:{plotter.id}" checked' in new


def test_a_tech_sees_no_job_list_on_the_plotter_page(client, jobs):
    client.post("/login", data={"email": jobs["tech"].email, "password": factories.PASSWORD})
    page = client.get(f"/e/{jobs['plotter'].qr_token}").get_data(as_text=True)
    assert jobs["done"].number not in page
    assert "/jobs/new" not in page


def _search(client, text: str) -> str:
    return client.get("/search", query_string={"q": text, "fragment": "1"}).get_data(as_text=True)


def test_search_finds_job_numbers_first(client, auth, jobs):
    auth.login("office")
    job = jobs["done"]
    number = job.number.removeprefix("J-")
    for typed in (job.number, number, f" j{number} "):
        found = _search(client, typed)
        first = found.index('role="option"')
        assert f'data-href="/jobs/{job.id}"' in found[first : first + 200]


def test_search_finds_customers_word_by_word(client, auth, jobs):
    auth.login("office")
    found = _search(client, "Okonkwo Reyes")
    assert f'data-href="/customers/{jobs["oak"].id}"' in found
    assert f'data-href="/customers/{jobs["baywater"].id}"' not in found
    assert f'data-href="/customers/{jobs["oak"].id}"' in _search(client, "reyes okon")


def test_search_finds_plotters_by_label_code_serial_and_model(client, auth, jobs):
    plotter = jobs["plotter"]
    auth.login("office")
    for typed in (plotter.short_code, plotter.short_code.replace("-", "").lower(), "cn7711a0b2"):
        found = _search(client, typed)
        assert found.count('role="option"') >= 1
        first = found.index('role="option"')
        assert f'data-href="/e/{plotter.qr_token}"' in found[first : first + 300]
    assert f'data-href="/e/{plotter.qr_token}"' in _search(client, "designjet 1700")


def test_search_finds_parts_and_requests(client, auth, jobs):
    part = factories.make_part(name="Carriage belt 44in", manufacturer_part_number="CR357-67040")
    sent = ServiceRequest(
        reference="SR-7K3Q9X",
        equipment_id=jobs["plotter"].id,
        name="Ada Okafor",
        phone="555-0142",
        problem="Streaks",
    )
    db.session.add(sent)
    db.session.commit()
    auth.login("office")
    assert f"/parts/{part.sku}" in _search(client, "cr357-67040")
    found = _search(client, "sr-7k3q9x")
    assert "SR-7K3Q9X" in found and f"#sr-{sent.id}" in found
    assert "SR-7K3Q9X" in _search(client, "ada okafor")


def test_search_escapes_and_says_when_nothing_matches(client, auth, jobs):
    auth.login("office")
    found = _search(client, "<script>zzz</script>")
    assert "Nothing matches" in found and "<script>zzz" not in found
    assert "Nothing matches" in _search(client, "%_%")
    page = client.get("/search", query_string={"q": "baywater"})
    assert page.status_code == 200 and "Baywater Print Studio" in page.get_data(as_text=True)


def test_search_and_the_list_cost_the_same_queries_for_few_and_many(client, auth, jobs):
    auth.login("office")

    def cost() -> tuple[int, int, int]:
        counts = []
        for url in ("/search?q=a&fragment=1", "/jobs/all", f"/customers/{jobs['oak'].id}"):
            db.session.expire_all()
            with count_queries() as statements:
                assert client.get(url).status_code == 200
            counts.append(len(statements))
        return tuple(counts)

    few = cost()
    for n in range(30):
        plotter = factories.make_equipment(jobs["oak"], serial_number=f"SNA{n:04d}")
        factories.make_job(equipment=plotter, assigned_to_id=jobs["tech"].id)
        factories.make_part(name=f"Spare a{n}")
    assert cost() == few
