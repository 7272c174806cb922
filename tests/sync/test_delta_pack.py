"""GET /api/v1/pack?since=<cursor>: only what changed since the phone's pack."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

import fieldapp.sync.changes as changes
from fieldapp.customers.models import Contact
from fieldapp.customers.services import (
    merge_customers,
    remove_contact,
    save_contact,
    save_site,
    update_customer,
)
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment, MeterReading
from fieldapp.equipment.services import replace_label, set_equipment_status, update_equipment
from fieldapp.extensions import db
from fieldapp.inventory.models import PartCompatibility
from fieldapp.inventory.services import set_part_active
from fieldapp.jobs.models import Job
from fieldapp.jobs.services import assign_job, change_job_status
from fieldapp.notify.cli import _plan_once_a_day
from fieldapp.sops.services import retire_sop
from fieldapp.sync.changes import RETENTION, prune_pack_changes
from fieldapp.sync.cursor import Cursor, parse_cursor
from fieldapp.sync.models import PackChange
from tests import factories
from tests.conftest import make_test_app
from tests.sql import count_queries
from tests.test_migrations import migrating_app


def sign_in(client, user):
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302


def full_pack(client) -> dict:
    response = client.get("/api/v1/pack")
    assert response.status_code == 200 and response.json["delta"] is False
    return response.json


def delta(client, cursor: str):
    response = client.get("/api/v1/pack", query_string={"since": cursor})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def changed(client, cursor: str) -> dict:
    """The delta since the cursor, which must be one (not a full pack)."""
    body = delta(client, cursor).json
    assert body["delta"] is True
    return body


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
    assert body["removed"] == {"equipment": [], "sops": [], "parts": []}
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
    body = changed(client, start["cursor"])
    assert body["removed"]["equipment"] == [going.id]
    # The jobs that left the tech's list: not in job_order (no list naming them).
    assert "jobs" not in body["removed"]
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
    body = changed(client, start["cursor"])
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
    body = changed(client, start["cursor"])
    assert {line["sku"]: line["quantity"] for line in body["van"]}["CR357-67010"] == 8
    assert [part["name"] for part in body["parts"]] == ["Carriage belt 24in (kit)"]
    assert body["removed"]["parts"] == [site.head.id]


def test_no_change_is_an_empty_delta(client, site):
    sign_in(client, site.tech)
    start = full_pack(client)
    body = changed(client, start["cursor"])
    assert (body["equipment"], body["jobs"], body["sops"], body["parts"]) == ([], [], [], [])
    assert body["removed"] == {"equipment": [], "sops": [], "parts": []}


def test_a_pruned_cursor_gets_a_full_pack_and_a_29_day_old_one_a_delta(client, site):
    """The daily pass deletes what is older than RETENTION: a cursor older than that gets
    the whole pack; one a day younger still gets every change since it."""
    sign_in(client, site.tech)
    factories.make_visit(factories.make_equipment(), site.tech)
    ancient = full_pack(client)["cursor"]
    plotter = factories.make_equipment()
    between = utcnow()
    factories.make_visit(plotter, site.tech, summary="Before the month-old pack")
    month = full_pack(client)["cursor"]
    factories.make_visit(plotter, site.tech, summary="Since the month-old pack")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(PackChange))
    # The daily pass, 29 days and some after the month-old pack: the older entries go.
    assert prune_pack_changes(now=between + RETENTION) > 0
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PackChange)) < before
    body = delta(client, ancient).json
    assert body["delta"] is False and len(body["equipment"]) == 3 and body["sops"]
    body = changed(client, month)
    assert [v["summary"] for v in _by_id(body)[plotter.id]["last_visits"]] == [
        "Since the month-old pack",
        "Before the month-old pack",
    ]


def test_the_workers_daily_pass_prunes_the_log(app):
    old = utcnow() - RETENTION - timedelta(days=2)
    db.session.add_all(PackChange(kind="equipment", key=1, changed_at=old) for _ in range(3))
    db.session.commit()
    factories.make_equipment()
    _plan_once_a_day(None)
    db.session.remove()
    ages = db.session.scalars(sa.select(PackChange.changed_at)).all()
    assert len([at for at in ages if at <= old]) == 1  # the newest old one: an anchor
    assert len(ages) >= 2


def test_a_write_never_prunes(app):
    """Pruning in a user's transaction would hold the old rows' locks: none is deleted by a
    write, however many it logs."""
    old = utcnow() - RETENTION - timedelta(days=2)
    db.session.execute(
        sa.insert(PackChange), [{"kind": "equipment", "key": 1, "changed_at": old}] * 498
    )
    db.session.commit()
    customer = factories.make_customer()
    for _ in range(3):
        factories.make_equipment(customer)
    left = db.session.scalar(
        sa.select(sa.func.count()).select_from(PackChange).where(PackChange.changed_at <= old)
    )
    assert left == 498


def test_a_cursor_of_another_database_gets_a_full_pack(client, site, tmp_path, postgres_schema):
    sign_in(client, site.tech)
    cursor = parse_cursor(full_pack(client)["cursor"])
    # The same id at another time: another database's log (or this one emptied since).
    elsewhere = Cursor(cursor.last_id, cursor.anchor + 1, cursor.xmax, cursor.in_flight)
    assert delta(client, str(elsewhere)).json["delta"] is False
    beyond = Cursor(cursor.last_id + 1000, cursor.anchor, cursor.xmax, cursor.in_flight)
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


def test_a_change_committed_late_is_not_lost(tmp_path, postgres_schema, monkeypatch):
    """A transaction in flight while the phone reads its pack still reaches the next delta:
    on PostgreSQL its change is logged under a lower id than one committed meanwhile, and
    its server's clock is 3 minutes behind (no clock is compared); on SQLite it holds the
    write lock, so nothing else commits first."""
    app = make_test_app(tmp_path, postgres_schema)
    with app.app_context():
        tech = SimpleNamespace(id=factories.make_user("tech", email="late@example.com").id)
        slow = SimpleNamespace(id=factories.make_equipment().id)
        quick = SimpleNamespace(id=factories.make_equipment().id)
        client = app.test_client()
        sign_in(client, SimpleNamespace(email="late@example.com"))
        start = full_pack(client)
        postgresql = db.engine.dialect.name == "postgresql"
        db.session.remove()
    flushed, read = threading.Event(), threading.Event()
    failures: list = []
    behind: set[int] = set()
    monkeypatch.setattr(
        changes,
        "utcnow",
        lambda: utcnow() - timedelta(minutes=3 if threading.get_ident() in behind else 0),
    )

    def slow_writer():
        behind.add(threading.get_ident())  # another server, its clock 3 minutes behind
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
        if postgresql:
            factories.make_visit(quick, tech)  # logged after the slow one, committed first
        middle = changed(client, start["cursor"])
        assert [item["id"] for item in middle["equipment"]] == ([quick.id] if postgresql else [])
        read.set()
        writer.join(30)
        assert not failures
        db.session.remove()
        late = changed(client, middle["cursor"])
        assert slow.id in {item["id"] for item in late["equipment"]}
        db.session.remove()


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
    plotters still come in the next delta, named one by one (not as "all")."""
    sign_in(client, site.tech)
    duplicate = factories.make_customer(name="Halvorsen Kline (old)")
    moved = factories.make_equipment(duplicate)
    start = full_pack(client)
    factories.committed(merge_customers, site.plotter.customer, duplicate, actor_id=None)
    body = changed(client, start["cursor"])
    records = _by_id(body)
    assert records[moved.id]["customer"]["name"] == "Halvorsen Kline Architects"


