"""Register every feature's flask commands."""

from __future__ import annotations

from flask import Flask

from fieldapp.auth.cli import user_cli
from fieldapp.backup.cli import backup_cli, db_cli
from fieldapp.contracts.cli import pm_cli
from fieldapp.demo.cli import seed_demo
from fieldapp.equipment.cli import import_cli
from fieldapp.notify.cli import mail_cli


def register_commands(app: Flask) -> None:
    app.cli.add_command(user_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(import_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(pm_cli)
    app.cli.add_command(backup_cli)
    app.cli.add_command(db_cli)  # Flask-Migrate's `db`, backing up SQLite before an upgrade
