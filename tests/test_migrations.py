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


def test_migrations_equal_the_models(empty_database_url, tmp_path):
    """Does autogenerate find no difference between the upgraded database and the models?"""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "x",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
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
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "SECRET_KEY": "x",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    source = Path(migrate_module.__file__).parent / "migrations"
    directory = tmp_path / "migrations"
    shutil.copytree(source, directory, ignore=shutil.ignore_patterns("__pycache__"))
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