def test_a_bulk_update_moving_a_job_names_both_plotters(client, site):
    """The pass after an UPDATE re-runs its WHERE, which the moved rows no longer match:
    the plotter its SET names is logged too."""
    sign_in(client, site.tech)
    other = factories.make_equipment()
    start = full_pack(client)
    db.session.execute(
        sa.update(Job).where(Job.equipment_id == site.plotter.id).values(equipment_id=other.id)
    )
    db.session.commit()
    records = _by_id(changed(client, start["cursor"]))
    assert records[site.plotter.id]["open_jobs"] == []
    assert records[other.id]["open_jobs"] == [site.job.number]


def test_a_job_moved_after_a_commit_names_its_old_plotter(client, site):
    """An object expired by a commit and changed without being read first: its old value is
    loaded at the change, so the plotter the job leaves is sent too."""
    sign_in(client, site.tech)
    other = factories.make_equipment()
    start = full_pack(client)
    db.session.expire(site.job)
    site.job.equipment_id = other.id
    db.session.commit()
    records = _by_id(changed(client, start["cursor"]))
    assert records[site.plotter.id]["open_jobs"] == []
    assert records[other.id]["open_jobs"] == [site.job.number]


def test_a_renamed_tech_sends_full_packs(client, site):
    """A person's name is on every visit they logged: too wide for a delta (also when the
    person was expired by a commit before the change)."""
    sign_in(client, site.tech)
    start = full_pack(client)
    db.session.expire(site.tech)
    site.tech.name = "Sam Okafor-Reyes"
    db.session.commit()
    body = delta(client, start["cursor"]).json
    assert body["delta"] is False and body["user"]["name"] == "Sam Okafor-Reyes"
    again = full_pack(client)
    db.session.expire(site.tech)
    site.tech.role = "office"
    db.session.commit()
    assert delta(client, again["cursor"]).json["delta"] is False


