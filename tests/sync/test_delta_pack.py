"""GET /api/v1/pack?since=<cursor>: only what changed since the phone's pack."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from fieldapp.dbtypes import utcnow
from fieldapp.equipment.services import set_equipment_status
from fieldapp.extensions import db
from fieldapp.jobs.services import assign_job, change_job_status
from fieldapp.sops.services import retire_sop
from fieldapp.sync.changes import PRUNE_AFTER, PRUNE_EVERY
from fieldapp.sync.cursor import IN_FLIGHT, Cursor, parse_cursor
from fieldapp.sync.models import PackChange
from tests import factories
from tests.conftest import make_test_app
from tests.sql import count_queries
from tests.test_migrations import migrating_app


def sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def age_log() -> None:
    """Move what the log holds an hour back, as if written long before."""
    for change in db.session.scalars(sa.select(PackChange)):
        change.changed_at -= timedelta(hours=1)
    db.session.commit()


def full_pack(client) -> dict:
    """The full pack, read as a phone would long after the test's setup was written (else
    the setup, within IN_FLIGHT of the read, comes again in the first delta)."""
    age_log()
    response = client.get("/api/v1/pack")
    assert response.status_code == 200 and response.json["delta"] is False
    return response.json


def delta(client, cursor: str):
    response = client.get("/api/v1/pack", query_string={"since": cursor})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_a_new_visit_on_another_techs_plotter_is_a_small_delta(client, site):
    """One new visit anywhere reaches the phone as that one plotter, a few KB, whatever the
    number of plotters."""
    sign_in(client, site.tech)
    for _ in range(200):
        plotter = factories.make_equipment()
        factories.make_visit(plotter, site.tech, commit=False)
    db.session.commit()
    other_tech = factories.make_user("tech", name="Ines Duarte")
    theirs = factories.make_equipment(model="imagePROGRAF TM-300", make="Canon")
    age_log()
    full = client.get("/api/v1/pack")
    assert full.json["delta"] is False and len(full.json["equipment"]) == 202
    factories.make_visit(theirs, other_tech, summary="Cleaned the head", meter=4321)
    answer = delta(client, full.json["cursor"])
    body = answer.json
    assert body["delta"] is True and body["cursor"] != full.json["cursor"]
    [record] = body["equipment"]
    assert record["id"] == theirs.id and record["token"] == theirs.qr_token
    assert [v["summary"] for v in record["last_visits"]] == ["Cleaned the head"]
    assert record["last_meter"]["value"] == 4321
    assert body["jobs"] == [] and body["sops"] == [] and body["parts"] == [] and "van" not in body
    assert body["removed"] == {"equipment": [], "jobs": [], "sops": [], "parts": []}
    # The whole record, as the full pack had it (plus the new visit).
    before = next(item for item in full.json["equipment"] if item["id"] == theirs.id)
    assert set(record) == set(before)
    assert len(answer.data) < 4000, len(answer.data)
    assert len(full.data) > 20 * len(answer.data)


def test_a_delta_holds_what_changed_and_removed(client, site, app):
    """A retired plotter, a closed job, a job given to another tech and a retired SOP are in
    "removed"; the plotters they touch come again whole."""
    sign_in(client, site.tech)
    other = factories.make_user("tech", name="Ines Duarte")
    second_plotter = factories.make_equipment(site.plotter.customer)
    second_job = factories.make_job(
        site.plotter.customer,
        equipment=second_plotter,
        assigned_to_id=site.tech.id,
        status="scheduled",
    )
    factories.make_visit(second_plotter, other)
    going = factories.make_equipment()
    start = full_pack(client)
    assert {job["number"] for job in start["jobs"]} == {site.job.number, second_job.number}
    assert "history" in _by_id(start)[second_plotter.id]

    factories.committed(set_equipment_status, going, "retired", actor_id=site.tech.id)
    factories.committed(change_job_status, site.job, "cancelled", actor_id=None)
    factories.committed(assign_job, second_job, other.id, None, None)
    factories.committed(retire_sop, site.version.sop, actor_id=None)
    body = delta(client, start["cursor"]).json
    assert body["delta"] is True
    assert body["removed"]["equipment"] == [going.id]
    assert sorted(body["removed"]["jobs"]) == sorted([site.job.number, second_job.number])
    assert body["removed"]["sops"] == [site.version.sop.id]
    assert body["jobs"] == [] and body["job_order"] == []
    records = _by_id(body)
    # Both job plotters come again: no longer open jobs of mine, so no full history.
    assert set(records) == {site.plotter.id, second_plotter.id}
    assert records[site.plotter.id]["open_jobs"] == []
    assert records[second_plotter.id]["open_jobs"] == [second_job.number]
    assert "history" not in records[second_plotter.id]
    assert f"/e/{second_plotter.qr_token}" not in body["urls"]


def test_a_job_given_to_the_tech_arrives_with_its_plotters_history(client, site):
    sign_in(client, site.tech)
    plotter = factories.make_equipment()
    factories.make_visit(plotter, site.tech, summary="Old visit")
    job = factories.make_job(plotter.customer, equipment=plotter, status="new")
    start = full_pack(client)
    factories.committed(assign_job, job, site.tech.id, None, None)
    body = delta(client, start["cursor"]).json
    assert [item["number"] for item in body["jobs"]] == [job.number]
    assert set(body["job_order"]) == {site.job.number, job.number}
    [record] = body["equipment"]
    assert record["id"] == plotter.id and [v["summary"] for v in record["history"]] == ["Old visit"]
    assert f"/e/{plotter.qr_token}" in body["urls"]


def test_van_and_parts_changes_reach_the_delta(client, site):
    sign_in(client, site.tech)
    start = full_pack(client)
    factories.stock(site.belt, site.van, 5)
    site.belt.name = "Carriage belt 24in (kit)"
    site.head.active = False
    db.session.commit()
    body = delta(client, start["cursor"]).json
    assert {line["sku"]: line["quantity"] for line in body["van"]}["CR357-67010"] == 8
    assert [part["name"] for part in body["parts"]] == ["Carriage belt 24in (kit)"]
    assert body["removed"]["parts"] == [site.head.id]


def test_no_change_is_an_empty_delta(client, site):
    sign_in(client, site.tech)
    start = full_pack(client)
    body = delta(client, start["cursor"]).json
    assert body["delta"] is True
    assert (body["equipment"], body["jobs"], body["sops"], body["parts"]) == ([], [], [], [])
    assert body["removed"] == {"equipment": [], "jobs": [], "sops": [], "parts": []}


def test_a_too_old_cursor_gets_a_full_pack(client, site):
    sign_in(client, site.tech)
    cursor = parse_cursor(full_pack(client)["cursor"])
    old = Cursor(cursor.last_id, cursor.anchor, cursor.read_at - timedelta(days=31))
    body = delta(client, str(old)).json
    assert body["delta"] is False and len(body["equipment"]) == 1 and body["sops"]


def test_a_cursor_of_another_database_gets_a_full_pack(client, site, tmp_path, postgres_schema):
    sign_in(client, site.tech)
    cursor = parse_cursor(full_pack(client)["cursor"])
    # The same id at another time: another database's log (or this one emptied since).
    elsewhere = Cursor(cursor.last_id, cursor.anchor + 1, cursor.read_at)
    assert delta(client, str(elsewhere)).json["delta"] is False
    beyond = Cursor(cursor.last_id + 1000, cursor.anchor, cursor.read_at)
    assert delta(client, str(beyond)).json["delta"] is False
    # A cursor of an older pack format (a phone from before an update).
    old_format = "p0r1." + str(cursor).split(".", 1)[1]
    assert delta(client, old_format).json["delta"] is False


@pytest.mark.parametrize(
    "since", ["", "yesterday", "p1r3.12", "p1r3.1.2.x", "../../etc", "p1r3.-1.2.3", "9" * 90]
)
def test_a_malformed_cursor_is_a_400(client, site, since):
    sign_in(client, site.tech)
    response = client.get("/api/v1/pack", query_string={"since": since})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "bad_request" and "since" in error["fields"]
    assert "cursor" in error["message"]


def test_a_change_committed_late_is_not_lost(tmp_path, postgres_schema):
    """A transaction in flight while the phone reads its pack (its change logged under a
    lower id than one committed meanwhile) still reaches the next delta."""
    app = make_test_app(tmp_path, postgres_schema)
    with app.app_context():
        tech = SimpleNamespace(id=factories.make_user("tech", email="late@example.com").id)
        slow = SimpleNamespace(id=factories.make_equipment().id)
        quick = SimpleNamespace(id=factories.make_equipment().id)
        client = app.test_client()
        sign_in(client, SimpleNamespace(email="late@example.com"))
        start = full_pack(client)
        dialect = db.engine.dialect.name
        db.session.remove()
    if dialect == "sqlite":
        # One writer at a time there (commits come in id order): the same case by hand.
        with app.app_context():
            _late_commit_by_hand(client, tech, slow, quick, start)
        return
    flushed, read = threading.Event(), threading.Event()
    failures: list = []

    def slow_writer():
        with app.app_context():
            try:
                factories.make_visit(slow, tech, commit=False)  # logged, not committed
                flushed.set()
                assert read.wait(30)
                db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                failures.append(exc)
                flushed.set()
            finally:
                db.session.remove()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert flushed.wait(30)
    with app.app_context():
        factories.make_visit(quick, tech)  # logged after the slow one, committed first
        middle = client.get("/api/v1/pack", query_string={"since": start["cursor"]}).json
        assert [item["id"] for item in middle["equipment"]] == [quick.id]
        read.set()
        writer.join(30)
        assert not failures
        db.session.remove()
        late = client.get("/api/v1/pack", query_string={"since": middle["cursor"]}).json
        assert late["delta"] is True
        assert slow.id in {item["id"] for item in late["equipment"]}
        db.session.remove()


def _late_commit_by_hand(client, tech, slow, quick, start):
    """An entry whose id is below the cursor's newest, logged within IN_FLIGHT of the read
    and made visible after it, is sent again."""
    placeholder = PackChange(kind="equipment", key=quick.id, changed_at=utcnow())
    db.session.add(placeholder)
    db.session.commit()
    late_id = placeholder.id
    factories.make_visit(quick, tech)
    middle = client.get("/api/v1/pack", query_string={"since": start["cursor"]}).json
    cursor = parse_cursor(middle["cursor"])
    assert cursor.last_id > late_id
    db.session.execute(
        sa.update(PackChange)
        .where(PackChange.id == late_id)
        .values(key=slow.id, changed_at=cursor.read_at - IN_FLIGHT / 2)
    )
    db.session.commit()
    late = client.get("/api/v1/pack", query_string={"since": middle["cursor"]}).json
    assert late["delta"] is True
    assert slow.id in {item["id"] for item in late["equipment"]}


def test_delta_queries_do_not_grow_with_changes(client, site):
    sign_in(client, site.tech)
    cursor = full_pack(client)["cursor"]
    factories.make_visit(factories.make_equipment(), site.tech, codes=("86:01",), meter=5)
    with count_queries() as few:
        one = delta(client, cursor).json
    assert len(one["equipment"]) == 1
    for _ in range(20):
        factories.make_visit(
            factories.make_equipment(), site.tech, codes=("86:01",), meter=5, commit=False
        )
    factories.make_job(equipment=factories.make_equipment(), assigned_to_id=site.tech.id)
    db.session.commit()
    with count_queries() as many:
        more = delta(client, cursor).json
    assert len(more["equipment"]) == 22 and len(more["jobs"]) == 1
    assert len(many) == len(few), "\n".join(many)


def test_bulk_statements_are_logged(client, site, auth):
    """A customer merge moves plotters with UPDATE statements, not the flush: the moved
    plotters still come in the next delta."""
    from fieldapp.customers.services import merge_customers

    sign_in(client, site.tech)
    duplicate = factories.make_customer(name="Halvorsen Kline (old)")
    moved = factories.make_equipment(duplicate)
    start = full_pack(client)
    factories.committed(merge_customers, site.plotter.customer, duplicate, actor_id=None)
    body = delta(client, start["cursor"]).json
    records = _by_id(body)
    assert records[moved.id]["customer"]["name"] == "Halvorsen Kline Architects"


def test_a_renamed_tech_sends_full_packs(client, site):
    """A person's name is on every visit they logged: too wide for a delta."""
    sign_in(client, site.tech)
    start = full_pack(client)
    site.tech.name = "Sam Okafor-Reyes"
    db.session.commit()
    body = delta(client, start["cursor"]).json
    assert body["delta"] is False and body["user"]["name"] == "Sam Okafor-Reyes"


