"""Error pages in the layout, and the pages that every role starts from."""

from __future__ import annotations

from tests import factories


def test_404_page_is_in_the_layout(client, auth):
    auth.login("tech")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Page not found" in html
    assert 'class="bottomnav"' in html


def test_403_page_is_in_the_layout(client, auth):
    auth.login("tech")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Not for your role" in response.get_data(as_text=True)


def test_500_page_hides_the_error(app, client, auth):
    from fieldapp.auth.access import STAFF, allow

    @allow(STAFF)
    def broken():
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", "broken", broken)
    auth.login("tech")
    response = client.get("/broken")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert "secret internals" not in html


def test_today_lists_only_my_open_jobs_most_urgent_first(client, auth):
    """Does Today show a tech their open jobs (urgent first) and nobody else's or closed ones?"""
    tech = auth.login("tech")
    other = factories.make_user("tech")
    customer = factories.make_customer(name="Northgate Architects")
    plotter = factories.make_equipment(customer, model="imagePROGRAF TM-300", make="Canon")
    normal = factories.make_job(customer, assigned_to_id=tech.id, priority="normal")
    urgent = factories.make_job(
        customer, equipment=plotter, assigned_to_id=tech.id, priority="urgent"
    )
    done = factories.make_job(customer, assigned_to_id=tech.id, status="done")
    theirs = factories.make_job(customer, assigned_to_id=other.id)
    html = client.get("/").get_data(as_text=True)
    assert urgent.number in html and normal.number in html
    assert html.index(urgent.number) < html.index(normal.number)
    assert done.number not in html and theirs.number not in html
    assert "imagePROGRAF TM-300" in html
    assert "Northgate Architects" in html


def test_today_empty_state(client, auth):
    auth.login("tech")
    assert "No open jobs" in client.get("/").get_data(as_text=True)


def test_office_home_shows_open_jobs_and_activity(client, auth):
    auth.login("office")
    job = factories.make_job(status="waiting_parts")
    from fieldapp.activity.services import record_event
    from fieldapp.extensions import db

    record_event("job.created", "job", job.id, "Created J-TEST for a banding fault", actor_id=None)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert job.number in html
    assert "Created J-TEST for a banding fault" in html


def test_office_home_empty_states(client, auth):
    auth.login("office")
    html = client.get("/").get_data(as_text=True)
    assert "No open jobs" in html and "No activity yet" in html


def test_tech_nav_and_office_nav_differ(client, auth):
    """Do techs get the bottom nav and office users the side nav with admin-only Users hidden?"""
    auth.login("tech")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/admin/users"' not in html
    auth.logout()
    auth.login("admin")
    assert 'href="/admin/users"' in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("office")
    assert 'href="/admin/users"' not in client.get("/").get_data(as_text=True)