def test_a_visit_delta_does_not_grow_with_company_activity(client, site):
    """30 other techs each log a visit and start a job just before the phone reads its pack;
    then one new visit: the delta is that one plotter, and names no other tech's job."""
    sign_in(client, site.tech)
    techs = [factories.make_user("tech") for _ in range(30)]
    plotters = [factories.make_equipment() for _ in range(30)]
    jobs = [
        factories.make_job(equipment=plotter, assigned_to_id=tech.id, status="scheduled")
        for plotter, tech in zip(plotters, techs, strict=True)
    ]
    for plotter, tech, job in zip(plotters, techs, jobs, strict=True):
        factories.make_visit(plotter, tech)
        factories.committed(change_job_status, job, "in_progress", actor_id=tech.id)
    start = full_pack(client)
    one = factories.make_equipment()
    factories.make_visit(one, techs[0], summary="The one new visit")
    answer = delta(client, start["cursor"])
    body = answer.json
    assert body["delta"] is True and [item["id"] for item in body["equipment"]] == [one.id]
    text = answer.get_data(as_text=True)
    assert not [job.number for job in jobs if f'"{job.number}"' in text]
    assert len(answer.data) < 4000, len(answer.data)


def test_a_delta_names_no_job_that_was_never_the_techs(client, site):
    """Another tech's job changing is not in "removed": the phone never had it (the list of
    the tech's jobs is job_order)."""
    sign_in(client, site.tech)
    other = factories.make_user("tech", name="Ines Duarte")
    theirs = factories.make_job(
        equipment=factories.make_equipment(), assigned_to_id=other.id, status="scheduled"
    )
    start = full_pack(client)
    factories.committed(change_job_status, theirs, "in_progress", actor_id=None)
    body = changed(client, start["cursor"])
    assert theirs.number not in json.dumps(body["removed"]) and body["jobs"] == []
    assert body["job_order"] == [site.job.number]


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
                "xid",
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


def _merged(records: list, fresh: list, removed: list, key: str) -> list:
    gone = {str(value) for value in removed}
    fresh_by_key = {str(record[key]): record for record in fresh}
    kept = [
        fresh_by_key.pop(str(record[key]), record)
        for record in records
        if str(record[key]) not in gone
    ]
    return kept + list(fresh_by_key.values())


def _apply(pack: dict, body: dict) -> dict:
    """What static/js/pack.js's applyDelta makes of the phone's pack and a delta."""
    removed = body["removed"]
    result = dict(pack)
    for name, key in (("equipment", "id"), ("jobs", "number"), ("sops", "id"), ("parts", "id")):
        result[name] = _merged(pack[name], body[name], removed.get(name, []), key)
    rank = {number: index for index, number in enumerate(body["job_order"])}
    result["jobs"] = sorted(
        (job for job in result["jobs"] if job["number"] in rank), key=lambda j: rank[j["number"]]
    )
    for key in ("generated_at", "cursor", "user", "signed", "has_van", "urls", "rules", "van"):
        if key in body:
            result[key] = body[key]
    return result


