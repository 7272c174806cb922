"""FieldApp: the field-service app for a wide-format plotter service company."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from fieldapp.config import (
    apply_production_rules,
    defaults,
    ensure_secret_key,
    from_environment,
    normalise_database_url,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: defaults, then FIELDAPP_* variables, then the test mapping."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        static_url_path="/static",
    )
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_templating(app)
    register_errors(app)
    register_cli(app)
    return app


def configure(app: Flask, test_config: dict | None) -> None:
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_mapping(from_environment(os.environ))
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"].rstrip("/")
    ensure_secret_key(app.config, app.instance_path)
    apply_production_rules(app.config)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)


def register_extensions(app: Flask) -> None:
    from fieldapp import models  # noqa: F401  (every table on one metadata)
    from fieldapp.database import configure_sqlite
    from fieldapp.extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        from fieldapp.auth.models import User

        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user and user.active else None


def register_blueprints(app: Flask) -> None:
    # Importing a feature's api module adds its routes to the shared /api/v1 blueprint.
    import fieldapp.auth.api  # noqa: F401
    import fieldapp.equipment.api  # noqa: F401
    import fieldapp.messages.api  # noqa: F401
    import fieldapp.office.api  # noqa: F401
    import fieldapp.sync.api  # noqa: F401
    import fieldapp.visits.api  # noqa: F401
    from fieldapp.api import api
    from fieldapp.auth.views import bp as auth_bp
    from fieldapp.customers.views import bp as customers_bp
    from fieldapp.equipment.printing import bp as printing_bp
    from fieldapp.equipment.views import bp as equipment_bp
    from fieldapp.home import bp as home_bp
    from fieldapp.inventory.views import bp as inventory_bp
    from fieldapp.jobs.views import bp as jobs_bp
    from fieldapp.messages.views import bp as messages_bp
    from fieldapp.office.views import bp as office_bp
    from fieldapp.public.views import bp as public_bp
    from fieldapp.pwa import bp as pwa_bp
    from fieldapp.sops.views import bp as sops_bp
    from fieldapp.sync.views import bp as sync_bp
    from fieldapp.visits.views import bp as visits_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(sops_bp)
    app.register_blueprint(equipment_bp)
    app.register_blueprint(printing_bp)
    app.register_blueprint(visits_bp)
    app.register_blueprint(customers_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(inventory_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(office_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(sync_bp)
    app.register_blueprint(api)


def register_request_hooks(app: Flask) -> None:
    from fieldapp.auth.access import refuse_undeclared_endpoints

    app.before_request(refuse_undeclared_endpoints)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response


def register_templating(app: Flask) -> None:
    from fieldapp.templating import register

    register(app)


def register_errors(app: Flask) -> None:
    from fieldapp.errors import register_error_handlers

    register_error_handlers(app)


def register_cli(app: Flask) -> None:
    from fieldapp.cli import register_commands

    register_commands(app)
