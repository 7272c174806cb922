"""flask backup create | restore, and the backup `flask db upgrade` takes of SQLite first.

Each test runs on a database the migrations made (a new SQLite file, or a new PostgreSQL
database when FIELDAPP_TEST_DATABASE_URL is set), so it has the alembic_version row a real
one has, and the PostgreSQL round trip goes through pg_dump, pg_restore and psql for real.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.util.exc import CommandError
from botocore.exceptions import ClientError, EndpointConnectionError
from flask_migrate import upgrade

from fieldapp import create_app
from fieldapp.backup import databases
from fieldapp.backup import services as backup_services
from fieldapp.backup.archive import read_manifest
from fieldapp.backup.databases import describe
from fieldapp.config import normalise_database_url
from fieldapp.customers.models import Customer
from fieldapp.extensions import db
from fieldapp.photos.models import Photo
from fieldapp.photos.services import add_photo, remove_photo, store
from fieldapp.photos.storage import file_name
from fieldapp.settings.services import change_logo
from fieldapp.unit_of_work import unit_of_work
from tests import factories
from tests.conftest import POSTGRES_URL
from tests.settings.test_company import logo_png
from tests.test_migrations import current_revision

# The head of the last release (as in test_migrations): a database at it is "older".
PREVIOUS_RELEASE = "1ad3bfacaf8c"


def backup_app(database_url: str, tmp_path: Path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "x",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "BACKUP_FOLDER": str(tmp_path / "backups"),
        }
    )


@pytest.fixture
def fresh(empty_database_url, tmp_path):
    """An app on a database with nothing in it yet, inside its app context."""
    app = backup_app(empty_database_url, tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def migrated(fresh):
    """An app on a database the migrations brought to head."""
    upgrade()
    return fresh


def cli(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def customer_names() -> set[str]:
    db.session.remove()
    return set(db.session.scalars(sa.select(Customer.name)))


def table_names() -> set[str]:
    with db.engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names())


def rewritten(source: Path, target: Path, change) -> Path:
    """A copy of the archive with change(name, data) -> data applied to each member."""
    with tarfile.open(source, "r:*") as old, tarfile.open(target, "w:gz") as new:
        for member in old:
            data = change(member.name, old.extractfile(member).read())
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return target


def with_manifest(**fields):
    def change(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        return json.dumps({**json.loads(data), **fields}).encode()

    return change


def test_a_restore_brings_back_the_data_and_the_files_as_they_were(migrated, tmp_path):
    """Backup, then add a row, delete a row and a photo's file, add a file and a table:
    after restore --yes, is every change gone and the photo's bytes the same? (A file
    beside them that is not one the app stores stays.)"""
    factories.make_customer(name="Kept Architects")
    doomed = factories.make_customer(name="Deleted Later Ltd")
    photo = factories.committed(add_photo, factories.jpeg_bytes())
    full, thumb = (file_name(photo.id, size, photo.kind) for size in ("full", "thumb"))
    photo_bytes = store().read(full)
    archive = tmp_path / "nightly.tar.gz"

    made = cli(migrated, "backup", "create", str(archive))
    assert made.exit_code == 0, made.output
    head = current_revision()
    assert f"revision {head}" in made.output and "2 files" in made.output
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    factories.make_customer(name="Added After Backup")
    db.session.delete(db.session.get(Customer, doomed.id))
    db.session.commit()
    store().delete(full)
    added = file_name(uuid.uuid4(), "full", "photo")
    store().write(added, b"not in the backup")
    store().write("notes/not-the-app-s.txt", b"the operator's")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE made_after_backup (id integer)")

    restored = cli(migrated, "backup", "restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "was older" not in restored.output

    assert customer_names() == {"Kept Architects", "Deleted Later Ltd"}
    assert store().read(full) == photo_bytes
    assert not store().exists(added)
    assert sorted(store().names()) == sorted([full, "notes/not-the-app-s.txt", thumb])
    assert "made_after_backup" not in table_names()
    assert current_revision() == head


def test_a_backup_taken_while_rows_are_written_is_one_consistent_snapshot(
    migrated, tmp_path, empty_database_url
):
    """Another connection commits rows all through the backup: does the dump hold exactly
    the rows the manifest counted (the restore checks every table against it)?"""
    writer = sa.create_engine(normalise_database_url(empty_database_url))
    written, enough, stop = [0], threading.Event(), threading.Event()

    def keep_writing():
        try:
            while not stop.is_set():
                with writer.begin() as connection:
                    connection.execute(
                        sa.text("INSERT INTO stock_locations (name, kind) VALUES (:n, :k)"),
                        {"n": f"Shelf {written[0]}", "k": "warehouse"},
                    )
                written[0] += 1
                if written[0] >= 20:
                    enough.set()
        finally:
            enough.set()  # a writer that failed must not keep the test waiting

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        enough.wait(timeout=60)
        assert written[0] >= 20
        archive = tmp_path / "busy.tar"
        made = cli(migrated, "backup", "create", str(archive))
    finally:
        stop.set()
        thread.join()
        writer.dispose()
    assert made.exit_code == 0, made.output

    restored = cli(migrated, "backup", "restore", str(archive), "--yes")

    assert restored.exit_code == 0, restored.output
    with tarfile.open(archive) as tar:
        counted = json.load(tar.extractfile("manifest.json"))["tables"]["stock_locations"]
    assert 20 <= counted < written[0] + 1
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT count(*) FROM stock_locations").scalar()
    assert rows == counted


def test_a_backup_of_a_newer_schema_is_refused_and_nothing_changes(migrated, tmp_path):
    """A manifest at a revision this code does not know (a newer release made it)."""
    archive = tmp_path / "b.tar"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    newer = rewritten(archive, tmp_path / "newer.tar.gz", with_manifest(revision="ffff00000000"))
    factories.make_customer(name="Made After Backup")
    store().write("photos/aa/after.jpg", b"after")

    result = cli(migrated, "backup", "restore", str(newer), "--yes")

    assert result.exit_code != 0
    assert "ffff00000000" in result.output and "does not know" in result.output
    assert customer_names() == {"Made After Backup"}
    assert store().exists("photos/aa/after.jpg")


def test_an_older_backup_is_migrated_to_head_after_the_restore(fresh, tmp_path):
    """A backup made at the last release: restored with its rows, then upgraded to head."""
    upgrade(revision=PREVIOUS_RELEASE)
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO stock_locations (id, name, kind) VALUES (1, 'Warehouse', 'warehouse')"
        )
    archive = tmp_path / "old.tar.gz"
    made = cli(fresh, "backup", "create", str(archive))
    assert made.exit_code == 0 and PREVIOUS_RELEASE in made.output, made.output
    upgrade()
    head = current_revision()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM stock_locations")

    result = cli(fresh, "backup", "restore", str(archive), "--yes")

    assert result.exit_code == 0, result.output
    assert f"({PREVIOUS_RELEASE}) was older: migrated it to {head}" in result.output
    assert current_revision() == head
    with db.engine.connect() as connection:
        names = connection.exec_driver_sql("SELECT name FROM stock_locations").scalars().all()
    assert names == ["Warehouse"]


def test_a_restore_that_does_not_match_the_manifest_fails_and_changes_nothing(migrated, tmp_path):
    """The backup's database is checked against its manifest before it replaces anything
    (SQLite) or inside the restore's transaction (PostgreSQL): a manifest that lists one
    customer more, or an older revision than its database is at (which would slip a newer
    schema past the refusal), exits non-zero, says so, and the data stays as it was."""
    factories.make_customer(name="Counted Ltd")
    archive = tmp_path / "b.tar"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    with tarfile.open(archive) as tar:
        tables = json.load(tar.extractfile("manifest.json"))["tables"]
    more_rows = rewritten(
        archive, tmp_path / "rows.tar.gz", with_manifest(tables={**tables, "customers": 2})
    )
    older = rewritten(archive, tmp_path / "older.tar.gz", with_manifest(revision=PREVIOUS_RELEASE))
    factories.make_customer(name="Made After Backup")
    added = file_name(uuid.uuid4(), "full", "photo")
    store().write(added, b"after")
    head = current_revision()
    cases = {
        more_rows: "does not hold the rows the backup lists (tables: customers)",
        older: f"is at schema revision {head}, but its manifest says {PREVIOUS_RELEASE}",
    }
    for path, message in cases.items():
        result = cli(migrated, "backup", "restore", str(path), "--yes")

        assert result.exit_code == 1, result.output
        assert message in result.output and "Nothing was changed" in result.output
        assert customer_names() == {"Counted Ltd", "Made After Backup"}
        assert current_revision() == head
        assert store().exists(added)


def test_answering_no_changes_nothing(migrated, tmp_path):
    """Without --yes the restore shows what it would replace and asks; "n" keeps all."""
    archive = tmp_path / "b.tar.gz"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    factories.make_customer(name="Made After Backup")
    store().write(file_name(uuid.uuid4(), "full", "photo"), b"after")
    stored_before = sorted(store().names())

    result = cli(migrated, "backup", "restore", str(archive), input="n\n")

    assert result.exit_code == 0, result.output
    rows_now = backup_services.current_rows()
    assert f"{describe(db.engine.url)} ({rows_now} rows now)" in result.output
    assert "Replace the data with this backup?" in result.output
    assert "Nothing was changed." in result.output
    assert customer_names() == {"Made After Backup"}
    assert sorted(store().names()) == stored_before


def test_the_database_url_is_shown_without_its_password():
    url = sa.make_url("postgresql+psycopg://fieldapp:s3cret@db.example:5432/fieldapp")
    assert describe(url) == "postgresql://fieldapp:***@db.example:5432/fieldapp"


def test_a_damaged_or_foreign_file_is_refused_with_a_clear_message(migrated, tmp_path):
    """Not a tar, a tar without a manifest, a member that no longer matches its checksum,
    a cut-off archive: each is refused, exit non-zero, and nothing changes."""
    factories.make_customer(name="Present Ltd")
    photo = factories.committed(add_photo, factories.jpeg_bytes())
    archive = tmp_path / "b.tar.gz"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    factories.make_customer(name="Made After Backup")
    stored_before = sorted(store().names())

    text = tmp_path / "notes.txt"
    text.write_text("not a backup")
    bare = tmp_path / "bare.tar"
    with tarfile.open(bare, "w") as tar:
        tar.add(text, arcname="notes.txt")
    photo_member = f"files/{file_name(photo.id, 'full', photo.kind)}"
    flipped = rewritten(
        archive,
        tmp_path / "flipped.tar.gz",
        lambda name, data: data[:-1] + bytes([data[-1] ^ 1]) if name == photo_member else data,
    )
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    cases = {
        text: "not a FieldApp backup",
        bare: "not a FieldApp backup (it has no manifest.json)",
        flipped: f"damaged: {photo_member} does not match its checksum",
        cut: "damaged",
        tmp_path / "missing.tar": "does not exist",
    }
    for path, message in cases.items():
        result = cli(migrated, "backup", "restore", str(path), "--yes")
        assert result.exit_code == 1, (path, result.output)
        assert message in result.output, (path, result.output)
    assert customer_names() == {"Present Ltd", "Made After Backup"}
    assert sorted(store().names()) == stored_before


def test_a_failed_backup_leaves_nothing_under_its_name(migrated, tmp_path, monkeypatch):
    """A store that fails half-way: the command fails, FILE and its temporary are absent."""
    store().write("photos/aa/one.jpg", b"one")

    class Failing:
        def names(self):
            yield "photos/aa/one.jpg"

        def read(self, name):
            raise OSError("the disk went away")

    monkeypatch.setattr(backup_services, "store", Failing)
    target = tmp_path / "out" / "b.tar.gz"
    target.parent.mkdir()

    result = cli(migrated, "backup", "create", str(target))

    assert result.exit_code == 1
    assert "The backup failed, nothing was written: the disk went away" in result.output
    assert list(target.parent.iterdir()) == []


def test_without_the_postgresql_tools(migrated, tmp_path, monkeypatch):
    """With nothing on PATH: SQLite needs no tool and backs up; PostgreSQL says pg_dump is
    missing and how to get it, and leaves nothing under FILE."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    target = tmp_path / "b.tar"

    result = cli(migrated, "backup", "create", str(target))

    if db.engine.dialect.name == "sqlite":
        assert result.exit_code == 0, result.output
        assert target.is_file()
    else:
        assert result.exit_code == 1
        assert "pg_dump was not found on PATH" in result.output
        assert "postgresql-client" in result.output
        assert [p for p in tmp_path.iterdir() if p.name != "uploads"] == []


