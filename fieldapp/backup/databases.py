"""Copying a database out and back in, per dialect: SQLite through its online backup API,
PostgreSQL through pg_dump and pg_restore (the client tools must be on PATH)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext

from fieldapp.backup.archive import BackupError


@dataclass(frozen=True)
class Snapshot:
    """What a copy of the database holds: its schema revision and rows per table."""

    revision: str | None
    tables: dict[str, int]


def row_counts(connection: sa.Connection) -> dict[str, int]:
    """Rows in each table of the connection's database (its default schema)."""
    quote = connection.dialect.identifier_preparer.quote
    return {
        table: connection.exec_driver_sql(f"SELECT count(*) FROM {quote(table)}").scalar_one()
        for table in sorted(sa.inspect(connection).get_table_names())
    }


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
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return Snapshot(revision(connection), row_counts(connection))
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
    """pg_dump (custom format) of the database as one snapshot: the rows counted here and
    the dump read the same exported snapshot, so the manifest matches the dump exactly."""
    url, environment = _libpq(engine.url)
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        snapshot_id = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        snapshot = Snapshot(revision(connection), row_counts(connection))
        _run(
            "pg_dump",
            ["--format=custom", f"--snapshot={snapshot_id}", f"--file={target}", "--dbname", url],
            environment,
        )
    return snapshot


def replace_postgresql(engine: sa.Engine, dump: Path, work: Path) -> None:
    """Drop the app's schema and restore the dump into it, in one transaction: tables made
    after the backup are gone too, and a failure leaves the database as it was."""
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
    prelude.write_text(
        "SET LOCAL lock_timeout = '60s';\n"
        f"DROP SCHEMA IF EXISTS {quoted} CASCADE;\nCREATE SCHEMA {quoted};\n"
    )
    _run(
        "psql",
        [
            "--no-psqlrc",
            "--quiet",
            "--single-transaction",
            "--set=ON_ERROR_STOP=1",
            f"--file={prelude}",
            f"--file={script}",
            "--dbname",
            url,
        ],
        environment,
    )
