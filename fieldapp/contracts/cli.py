"""flask pm plan: make the PM jobs that fall due (the worker runs it once a day)."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from fieldapp.contracts.planner import PlanRun, run_planner
from fieldapp.dbtypes import utcnow
from fieldapp.localtime import company_zone, local_today
from fieldapp.unit_of_work import unit_of_work

pm_cli = AppGroup("pm", help="Preventive maintenance plans.")


def plan_today(day: date | None = None) -> PlanRun:
    """One planner run in its own unit of work, for the company's today (or the day given)."""
    with unit_of_work():
        return run_planner(day or local_today(company_zone(), utcnow()))


def report(run: PlanRun) -> str:
    made = ", ".join(job.number for job in run.made)
    return (
        f"PM planner: {run.checked} plans checked, {len(run.made)} jobs made"
        + (f" ({made})" if made else "")
        + (f", {len(run.expired)} contracts expired" if run.expired else "")
    )


@pm_cli.command("plan")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Plan as if today were this day (YYYY-MM-DD); by default the company's today.",
)
def plan_command(day) -> None:
    """Work out when every PM plan falls due and make the job of each due within its lead
    time (running it again makes no second job); contracts past their end expire."""
    click.echo(report(plan_today(day.date() if day else None)))