def test_db_upgrade_backs_up_an_older_sqlite_database_first(fresh, tmp_path):
    """An older database: SQLite is backed up (at its old revision) before the upgrade,
    PostgreSQL is told no automatic backup is taken and how to make one."""
    upgrade(revision=PREVIOUS_RELEASE)

    result = cli(fresh, "db", "upgrade")

    assert result.exit_code == 0, result.output
    assert current_revision() != PREVIOUS_RELEASE
    folder = tmp_path / "backups"
    if db.engine.dialect.name == "sqlite":
        [written] = folder.glob(f"before-upgrade-{PREVIOUS_RELEASE}-*.tar.gz")
        assert f"Before upgrading: Backed up sqlite at revision {PREVIOUS_RELEASE}" in result.output
        assert str(written) in result.output
        with tarfile.open(written) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        assert manifest["revision"] == PREVIOUS_RELEASE
    else:
        assert not folder.exists()
        assert "No automatic backup" in result.output and "backup create" in result.output


def test_db_upgrade_of_a_fresh_or_current_database_takes_no_backup(fresh, tmp_path):
    """`make run` upgrades at every start: a new database, then one at head, take none."""
    first = cli(fresh, "db", "upgrade")
    again = cli(fresh, "db", "upgrade")

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert current_revision() is not None
    assert not (tmp_path / "backups").exists()
    assert "backup" not in (first.output + again.output).lower()


