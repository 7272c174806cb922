"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

import fieldapp as migrate_module
from fieldapp import create_app
from fieldapp.extensions import db


def migrating_app(database_url: str, tmp_path):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "x",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )


def copy_of_migrations(tmp_path) -> Path:
    """The app's migrations in a folder a test may add revisions to."""
    directory = tmp_path / "migrations"
    source = Path(migrate_module.__file__).parent / "migrations"
    shutil.copytree(source, directory, ignore=shutil.ignore_patterns("__pycache__"))
    return directory


def test_migrations_equal_the_models(empty_database_url, tmp_path):
    """Does autogenerate find no difference between the upgraded database and the models?"""
    app = migrating_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == []
        downgrade(revision="base")
        with db.engine.connect() as connection:
            remaining = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        assert remaining == set()
        db.engine.dispose()


FAILING_REVISION = '''"""a migration that fails half-way"""

from alembic import op

revision = "f41100000000"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_jobs_problem_half_way", "jobs", ["kind", "priority"])
    {failure}


def downgrade():
    op.drop_index("ix_jobs_problem_half_way", "jobs")
'''


def test_a_failed_migration_leaves_the_database_as_it_was(empty_database_url, tmp_path):
    """A migration that fails after its first change: is that change rolled back with the
    revision unmoved, so fixing the migration and upgrading again just works?"""
    app = migrating_app(empty_database_url, tmp_path)
    directory = copy_of_migrations(tmp_path)
    with app.app_context():
        upgrade()
        head = current_revision()
        failing = directory / "versions" / "f41100000000_fails_half_way.py"
        failing.write_text(
            FAILING_REVISION.format(head=head, failure='raise RuntimeError("half way")')
        )
        with pytest.raises(SystemExit):  # Flask-Migrate reports the error and exits
            upgrade(directory=str(directory))
        assert current_revision() == head
        assert "ix_jobs_problem_half_way" not in index_names("jobs")
        failing.write_text(FAILING_REVISION.format(head=head, failure="pass"))
        upgrade(directory=str(directory))
        assert current_revision() == "f41100000000"
        assert "ix_jobs_problem_half_way" in index_names("jobs")
        db.engine.dispose()


def current_revision() -> str:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def index_names(table: str) -> set[str]:
    with db.engine.connect() as connection:
        return {index["name"] for index in sa.inspect(connection).get_indexes(table)}


# The head of the last release: its databases must upgrade with their data.
PREVIOUS_RELEASE = "1ad3bfacaf8c"

LAST_RELEASE_ROWS = [
    "INSERT INTO stock_locations (id, name, kind) VALUES (1, 'Warehouse', 'warehouse')",
    "INSERT INTO parts (id, sku, name, manufacturer, manufacturer_part_number, category,"
    " unit_cost_cents, reorder_point, active) VALUES"
    " (1, 'CON-IPA-WIPES', 'IPA wipes', 'Generic', '', 'consumable', 450, 5, true),"
    " (2, 'CR357-67010', 'Carriage belt', 'HP', 'CR357-67010', 'belt', 4200, 1, true)",
    "INSERT INTO stock_levels (part_id, location_id, quantity) VALUES (1, 1, 12), (2, 1, 3)",
    "INSERT INTO sops (id, slug, title, category, summary, active, created_at) VALUES"
    " (1, 'pm', 'Preventive maintenance', 'preventive', '', true, '2026-01-05 09:00:00')",
    "INSERT INTO sop_versions (id, sop_id, number, change_note, published_at) VALUES"
    " (1, 1, 1, '', '2026-01-05 09:00:00')",
    "INSERT INTO sop_steps (id, version_id, position, title, detail, kind, required, unit)"
    " VALUES (1, 1, 1, 'Clean the encoder strip', '', 'check', true, ''),"
    " (2, 1, 2, 'Record the meter reading', '', 'measure', true, 'sq ft')",
]


def test_the_last_release_upgrades_with_its_data(empty_database_url, tmp_path):
    """Parts and steps that stock, visits and compatibility rows point at: the upgrade
    rebuilds their tables (SQLite) and keeps every row and every reference."""
    app = migrating_app(empty_database_url, tmp_path)
    with app.app_context():
        upgrade(revision=PREVIOUS_RELEASE)
        with db.engine.begin() as connection:
            for statement in LAST_RELEASE_ROWS:
                connection.exec_driver_sql(statement)

        upgrade()

        with db.engine.connect() as connection:
            levels = connection.exec_driver_sql(
                "SELECT part_id, quantity, minimum, maximum FROM stock_levels ORDER BY part_id"
            ).all()
            consumable = (
                connection.exec_driver_sql("SELECT sku FROM parts WHERE consumable").scalars().all()
            )
            meter = connection.exec_driver_sql("SELECT id FROM sop_steps WHERE meter").all()
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        # Low at or below the reorder point R became low below the minimum R + 1 (maximum 2R).
        assert [tuple(row) for row in levels] == [(1, 12, 6, 10), (2, 3, 2, 2)]
        assert consumable == ["CON-IPA-WIPES"] and [tuple(row) for row in meter] == [(2,)]
        db.engine.dispose()


# The first rows of the last release as today's schema holds them.
HEAD_ROWS = [
    LAST_RELEASE_ROWS[0],
    LAST_RELEASE_ROWS[1]
    .replace(" reorder_point,", "")
    .replace(" 5, true", " true")
    .replace(" 1, true", " true"),
    LAST_RELEASE_ROWS[2],
]


def test_a_migration_that_breaks_a_reference_is_refused(empty_database_url, tmp_path):
    """Foreign keys are off while SQLite tables are rebuilt, so each migration is checked for
    dangling references before it commits (PostgreSQL refuses the delete by itself)."""
    app = migrating_app(empty_database_url, tmp_path)
    directory = copy_of_migrations(tmp_path)
    with app.app_context():
        upgrade()
        head = current_revision()
        with db.engine.begin() as connection:
            for statement in HEAD_ROWS:
                connection.exec_driver_sql(statement)
        (directory / "versions" / "f41100000000_fails_half_way.py").write_text(
            FAILING_REVISION.format(head=head, failure="op.execute('DELETE FROM parts')")
        )
        # Flask-Migrate turns our RuntimeError into an exit; PostgreSQL's own refusal passes.
        with pytest.raises((SystemExit, sa.exc.IntegrityError)):
            upgrade(directory=str(directory))
        assert current_revision() == head
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM parts").scalar() == 2
        db.engine.dispose()
