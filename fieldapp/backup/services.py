"""Making a backup, checking one and restoring it; and the backup taken before an upgrade."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from flask import current_app
from flask_migrate import upgrade

from fieldapp.backup import archive, databases
from fieldapp.backup.archive import BackupError
from fieldapp.extensions import db
from fieldapp.photos.services import store


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
    member = archive.DATABASE_MEMBERS[name]
    with tempfile.TemporaryDirectory(prefix=".fieldapp-backup-", dir=target.parent) as work:
        copy = Path(work) / Path(member).name
        # The database first, then the files: a photo's file is put in place after its row
        # commits, so every photo in the snapshot has its file by the time files are read.
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
            manifest = {
                "format": archive.FORMAT,
                "format_version": archive.FORMAT_VERSION,
                "created_at": taken_at.isoformat(timespec="seconds"),
                "dialect": name,
                "revision": snapshot.revision,
                "tables": snapshot.tables,
                "database": archive.file_entry(member, copy),
                "files": entries,
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
    it), check the rows, then migrate an older schema up to this code's head."""
    path = Path(path)
    member = manifest["database"]["name"]
    with tempfile.TemporaryDirectory(prefix="fieldapp-restore-") as work:
        copy = Path(work) / Path(member).name
        with copy.open("wb") as target:
            archive.copy_member(path, manifest, member, target)
        # Our own pooled connections would hold locks (PostgreSQL) or stale pages.
        db.session.remove()
        db.engine.dispose()
        if manifest["dialect"] == "sqlite":
            databases.replace_sqlite(db.engine.url, copy)
        else:
            databases.replace_postgresql(db.engine, copy, Path(work))
        db.engine.dispose()
    with db.engine.connect() as connection:
        counts = databases.row_counts(connection)
    if counts != manifest["tables"]:
        differ = sorted(
            table
            for table in set(counts) | set(manifest["tables"])
            if counts.get(table) != manifest["tables"].get(table)
        )
        raise BackupError(
            f"The restored database does not hold the rows the backup lists (tables: "
            f"{', '.join(differ[:5])}). Restore again, or from another backup."
        )
    _restore_files(path, manifest)
    migrated_to = None
    if manifest["revision"] not in schema_heads():
        upgrade()
        migrated_to = ", ".join(schema_heads())
    return Restored(manifest, migrated_to)


def _restore_files(path: Path, manifest: dict) -> None:
    """Every file of the backup written back; files stored since then deleted."""
    files = store()
    kept = set()
    for stored, data in archive.stored_files(path, manifest):
        files.write(stored, data)
        kept.add(stored)
    for stored in list(files.names()):
        if stored not in kept:
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
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return create_backup(folder / f"before-upgrade-{from_revision}-{stamp}.tar.gz")


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
