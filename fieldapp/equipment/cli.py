"""flask import plotters FILE [--dry-run]: the plotters file, as the import page takes it."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from fieldapp.csvimport import ImportPreview
from fieldapp.equipment.imports import import_plotters
from fieldapp.errors import ServiceError
from fieldapp.unit_of_work import unit_of_work

import_cli = AppGroup("import", help="Bring the company's data in from CSV files.")


@import_cli.command("plotters")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; change nothing.")
def plotters(file: Path, dry_run: bool) -> None:
    """Import customers, sites, contacts and plotters from FILE (the plotters export's
    columns). Rows with errors are skipped and listed; the exit status is 1 when any was."""
    try:
        if dry_run:
            preview = import_plotters(file.read_bytes(), actor_id=None, dry_run=True)
        else:
            with unit_of_work():
                preview = import_plotters(file.read_bytes(), actor_id=None, filename=file.name)
    except ServiceError as exc:
        message = "; ".join(m for messages in exc.fields.values() for m in messages)
        raise click.ClickException(f"{file.name}: {message or exc.message}") from exc
    _report(preview, file.name, dry_run)
    if preview.counts["error"]:
        raise SystemExit(1)


def _report(preview: ImportPreview, name: str, dry_run: bool) -> None:
    for row in preview.rows:
        if row.errors:
            for column, messages in row.errors.items():
                where = "" if column == "row" else f"{column}: "
                for message in messages:
                    click.echo(f"row {row.number}: {where}{message}", err=True)
        elif row.changes and dry_run:
            click.echo(f"row {row.number}: {row.status}: {'; '.join(row.changes)}")
    counts = preview.counts
    verb = "Checked (nothing changed)" if dry_run else "Imported"
    skipped = f"{counts['error']:,} with errors{' would be' if dry_run else ''} skipped"
    click.echo(
        f"{verb} {name}: {counts['new']:,} new, {counts['updated']:,} updated, "
        f"{counts['unchanged']:,} unchanged, {skipped}."
    )