def _comparable(pack: dict) -> dict:
    pack = {k: v for k, v in pack.items() if k not in ("generated_at", "cursor", "delta")}
    for name in ("equipment", "sops", "parts"):
        pack[name] = sorted(pack[name], key=lambda item: item["id"])
    return json.loads(json.dumps(pack, sort_keys=True, default=str))


class _Phone:
    """A phone keeping its pack with deltas, checked against a full pack after each step."""

    def __init__(self, client):
        self.client = client
        self.pack = full_pack(client)
        self.full_packs: list[str] = []

    def step(self, label: str, *, full: bool = False) -> None:
        body = delta(self.client, self.pack["cursor"]).json
        assert body["delta"] is not full, label
        self.pack = _apply(self.pack, body) if body["delta"] else body
        assert _comparable(self.pack) == _comparable(full_pack(self.client)), label


def test_the_full_pack_and_its_deltas_agree_after_every_kind_of_change(client, site):
    """Full pack + delta == the new full pack, step after step, whatever changed."""
    sign_in(client, site.tech)
    other = factories.make_user("tech", name="Ines Duarte")
    other_co = factories.make_customer(name="Other Co")
    theirs = factories.make_equipment(other_co)
    third = factories.make_equipment(site.plotter.customer)
    their_job = factories.make_job(
        other_co, equipment=theirs, assigned_to_id=other.id, status="scheduled"
    )
    factories.make_visit(theirs, other, summary="Old visit on theirs")
    phone = _Phone(client)

    factories.make_visit(third, other, summary="New visit", codes=("86:01",), meter=10)
    phone.step("visit")
    factories.committed(assign_job, their_job, site.tech.id, None, None)
    phone.step("job assigned to me")
    db.session.get(Job, their_job.id).equipment_id = third.id
    db.session.commit()
    phone.step("job moved to another plotter")
    factories.committed(update_customer, other_co, {"name": "Other Co Renamed"}, actor_id=None)
    phone.step("customer renamed")
    depot = factories.committed(
        save_site, other_co, {"name": "Depot", "address": "1 Depot Rd"}, actor_id=None
    )
    plotter = db.session.get(Equipment, theirs.id)
    factories.committed(
        update_equipment,
        plotter,
        customer_id=other_co.id,
        site_id=depot.id,
        make=plotter.make,
        model=plotter.model,
        serial_number=plotter.serial_number,
        location_note="",
        installed_on=None,
        notes="",
        actor_id=site.tech.id,
    )
    phone.step("plotter moved to a site")
    contact = factories.committed(
        save_contact,
        other_co,
        {"name": "Bo", "phone": "+1 555 9999", "site_id": str(depot.id), "is_site_contact": "1"},
        actor_id=None,
    )
    phone.step("site contact")
    factories.committed(remove_contact, db.session.get(Contact, contact.id), actor_id=None)
    phone.step("site contact removed")
    factories.committed(set_part_active, site.head, False, actor_id=None)
    db.session.add(PartCompatibility(part_id=site.belt.id, model="T1700"))
    db.session.commit()
    phone.step("parts")
    factories.stock(site.belt, site.van, 2)
    phone.step("van stock")
    factories.committed(
        replace_label, db.session.get(Equipment, third.id), revoke_old=True, actor_id=None
    )
    phone.step("new label")
    for status in ("retired", "active"):
        factories.committed(
            set_equipment_status, db.session.get(Equipment, third.id), status, actor_id=None
        )
    phone.step("retired and back")
    db.session.add(MeterReading(equipment_id=theirs.id, value=999))
    db.session.commit()
    phone.step("meter reading")
    factories.committed(merge_customers, site.plotter.customer, other_co, actor_id=None)
    phone.step("customers merged")
    factories.committed(
        change_job_status, db.session.get(Job, their_job.id), "cancelled", actor_id=None
    )
    phone.step("job closed")
    factories.publish_repair_v2(site.version)
    phone.step("new SOP version")
    factories.committed(retire_sop, site.version.sop, actor_id=None)
    phone.step("SOP retired")
    other.name = "Ines D."
    db.session.commit()
    phone.step("tech renamed", full=True)
