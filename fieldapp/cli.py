"""Register every feature's flask commands."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from fieldapp.auth.cli import user_cli
    from fieldapp.demo.cli import seed_demo

    app.cli.add_command(user_cli)
    app.cli.add_command(seed_demo)