def snapshots_then(monkeypatch, action) -> list:
    """Make each database snapshot of a backup run action(number of the snapshot) right
    after it is taken: what commits between the snapshot and the reading of the files."""
    taken: list = []

    def wrap(snapshot):
        def then_act(*args):
            taken.append(snapshot(*args))
            action(len(taken))
            return taken[-1]

        return then_act

    for name in ("snapshot_sqlite", "snapshot_postgresql"):
        monkeypatch.setattr(databases, name, wrap(getattr(databases, name)))
    return taken


def manifest_of(path: Path) -> dict:
    with tarfile.open(path) as tar:
        return json.load(tar.extractfile("manifest.json"))


def test_a_photo_removed_while_the_backup_is_taken_makes_it_take_again(
    migrated, tmp_path, monkeypatch
):
    """A photo's removal commits after the database snapshot, before the files are read:
    the snapshot names files the archive lacks, so the backup is taken again, and holds
    every file its rows name."""
    kept = factories.committed(add_photo, factories.jpeg_bytes())
    removed = factories.committed(add_photo, factories.jpeg_bytes())

    def remove_first_time(number: int) -> None:
        if number == 1:
            with unit_of_work():
                remove_photo(db.session.get(Photo, removed.id))

    taken = snapshots_then(monkeypatch, remove_first_time)
    archive = tmp_path / "b.tar.gz"

    result = cli(migrated, "backup", "create", str(archive))

    assert result.exit_code == 0, result.output
    assert len(taken) == 2
    manifest = manifest_of(archive)
    assert manifest["tables"]["photos"] == 1
    assert sorted(item["name"] for item in manifest["files"]) == sorted(
        file_name(kept.id, size, "photo") for size in ("full", "thumb")
    )


