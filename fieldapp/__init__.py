"""FieldApp: the field-service app for a wide-format plotter service company."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from fieldapp import models  # noqa: F401  (every table on one metadata)
from fieldapp.api import api
from fieldapp.auth import api as auth_api  # noqa: F401  (routes on the /api/v1 blueprint)
from fieldapp.auth.access import guard_request
from fieldapp.auth.sessions import load_session_user
from fieldapp.auth.views import bp as auth_bp
from fieldapp.cli import register_commands
from fieldapp.compression import register_compression
from fieldapp.config import (
    apply_production_rules,
    defaults,
    ensure_secret_key,
    ensure_vapid_key,
    from_environment,
    normalise_database_url,
)
from fieldapp.contracts import api as contracts_api  # noqa: F401
from fieldapp.contracts import events as contract_events  # noqa: F401  (response times, PM resets)
from fieldapp.contracts.views import bp as contracts_bp
from fieldapp.customers.views import bp as customers_bp
from fieldapp.database import configure_sqlite
from fieldapp.equipment import api as equipment_api  # noqa: F401
from fieldapp.equipment.files_views import bp as plotter_files_bp
from fieldapp.equipment.printing import bp as printing_bp
from fieldapp.equipment.views import bp as equipment_bp
from fieldapp.errors import register_error_handlers
from fieldapp.extensions import csrf, db, login_manager, mail, migrate
from fieldapp.home import bp as home_bp
from fieldapp.inventory import api as inventory_api  # noqa: F401
from fieldapp.inventory.files_views import bp as inventory_files_bp
from fieldapp.inventory.views import bp as inventory_bp
from fieldapp.jobs import api as jobs_api  # noqa: F401
from fieldapp.jobs.views import bp as jobs_bp
from fieldapp.localtime import ZONE_SOURCE
from fieldapp.messages import api as messages_api  # noqa: F401
from fieldapp.messages.views import bp as messages_bp
from fieldapp.notify import api as notify_api  # noqa: F401
from fieldapp.notify import events as notify_events  # noqa: F401  (mail and push for events)
from fieldapp.notify.views import bp as notify_bp
from fieldapp.office import api as office_api  # noqa: F401
from fieldapp.office.views import bp as office_bp
from fieldapp.photos import api as photos_api  # noqa: F401
from fieldapp.photos import services as photo_services
from fieldapp.photos.views import bp as photos_bp
from fieldapp.public.views import bp as public_bp
from fieldapp.pwa import bp as pwa_bp
from fieldapp.security import register_security
from fieldapp.settings.services import company_zone_name
from fieldapp.settings.views import bp as settings_bp
from fieldapp.sops import api as sops_api  # noqa: F401
from fieldapp.sops.views import bp as sops_bp
from fieldapp.static_files import register_static_files
from fieldapp.sync import api as sync_api  # noqa: F401
from fieldapp.sync.views import bp as sync_bp
from fieldapp.templating import register as register_templating
from fieldapp.training import api as training_api  # noqa: F401
from fieldapp.training.views import bp as training_bp
from fieldapp.visits import api as visits_api  # noqa: F401
from fieldapp.visits.views import bp as visits_bp

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The app is assembled from the feature packages; none of them imports this module.
BLUEPRINTS = (
    auth_bp,
    home_bp,
    sops_bp,
    training_bp,
    equipment_bp,
    plotter_files_bp,
    printing_bp,
    visits_bp,
    photos_bp,
    customers_bp,
    contracts_bp,
    public_bp,
    inventory_bp,
    inventory_files_bp,
    jobs_bp,
    messages_bp,
    notify_bp,
    office_bp,
    settings_bp,
    pwa_bp,
    sync_bp,
    api,
)


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
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.before_request(guard_request)
    register_security(app)
    register_static_files(app)
    register_compression(app)
    register_templating(app)
    register_error_handlers(app)
    register_commands(app)
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
    ensure_vapid_key(app.config, app.instance_path)
    apply_production_rules(app.config)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(
        app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True
    )
    # CSRF is checked by guard_request, after the sign-in check: an API call without a
    # session is told 401, not that its token is missing.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    photo_services.init_app(app)
    # Times are shown in the zone the admin chose in Settings (first run: FIELDAPP_TIMEZONE).
    app.extensions[ZONE_SOURCE] = company_zone_name
