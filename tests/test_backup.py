"""flask backup create | restore, and the backup `flask db upgrade` takes of SQLite first.

Each test runs on a database the migrations made (a new SQLite file, or a new PostgreSQL
database when FIELDAPP_TEST_DATABASE_URL is set), so it has the alembic_version row a real
one has, and the PostgreSQL round trip goes through pg_dump, pg_restore and psql for real.
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from fieldapp import create_app
from fieldapp.backup import services as backup_services
from fieldapp.backup.databases import describe
from fieldapp.config import normalise_database_url
from fieldapp.customers.models import Customer
from fieldapp.extensions import db
from fieldapp.photos.services import add_photo, store
from fieldapp.photos.storage import file_name
from tests import factories

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


def current_revision() -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


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
    after restore --yes, is every change gone and the photo's bytes the same?"""
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
    store().write("photos/zz/added-after-backup.jpg", b"not in the backup")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE made_after_backup (id integer)")

    restored = cli(migrated, "backup", "restore", str(archive), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output and "was older" not in restored.output

    assert customer_names() == {"Kept Architects", "Deleted Later Ltd"}
    assert store().read(full) == photo_bytes
    assert not store().exists("photos/zz/added-after-backup.jpg")
    assert sorted(store().names()) == sorted([full, thumb])
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


def test_a_restore_that_does_not_match_the_manifest_fails(migrated, tmp_path):
    """The rows restored are counted against the manifest before any migration: a
    mismatch (here a manifest that lists one customer more) exits non-zero and says so."""
    factories.make_customer(name="Counted Ltd")
    archive = tmp_path / "b.tar"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    with tarfile.open(archive) as tar:
        tables = json.load(tar.extractfile("manifest.json"))["tables"]
    wrong = rewritten(
        archive, tmp_path / "wrong.tar.gz", with_manifest(tables={**tables, "customers": 2})
    )

    result = cli(migrated, "backup", "restore", str(wrong), "--yes")

    assert result.exit_code == 1
    assert "does not hold the rows the backup lists (tables: customers)" in result.output


def test_answering_no_changes_nothing(migrated, tmp_path):
    """Without --yes the restore shows what it would replace and asks; "n" keeps all."""
    archive = tmp_path / "b.tar.gz"
    assert cli(migrated, "backup", "create", str(archive)).exit_code == 0
    factories.make_customer(name="Made After Backup")
    store().write("photos/aa/after.jpg", b"after")

    result = cli(migrated, "backup", "restore", str(archive), input="n\n")

    assert result.exit_code == 0, result.output
    rows_now = backup_services.current_rows()
    assert f"{describe(db.engine.url)} ({rows_now} rows now)" in result.output
    assert "Replace the data with this backup?" in result.output
    assert "Nothing was changed." in result.output
    assert customer_names() == {"Made After Backup"}
    assert store().exists("photos/aa/after.jpg")


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