def test_a_file_lost_for_good_is_listed_and_warned_about_not_blocking_backups(migrated, tmp_path):
    """A photo's file and the logo gone from the store for good: the backup is tried a few
    times, then written with the lost files listed in its manifest, and a warning."""
    photo = factories.committed(add_photo, factories.jpeg_bytes())
    store().delete(file_name(photo.id, "full", "photo"))
    logo = factories.committed(change_logo, logo_png(), actor_id=None).logo
    store().delete(logo)
    target = tmp_path / "out" / "b.tar.gz"
    target.parent.mkdir()

    result = cli(migrated, "backup", "create", str(target))

    assert result.exit_code == 0, result.output
    assert "Warning: 2 stored file(s) named by the database are not in the store" in result.output
    assert logo in result.output
    manifest = read_manifest(target)
    assert manifest["missing_files"] == sorted([file_name(photo.id, "full", "photo"), logo])
    assert [path.name for path in target.parent.iterdir()] == ["b.tar.gz"]


@pytest.fixture
def usual_umask():
    """The umask most servers run with (files readable by all unless made otherwise)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def test_a_backup_is_readable_by_its_owner_only(fresh, tmp_path, usual_umask):
    """It holds every password hash and customer: the archive is 0600 and the folder the
    upgrade's backups go to 0700."""
    upgrade(revision=PREVIOUS_RELEASE)
    archive = tmp_path / "b.tar.gz"
    assert cli(fresh, "backup", "create", str(archive)).exit_code == 0
    assert archive.stat().st_mode & 0o777 == 0o600

    assert cli(fresh, "db", "upgrade").exit_code == 0
    if db.engine.dialect.name == "sqlite":
        folder = tmp_path / "backups"
        assert folder.stat().st_mode & 0o777 == 0o700
        [written] = folder.iterdir()
        assert written.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL schemas: set FIELDAPP_TEST_DATABASE_URL")
