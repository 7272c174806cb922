"""Making a backup, checking one and restoring it; and the backup taken before an upgrade."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from botocore.exceptions import BotoCoreError, ClientError
from flask import current_app
from flask_migrate import upgrade

from fieldapp.backup import archive, databases
from fieldapp.backup.archive import BackupError
from fieldapp.extensions import db
from fieldapp.photos.services import store
from fieldapp.photos.storage import STORED_NAME

# A backup is taken again when a file its rows name went away while it was made (a photo
# removal or a new logo committed between the snapshot and the reading of the files).
ATTEMPTS = 3


@dataclass(frozen=True)
class Made:
    """A backup written: where, its manifest and its size in bytes."""

    path: Path
    manifest: dict
    size: int


@dataclass(frozen=True)
class Restored:
    """A restore done: the manifest restored, and the revision it was migrated to (if any)."""

    manifest: dict
    migrated_to: str | None


def dialect() -> str:
    return db.engine.url.get_backend_name()


def database_description() -> str:
    return databases.describe(db.engine.url)


def create_backup(target: Path) -> Made:
    """Write one archive of the database (a consistent snapshot, taken while the app runs)
    and every stored file to target. Nothing is left under target if it fails."""
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file to write.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    name = dialect()
    if name not in archive.DATABASE_MEMBERS:
        raise BackupError(f"FieldApp cannot back up a {name} database.")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _take_backup(target, name, last_attempt=attempt == ATTEMPTS)
        except _FilesGone:
            continue
    raise AssertionError("the last attempt keeps what is missing")  # pragma: no cover


class _FilesGone(BackupError):
    """Files the snapshot's rows name were not in the store when it was read."""

    def __init__(self, missing: set[str]):
        super().__init__(f"{len(missing)} file(s) missing")
        self.count, self.example = len(missing), min(missing)


def _take_backup(target: Path, name: str, *, last_attempt: bool) -> Made:
    """One try; a file the rows name that is missing makes it fail, unless it is the last
    try: a file lost for good must not stop every backup, so it is listed in the manifest
    (missing_files) and the command warns."""
    member = archive.DATABASE_MEMBERS[name]
    with tempfile.TemporaryDirectory(prefix=".fieldapp-backup-", dir=target.parent) as work:
        copy = Path(work) / Path(member).name
        # The database first, then the files: a photo's file is put in place after its row
        # commits, so every photo in the snapshot has its file by the time files are read;
        # one removed since then is missed, and the whole backup taken again.
        taken_at = datetime.now(UTC)
        if name == "sqlite":
            snapshot = databases.snapshot_sqlite(db.engine.url, copy)
        else:
            snapshot = databases.snapshot_postgresql(db.engine, copy)
        files = store()
        with archive.written_atomically(target) as writer:
            writer.add_path(member, copy)
            entries = []
            for stored in files.names():
                try:
                    data = files.read(stored)
                except FileNotFoundError:  # removed since it was listed: a removal committed
                    continue
                writer.add_bytes(archive.FILES + stored, data)
                entries.append(archive.entry(stored, data))
            missing = snapshot.files - {item["name"] for item in entries}
            if missing and not last_attempt:
                raise _FilesGone(missing)
            manifest = {
                "format": archive.FORMAT,
                "format_version": archive.FORMAT_VERSION,
                "created_at": taken_at.isoformat(timespec="seconds"),
                "dialect": name,
                "revision": snapshot.revision,
                "tables": snapshot.tables,
                "database": archive.file_entry(member, copy),
                "files": entries,
                "missing_files": sorted(missing),
            }
            writer.add_bytes(archive.MANIFEST, json.dumps(manifest, indent=2).encode())
    return Made(target, manifest, target.stat().st_size)


def _scripts(directory: str | None = None) -> ScriptDirectory:
    migrate = current_app.extensions["migrate"]
    return ScriptDirectory.from_config(migrate.migrate.get_config(directory or migrate.directory))


def schema_heads(directory: str | None = None) -> tuple[str, ...]:
    """The newest revision(s) of this code's migrations."""
    return tuple(_scripts(directory).get_heads())


def read_backup(path: Path) -> dict:
    """The manifest of a backup this app can restore, after checking the whole archive;
    a damaged file, another database type or a newer schema is refused."""
    manifest = archive.read_manifest(Path(path))
    if manifest["dialect"] != dialect():
        raise BackupError(
            f"{path} is a backup of a {manifest['dialect']} database; this app uses {dialect()}."
        )
    revision = manifest["revision"]
    if revision is None:
        raise BackupError(
            f"{path} records no schema revision (its database was never migrated): "
            "it cannot be restored safely."
        )
    try:
        found = _scripts().get_revision(revision)
        known = found is not None and found.revision == revision
    except CommandError:
        known = False
    if not known:
        raise BackupError(
            f"{path} was made at schema revision {revision}, which this version of FieldApp "
            "does not know (a newer version made it). Restore it with that version."
        )
    return manifest


