"""flask mail send-queued [--loop]: the worker that sends the queued mail and push
notifications, run beside the web server; looping, it also runs the PM planner once a day."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app
from flask.cli import AppGroup

from fieldapp.contracts.cli import plan_today, report
from fieldapp.dbtypes import utcnow
from fieldapp.localtime import company_zone, local_today
from fieldapp.notify.push import Pushed, send_queued_pushes
from fieldapp.notify.sender import Sent, send_queued
from fieldapp.sync.changes import prune_pack_changes
from fieldapp.unit_of_work import roll_back, unit_of_work

log = logging.getLogger("fieldapp.mail")
mail_cli = AppGroup("mail", help="The outbox of email and push notifications.")


@mail_cli.command("send-queued")
@click.option("--loop", is_flag=True, help="Keep sending as mail is queued, until stopped.")
@click.option(
    "--interval",
    type=click.IntRange(1, 3600),
    default=10,
    show_default=True,
    help="With --loop: seconds to wait when nothing is due.",
)
def send_queued_command(loop: bool, interval: int) -> None:
    """Send the queued mail that is due (or write it to the log when no SMTP host is set),
    and the queued push notifications. A message the mail server refuses for now is tried
    again later, with a growing wait. With --loop it also makes the PM jobs that fall due,
    once a day (as `flask pm plan` does)."""
    if not current_app.config.get("MAIL_SERVER"):
        click.echo("No SMTP host is set (FIELDAPP_SMTP_HOST): mail is written to the log.")
        _log_mail_to_stderr()
    planned_on = None
    while True:
        try:
            if loop:
                planned_on = _plan_once_a_day(planned_on)
            mail, pushes = send_queued(), send_queued_pushes()
        except Exception:
            if not loop:
                raise
            # The worker outlives a fault of one round (the database restarting, say).
            log.exception("the mail worker's round failed; trying again in %s s", interval)
            roll_back()
            time.sleep(interval)
            continue
        busy = mail.handled + pushes.sent + pushes.failed
        if busy or not loop:
            _report(mail, pushes)
        if not loop:
            return
        if not busy:
            time.sleep(interval)


def _plan_once_a_day(planned_on):
    """Run the PM planner when the company's day has turned since the last run (and prune
    the offline pack's change log)."""
    today = local_today(company_zone(), utcnow())
    if planned_on != today:
        click.echo(report(plan_today(today)))
        with unit_of_work():
            click.echo(f"Pack change log: {prune_pack_changes()} old entries deleted")
    return today


def _log_mail_to_stderr() -> None:
    """The log is where mail goes without a server: each message's lines on stderr."""
    mail_log = logging.getLogger("fieldapp.mail")
    mail_log.setLevel(logging.INFO)
    if not mail_log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s] %(message)s"))
        mail_log.addHandler(handler)


def _report(mail: Sent, pushes: Pushed) -> None:
    click.echo(
        f"mail: {mail.sent} sent, {mail.logged} logged, {mail.retrying} to retry, "
        f"{mail.failed} failed; push: {pushes.sent} sent, {pushes.failed} failed, "
        f"{pushes.removed} expired subscriptions removed"
    )
    for error in mail.errors:
        click.echo(f"  {error}", err=True)
