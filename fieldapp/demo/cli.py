"""`flask seed-demo`: load the demo business into an empty database and print its sign-ins."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from fieldapp.auth.models import User
from fieldapp.customers.models import Customer
from fieldapp.equipment.models import Equipment
from fieldapp.extensions import db
from fieldapp.jobs.models import Job
from fieldapp.unit_of_work import unit_of_work

from .data import DEMO_PASSWORD, DEMO_USERS
from .seed import seed_demo_data

DEFAULT_SEED = 1042


@click.command("seed-demo")
@click.option("--force", is_flag=True, help="Delete every row in the database, then seed.")
@click.option(
    "--if-empty", is_flag=True, help="Seed only when the database is empty; otherwise do nothing."
)
@click.option(
    "--seed",
    "seed",
    type=int,
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed; the same seed gives the same business (dates follow today).",
)
@with_appcontext
def seed_demo(force: bool, if_empty: bool, seed: int) -> None:
    """Load the demo business: team, customers, plotters, SOPs, parts and 18 months of visits."""
    if force and if_empty:
        raise click.UsageError("Use either --force or --if-empty, not both.")
    try:
        with unit_of_work():
            empty = database_is_empty()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        raise click.ClickException(
            "The database has no tables yet. Run `flask --app fieldapp db upgrade` first."
        ) from exc
    if not empty:
        if if_empty:
            click.echo("Database already has data; demo data not loaded.")
            _echo_sign_ins(existing_only=True)
            return
        if not force:
            raise click.ClickException(
                "The database already has data (users, customers, plotters or jobs). "
                "seed-demo only fills an empty database; use --force to delete everything "
                "and reseed."
            )
    started = time.perf_counter()
    with unit_of_work():
        if not empty:
            delete_all_rows()
        summary = seed_demo_data(random.Random(seed), datetime.now(UTC), _timezone())
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{count} {name}" for name, count in summary.items())
    click.echo(f"Demo data loaded in {elapsed:.1f} s: {counts}.")
    _echo_sign_ins(existing_only=False)


def database_is_empty() -> bool:
    """True when there are no users, customers, plotters or jobs."""
    return not any(
        db.session.scalar(sa.select(sa.literal(1)).select_from(model).limit(1))
        for model in (User, Customer, Equipment, Job)
    )


def delete_all_rows() -> None:
    """Empty every table, children first, in the current transaction (committed by the seed)."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    if db.engine.dialect.name == "postgresql":
        # PostgreSQL sequences survive DELETE; restart them so a reseed numbers jobs from J-1001
        # again. SQLite reuses max(id) + 1 by itself.
        for table in db.metadata.sorted_tables:
            column = table.autoincrement_column
            if column is not None:
                db.session.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence(:table, :column), 1, false)"),
                    {"table": table.name, "column": column.name},
                )


def _timezone() -> tzinfo:
    try:
        return ZoneInfo(current_app.config.get("TIMEZONE") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _echo_sign_ins(*, existing_only: bool) -> None:
    """Print the demo accounts; with existing_only, only those still there and unchanged."""
    rows = [("role", "name", "email", "password")]
    for demo in DEMO_USERS:
        if existing_only:
            user = db.session.scalar(sa.select(User).where(User.email == demo["email"]))
            if user is None or not user.active or not user.check_password(DEMO_PASSWORD):
                continue
        rows.append((demo["role"], demo["name"], demo["email"], DEMO_PASSWORD))
    if len(rows) == 1:
        return
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    click.echo("\nDemo sign-ins:")
    for row in rows:
        cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        click.echo("  " + "  ".join(cells).rstrip())
