"""flask user create | list | deactivate."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from fieldapp.auth.models import ROLES
from fieldapp.auth.queries import all_users
from fieldapp.errors import ServiceError
from fieldapp.inventory import vans
from fieldapp.office import leaving
from fieldapp.unit_of_work import unit_of_work

user_cli = AppGroup("user", help="Manage who can sign in.")


def _fail(exc: ServiceError) -> None:
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@user_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name, as colleagues see it.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@click.option("--phone", default="", help="Mobile number (optional).")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (scripts)."
)
def create(email: str, name: str, role: str, phone: str, password_stdin: bool) -> None:
    """Create a user who can sign in with EMAIL."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work():
            user = vans.add_user(email, name, role, password, phone=phone, actor_id=None)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Created {user.role} {user.name} <{user.email}>")


@user_cli.command("list")
def list_users() -> None:
    """List users with their role and whether they can sign in."""
    users = sorted(all_users(), key=lambda user: (user.role, user.email))
    if not users:
        click.echo("No users yet. Create one with: flask --app fieldapp user create EMAIL ...")
        return
    for user in users:
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email:<36} {user.role:<7} {state:<12} {user.name}")


@user_cli.command("deactivate")
@click.argument("email")
@click.option(
    "--van-stock-to",
    type=click.IntRange(1, 2**31 - 1),
    default=None,
    help="Location id that takes a tech's van stock (default: the warehouse).",
)
@click.option(
    "--jobs-to",
    default="",
    help="Email of the active tech who takes the open jobs (default: back to unassigned).",
)
def deactivate(email: str, van_stock_to: int | None, jobs_to: str) -> None:
    """Stop EMAIL from signing in (their records stay): their open jobs go back to the
    unassigned ones and a tech's van stock moves. A job under way needs a tech first."""
    try:
        with unit_of_work():
            held = leaving.deactivate_by_email(
                email, jobs_to_email=jobs_to, stock_to_id=van_stock_to, actor_id=None
            )
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Deactivated {held.user.email}")
    if held.jobs:
        numbers = ", ".join(job.number for job in held.jobs)
        where = f"Now with {jobs_to}" if jobs_to else "Back with the unassigned jobs"
        click.echo(f"{where}: {numbers}")
    if held.parts:
        click.echo(f"{held.parts} part{'s' if held.parts != 1 else ''} moved out of the van")
