"""flask backup create | restore, and `flask db upgrade` that backs up SQLite first."""

from __future__ import annotations

from pathlib import Path

import click
from flask import g
from flask.cli import AppGroup, with_appcontext
from flask_migrate.cli import db as migrate_cli

from fieldapp.backup import services
from fieldapp.backup.archive import BackupError
from fieldapp.templating import file_size

backup_cli = AppGroup("backup", help="Back up and restore the database and stored files.")


def summary(made: services.Made) -> str:
    manifest = made.manifest
    return (
        f"Backed up {manifest['dialect']} at revision {manifest['revision'] or '(none)'}: "
        f"{len(manifest['tables'])} tables, {services.total_rows(manifest)} rows, "
        f"{len(manifest['files'])} files -> {made.path} ({file_size(made.size)})"
    ) + _missing_files_warning(manifest["missing_files"])


def _missing_files_warning(missing: list[str]) -> str:
    if not missing:
        return ""
    return (
        f"\nWarning: {len(missing)} stored file(s) named by the database are not in the store "
        f"(lost before this backup), e.g. {missing[0]}; the manifest lists them."
    )


@backup_cli.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def create(file: Path) -> None:
    """Write a backup of the database and every stored file to FILE (.tar, or .tar.gz)."""
    try:
        made = services.create_backup(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:  # a full disk, an unreadable stored file: nothing is left at FILE
        raise click.ClickException(f"The backup failed, nothing was written: {exc}") from exc
    except services.FAILURES as exc:
        raise click.ClickException(
            f"The backup failed, nothing was written: {services.failure_text(exc)}"
        ) from exc
    click.echo(summary(made))


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the data.")
def restore(file: Path, yes: bool) -> None:
    """Replace the database and the stored files with the backup in FILE."""
    try:
        manifest = services.read_backup(file)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows_now = services.current_rows()
    click.echo(
        f"Backup of {manifest['created_at']} (revision {manifest['revision']}): "
        f"{services.total_rows(manifest)} rows in {len(manifest['tables'])} tables, "
        f"{len(manifest['files'])} files."
    )
    click.echo(
        f"It replaces everything in {services.database_description()}"
        f" ({'?' if rows_now is None else rows_now} rows now) and every stored file."
    )
    if not yes and not click.confirm("Replace the data with this backup?", default=False):
        click.echo("Nothing was changed.")
        return
    try:
        restored = services.restore_backup(file, manifest)
    except (BackupError, OSError) as exc:
        raise click.ClickException(f"The restore did not finish: {exc}") from exc
    except services.FAILURES as exc:
        raise click.ClickException(
            f"The restore did not finish: {services.failure_text(exc)}"
        ) from exc
    click.echo(
        f"Restored {services.total_rows(manifest)} rows and {len(manifest['files'])} files "
        f"from {file}."
    )
    if restored.migrated_to:
        click.echo(
            f"The backup's schema ({manifest['revision']}) was older: migrated it to "
            f"{restored.migrated_to}."
        )


# `flask db`: Flask-Migrate's commands, with an upgrade that first backs up a SQLite
# database it is about to migrate (PostgreSQL is backed up by the operator: pg_dump of a
# big database at every deploy is theirs to schedule).
_migrate_upgrade = migrate_cli.commands["upgrade"]


@with_appcontext
def _upgrade_after_backup(**options) -> None:
    if not options["sql"]:
        _backup_before_upgrade(options["directory"] or g.get("directory"))
    _migrate_upgrade.callback(**options)


def _backup_before_upgrade(directory: str | None) -> None:
    from_revision = services.revision_behind_head(directory)
    if from_revision is None:
        return
    if services.dialect() != "sqlite":
        click.echo(
            f"No automatic backup is taken of a {services.dialect()} database before an "
            "upgrade: take one with `flask --app fieldapp backup create FILE.tar.gz` before "
            "you upgrade."
        )
        return
    try:
        made = services.backup_before_upgrade(from_revision)
    except (BackupError, OSError) as exc:
        raise click.ClickException(f"{exc} The upgrade was not run.") from exc
    except services.FAILURES as exc:
        raise click.ClickException(
            f"The backup failed: {services.failure_text(exc)}. The upgrade was not run."
        ) from exc
    click.echo(f"Before upgrading: {summary(made)}")


db_cli = click.Group(
    name="db",
    commands={
        **migrate_cli.commands,
        "upgrade": click.Command(
            "upgrade",
            callback=_upgrade_after_backup,
            params=_migrate_upgrade.params,
            help=f"{_migrate_upgrade.help} (a SQLite database is backed up first)",
        ),
    },
    params=migrate_cli.params,
    callback=migrate_cli.callback,
    help=migrate_cli.help,
)
