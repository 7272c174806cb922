"""Copying a database out and back in, per dialect: SQLite through its online backup API,
PostgreSQL through pg_dump and pg_restore (the client tools must be on PATH)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext

from fieldapp.backup.archive import BackupError
from fieldapp.photos.models import Photo
from fieldapp.photos.storage import SIZES, file_name
from fieldapp.settings.models import Setting

# The setting that names the company logo's stored file (fieldapp.settings.services).
LOGO_SETTING = "company.logo"


@dataclass(frozen=True)
class Snapshot:
    """What a copy of the database holds: its schema revision, rows per table, and the
    stored files its rows name (each photo's two, the logo)."""

    revision: str | None
    tables: dict[str, int]
    files: frozenset[str]


def read_snapshot(connection: sa.Connection) -> Snapshot:
    tables = row_counts(connection)
    return Snapshot(revision(connection), tables, files_named(connection, tables))


def row_counts(connection: sa.Connection) -> dict[str, int]:
    """Rows in each table of the connection's database (its default schema)."""
    quote = connection.dialect.identifier_preparer.quote
    return {
        table: connection.exec_driver_sql(f"SELECT count(*) FROM {quote(table)}").scalar_one()
        for table in sorted(sa.inspect(connection).get_table_names())
    }


def files_named(connection: sa.Connection, tables: dict[str, int]) -> frozenset[str]:
    """The stored files the database's rows name: each photo's full image and thumbnail,
    and the company logo (an older schema may lack the tables)."""
    names: set[str] = set()
    if Photo.__tablename__ in tables:
        for photo_id, kind in connection.execute(sa.select(Photo.id, Photo.kind)):
            names.update(file_name(photo_id, size, kind) for size in SIZES)
    if Setting.__tablename__ in tables:
        logo = connection.scalar(sa.select(Setting.value).where(Setting.key == LOGO_SETTING))
        if isinstance(logo, str):
            names.add(logo)
    return frozenset(names)


def check_matches(found: Snapshot, revision: str | None, tables: dict[str, int]) -> None:
    """Refuse a copy that does not hold what the backup's manifest lists."""
    differ = sorted(
        name
        for name in set(found.tables) | set(tables)
        if found.tables.get(name) != tables.get(name)
    )
    if differ:
        raise rows_differ(", ".join(differ[:5]))
    if found.revision != revision:
        raise revision_differs(found.revision, revision)


def rows_differ(tables: str) -> BackupError:
    return BackupError(
        f"The backup's database does not hold the rows the backup lists (tables: {tables}). "
        "Nothing was changed: restore from another backup."
    )


def revision_differs(found: str | None, listed: str | None) -> BackupError:
    return BackupError(
        f"The backup's database is at schema revision {found or '(none)'}, but its manifest "
        f"says {listed}: the backup was changed. Nothing was changed: restore from another "
        "backup."
    )


def revision(connection: sa.Connection) -> str | None:
    """The Alembic revision the database is at (None: never migrated, or no tables)."""
    return MigrationContext.configure(connection).get_current_revision()


def describe(url: sa.URL) -> str:
    """The database URL as a person may be shown it: password hidden."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


# -- SQLite ------------------------------------------------------------------------------


def sqlite_file(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"Only a SQLite database in a file can be backed up, not {url}.")
    return Path(url.database)


def snapshot_sqlite(url: sa.URL, target: Path) -> Snapshot:
    """Copy the live database into target with SQLite's online backup API: one consistent
    copy, taken while the app keeps reading and writing."""
    source_file = sqlite_file(url)
    if not source_file.is_file():
        raise BackupError(f"There is no database at {source_file} to back up.")
    with (
        closing(sqlite3.connect(source_file, timeout=30)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
        # The copy is one self-contained file (the live database runs in WAL mode).
        copy.execute("PRAGMA journal_mode=DELETE")
    return sqlite_snapshot(target)


def sqlite_snapshot(copy: Path) -> Snapshot:
    """What the SQLite database file copy holds."""
    engine = sa.create_engine(f"sqlite:///{copy}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return read_snapshot(connection)
    finally:
        engine.dispose()


def replace_sqlite(url: sa.URL, source_file: Path) -> None:
    """Overwrite the live database with the copy, through the backup API: every page is
    replaced in one step under SQLite's lock (tables made since the backup go too), and a
    running app's connections see the restored database on their next read."""
    live = sqlite_file(url)
    with (
        closing(sqlite3.connect(source_file)) as source,
        closing(sqlite3.connect(live, timeout=30)) as target,
    ):
        source.backup(target)


# -- PostgreSQL --------------------------------------------------------------------------


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A URL the PostgreSQL tools take, and their environment: the password goes in
    PGPASSWORD, so it never shows in the process list."""
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(tool: str, arguments: list[str], environment: dict[str, str]) -> None:
    if shutil.which(tool, path=environment.get("PATH")) is None:
        raise BackupError(
            f"{tool} was not found on PATH. Install the PostgreSQL client tools of the "
            f"server's major version (Debian/Ubuntu: apt install postgresql-client) and retry."
        )
    result = subprocess.run(
        [tool, *arguments], env=environment, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{tool} failed (exit code {result.returncode}): {detail}")


def snapshot_postgresql(engine: sa.Engine, target: Path) -> Snapshot:
    """pg_dump (custom format) of the app's schema as one snapshot: the rows counted here and
    the dump read the same exported snapshot, so the manifest matches the dump exactly.
    Other schemas of the database (a reporting copy, say) are not the app's: left out."""
    url, environment = _libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        snapshot_id = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        snapshot = read_snapshot(connection)
        _run(
            "pg_dump",
            [
                "--format=custom",
                f"--snapshot={snapshot_id}",
                f"--schema={_pattern(schema)}",
                f"--file={target}",
                "--dbname",
                url,
            ],
            environment,
        )
    return snapshot


def _pattern(schema: str) -> str:
    """The schema's name as a pg_dump pattern that matches it alone (quoted, any * or ?
    taken literally)."""
    return '"' + schema.replace('"', '""') + '"'


# Run last in the restore's transaction: a database that does not hold the rows and the
# revision the manifest lists makes it fail, so the whole restore rolls back.
_CHECK = """
SET LOCAL fieldapp.schema = :'schema';
SET LOCAL fieldapp.revision = :'revision';
SET LOCAL fieldapp.tables = :'tables';
DO $check$
DECLARE
    target text := current_setting('fieldapp.schema');
    expected jsonb := current_setting('fieldapp.tables')::jsonb;
    found jsonb := '{}';
    one text;
    counted bigint;
    differ text;
    restored text;
BEGIN
    FOR one IN SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = target LOOP
        EXECUTE format('SELECT count(*) FROM %I.%I', target, one) INTO counted;
        found := found || jsonb_build_object(one, counted);
    END LOOP;
    SELECT string_agg(name, ', ' ORDER BY name) INTO differ
    FROM (SELECT jsonb_object_keys(expected) UNION SELECT jsonb_object_keys(found)) AS t (name)
    WHERE expected -> name IS DISTINCT FROM found -> name;
    IF differ IS NOT NULL THEN
        RAISE EXCEPTION 'fieldapp-rows-differ: %', differ;
    END IF;
    IF to_regclass(format('%I.alembic_version', target)) IS NOT NULL THEN
        EXECUTE format('SELECT max(version_num) FROM %I.alembic_version', target) INTO restored;
    END IF;
    IF restored IS DISTINCT FROM current_setting('fieldapp.revision') THEN
        RAISE EXCEPTION 'fieldapp-revision-differs: %', coalesce(restored, '');
    END IF;
END
$check$;
"""
_CHECK_FAILED = re.compile(r"fieldapp-(rows-differ|revision-differs): ([^\n]*)")


def replace_postgresql(
    engine: sa.Engine, dump: Path, work: Path, revision: str, tables: dict[str, int]
) -> None:
    """Drop the app's schema and restore the dump into it, in one transaction: tables made
    after the backup are gone too, and a failure, or a restored database without the rows
    and revision the manifest lists, leaves the database as it was."""
    url, environment = _libpq(engine.url)
    with engine.connect() as connection:
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        quoted = connection.dialect.identifier_preparer.quote(schema)
    script = work / "restore.sql"
    # Objects are owned by, and granted to, whoever restores: roles of the backed-up
    # server need not exist here.
    _run(
        "pg_restore", ["--no-owner", "--no-privileges", f"--file={script}", str(dump)], environment
    )
    prelude = work / "prelude.sql"
    # A connection of the running app that sits in a transaction would hold the drop up
    # for ever: give up after a minute (the transaction rolls back, nothing changes).
    # The dump makes the schema again (the public one too).
    prelude.write_text(
        f"SET LOCAL lock_timeout = '60s';\nDROP SCHEMA IF EXISTS {quoted} CASCADE;\n"
    )
    check = work / "check.sql"
    check.write_text(_CHECK)
    # Without the notices of every object the drop cascades to.
    environment["PGOPTIONS"] = f"{environment.get('PGOPTIONS', '')} -c client_min_messages=warning"
    try:
        _run(
            "psql",
            [
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                f"--set=schema={schema}",
                f"--set=revision={revision}",
                f"--set=tables={json.dumps(tables)}",
                f"--file={prelude}",
                f"--file={script}",
                f"--file={check}",
                "--dbname",
                url,
            ],
            environment,
        )
    except BackupError as exc:
        failed = _CHECK_FAILED.search(str(exc))
        if failed is None:
            raise
        what, detail = failed.groups()
        if what == "rows-differ":
            raise rows_differ(detail) from exc
        raise revision_differs(detail or None, revision) from exc
