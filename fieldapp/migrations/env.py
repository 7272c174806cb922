"""Alembic environment for Flask-Migrate (render_as_batch is set in create_app)."""

import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from fieldapp.database import configure_sqlite
from fieldapp.dbtypes import UTCDateTime

config = context.config
# Keep the app's own loggers (tests capture them) when Alembic configures logging.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def render_item(type_, obj, autogen_context):
    """Write app column types as their plain SQLAlchemy equivalents in migration scripts."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        # Do not write an empty migration when autogenerate finds no change.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    engine = target_db.engine
    if engine.dialect.name == "sqlite":
        engine = transactional_sqlite_engine(engine.url)
        conf_args.setdefault("on_version_apply", check_foreign_keys)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            # Each migration and its version stamp commit together or not at all: a failure
            # leaves the database at the previous revision, ready to upgrade again.
            transactional_ddl=True,
            transaction_per_migration=True,
            **conf_args,
        )
        with context.begin_transaction():
            context.run_migrations()
    if engine is not target_db.engine:
        engine.dispose()


def transactional_sqlite_engine(url):
    """An engine whose SQLite transactions cover DDL too.

    Python's sqlite3 commits by itself before every CREATE, ALTER or DROP, so a migration that
    fails half-way would leave its first changes behind; with the driver's own transaction
    handling off and BEGIN sent by SQLAlchemy, a failed migration rolls back whole.
    """
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    configure_sqlite(engine)

    @sa.event.listens_for(engine, "connect")
    def _own_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        # Batch mode rebuilds a table by copying it and dropping the old one, which a
        # referenced table refuses while foreign keys are enforced; check_foreign_keys checks
        # the whole database instead, before each migration commits.
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")

    return engine


def check_foreign_keys(ctx, step, heads, run_args):
    """Refuse to commit a SQLite migration that leaves a row pointing at nothing."""
    broken = ctx.connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(
            f"Migration {step.up_revision_id} leaves {len(broken)} broken reference(s), "
            f"e.g. {table} row {rowid} pointing at a missing {parent} row; nothing was changed."
        )


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