def test_another_schema_of_the_database_is_neither_backed_up_nor_touched(migrated, tmp_path):
    """A reporting schema beside the app's: the backup holds only the app's schema, and the
    restore replaces that alone."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE SCHEMA reporting")
        connection.exec_driver_sql("CREATE TABLE reporting.daily (total integer)")
        connection.exec_driver_sql("INSERT INTO reporting.daily VALUES (1)")
    factories.make_customer(name="Kept Ltd")
    archive = tmp_path / "b.tar"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    factories.make_customer(name="Made After Backup")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO reporting.daily VALUES (2)")

    result = cli(migrated, "backup", "restore", str(archive), "--yes")

    assert result.exit_code == 0, result.output
    assert customer_names() == {"Kept Ltd"}
    with db.engine.connect() as connection:
        totals = connection.exec_driver_sql("SELECT total FROM reporting.daily").scalars().all()
    assert sorted(totals) == [1, 2]


def test_a_failing_store_or_database_is_a_clear_message_not_a_traceback(
    migrated, tmp_path, monkeypatch
):
    """S3 refusing the listing (AccessDenied), S3 out of reach during a restore, a failed
    migration after it: each exits 1 with a message saying what failed."""

    class Refusing:
        def names(self):
            raise ClientError({"Error": {"Code": "AccessDenied"}}, "ListObjectsV2")

    monkeypatch.setattr(backup_services, "store", Refusing)
    target = tmp_path / "out" / "b.tar"
    target.parent.mkdir()
    result = cli(migrated, "backup", "create", str(target))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "The backup failed, nothing was written: the file store (S3)" in result.output
    assert "AccessDenied" in result.output
    assert list(target.parent.iterdir()) == []
    monkeypatch.undo()

    factories.committed(add_photo, factories.jpeg_bytes())
    assert cli(migrated, "backup", "create", str(target)).exit_code == 0

    class Unreachable:
        def write(self, name, data):
            raise EndpointConnectionError(endpoint_url="http://s3.example")

    monkeypatch.setattr(backup_services, "store", Unreachable)
    result = cli(migrated, "backup", "restore", str(target), "--yes")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "The restore did not finish: the file store (S3)" in result.output
    assert "http://s3.example" in result.output
    monkeypatch.undo()

    def failing_upgrade():
        raise CommandError("Can't locate revision identified by 'abc'")

    monkeypatch.setattr(backup_services, "schema_heads", lambda directory=None: ("newer",))
    monkeypatch.setattr(backup_services, "upgrade", failing_upgrade)
    result = cli(migrated, "backup", "restore", str(target), "--yes")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "The restore did not finish: the migration failed: Can't locate" in result.output


def test_a_manifest_naming_what_the_app_never_stores_is_refused(migrated, tmp_path):
    """Only a photo's or the logo's name may be restored into the store, and the database
    must be the dialect's member: anything else is a damaged manifest, refused as such."""
    archive = tmp_path / "b.tar"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    sha = "0" * 64
    bad_names = [".", "photos/", "photos/ab/x\x00.jpg", ".staged/0123", "photos/ab/../../x.jpg"]
    changes = [with_manifest(files=[{"name": n, "size": 1, "sha256": sha}]) for n in bad_names]
    changes.append(with_manifest(database={"name": "manifest.json", "size": 1, "sha256": sha}))
    factories.make_customer(name="Present Ltd")
    for number, change in enumerate(changes):
        path = rewritten(archive, tmp_path / f"bad{number}.tar.gz", change)

        result = cli(migrated, "backup", "restore", str(path), "--yes")

        assert result.exit_code == 1, (number, result.output)
        assert "damaged: its manifest.json is incomplete" in result.output, result.output
    assert customer_names() == {"Present Ltd"}