def test_the_log_is_pruned_on_write(app):
    old = utcnow() - PRUNE_AFTER - timedelta(days=1)
    db.session.add_all(PackChange(kind="equipment", key=1, changed_at=old) for _ in range(3))
    db.session.commit()
    customer = factories.make_customer()
    while (db.session.scalar(sa.select(sa.func.max(PackChange.id))) or 0) < PRUNE_EVERY:
        factories.make_equipment(customer)
    left = db.session.scalar(
        sa.select(sa.func.count()).select_from(PackChange).where(PackChange.changed_at <= old)
    )
    assert left == 0


def test_the_full_pack_keeps_its_etag(client, site):
    """The cursor moves at every read; the ETag of an unchanged pack does not."""
    sign_in(client, site.tech)
    first = client.get("/api/v1/pack")
    again = client.get("/api/v1/pack", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_migration_upgrades_from_the_previous_head(empty_database_url, tmp_path):
    app = migrating_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade(revision="3251e9a2f806")
        upgrade(revision="d4e7a1c9b350")
        with db.engine.connect() as connection:
            inspector = sa.inspect(connection)
            assert "pack_changes" in inspector.get_table_names()
            assert {c["name"] for c in inspector.get_columns("pack_changes")} == {
                "id",
                "kind",
                "key",
                "changed_at",
            }
        downgrade(revision="3251e9a2f806")
        with db.engine.connect() as connection:
            assert "pack_changes" not in sa.inspect(connection).get_table_names()
        db.engine.dispose()


def test_the_openapi_document_names_since(client):
    document = client.get("/api/v1/openapi.json").json
    parameters = document["paths"]["/api/v1/pack"]["get"]["parameters"]
    assert "since" in json.dumps(parameters)


def _by_id(pack: dict) -> dict[int, dict]:
    return {item["id"]: item for item in pack["equipment"]}