def restore_backup(path: Path, manifest: dict) -> Restored:
    """Replace the database and the stored files with the backup's (read_backup checked
    it), then migrate an older schema up to this code's head. Its database must hold the
    rows and the revision its manifest lists, checked before anything is replaced (SQLite)
    or inside the transaction that replaces it (PostgreSQL): a mismatch changes nothing.
    Files stored since the backup are deleted last, once the database is restored."""
    path = Path(path)
    member = manifest["database"]["name"]
    revision, tables = manifest["revision"], manifest["tables"]
    with tempfile.TemporaryDirectory(prefix="fieldapp-restore-") as work:
        copy = Path(work) / Path(member).name
        with copy.open("wb") as target:
            archive.copy_member(path, manifest, member, target)
        if manifest["dialect"] == "sqlite":
            databases.check_matches(databases.sqlite_snapshot(copy), revision, tables)
        # The files first: they only add to the store (a file never changes under its name),
        # so the database restored never names a file that is not there.
        _write_files(path, manifest)
        # Our own pooled connections would hold locks (PostgreSQL) or stale pages.
        db.session.remove()
        db.engine.dispose()
        if manifest["dialect"] == "sqlite":
            databases.replace_sqlite(db.engine.url, copy)
        else:  # checked inside the restore's transaction
            databases.replace_postgresql(db.engine, copy, Path(work), revision, tables)
        db.engine.dispose()
    _delete_files_not_in(manifest)
    migrated_to = None
    if manifest["revision"] not in schema_heads():
        upgrade()
        migrated_to = ", ".join(schema_heads())
    return Restored(manifest, migrated_to)


def _write_files(path: Path, manifest: dict) -> None:
    """Every file of the backup written back."""
    files = store()
    for stored, data in archive.stored_files(path, manifest):
        files.write(stored, data)


def _delete_files_not_in(manifest: dict) -> None:
    """The files the app stored since the backup deleted; anything else beside them (under
    the bucket's prefix or in the folder) is not the app's and stays."""
    files = store()
    kept = {item["name"] for item in manifest["files"]}
    for stored in list(files.names()):
        if stored not in kept and STORED_NAME.fullmatch(stored):
            files.delete(stored)


def revision_behind_head(directory: str | None = None) -> str | None:
    """The database's revision when an upgrade would migrate it; None for a database not
    made yet (a first start), never migrated, or at head already."""
    url = db.engine.url
    if dialect() == "sqlite":
        try:
            exists = databases.sqlite_file(url).is_file()
        except BackupError:
            return None
        if not exists:  # connecting would make an empty file; the upgrade makes it anyway
            return None
    with db.engine.connect() as connection:
        current = databases.revision(connection)
    if current is None or current in schema_heads(directory):
        return None
    return current


def backup_folder() -> Path:
    folder = current_app.config.get("BACKUP_FOLDER")
    return Path(folder) if folder else Path(current_app.instance_path) / "backups"


def backup_before_upgrade(from_revision: str) -> Made:
    """The backup `flask db upgrade` takes of a SQLite database before migrating it."""
    folder = backup_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return create_backup(folder / f"before-upgrade-{from_revision}-{stamp}.tar.gz")


# What the database, the bucket or a migration raise when one fails under a backup or a
# restore (BackupError and OSError aside), and what the message says failed.
FAILURES = (sqlite3.Error, sa.exc.SQLAlchemyError, ClientError, BotoCoreError, CommandError)


def failure_text(error: Exception) -> str:
    """What failed, for one of FAILURES."""
    if isinstance(error, ClientError | BotoCoreError):
        return f"the file store (S3) failed or refused: {error}"
    if isinstance(error, CommandError):
        return f"the migration failed: {error}"
    return f"the database failed: {getattr(error, 'orig', None) or error}"


def total_rows(manifest: dict) -> int:
    return sum(count for table, count in manifest["tables"].items() if table != "alembic_version")


def current_rows() -> int | None:
    """Rows in the database now (shown before a restore replaces them); None if unreadable."""
    try:
        with db.engine.connect() as connection:
            counts = databases.row_counts(connection)
    except sa.exc.SQLAlchemyError:
        return None
    return sum(count for table, count in counts.items() if table != "alembic_version")
