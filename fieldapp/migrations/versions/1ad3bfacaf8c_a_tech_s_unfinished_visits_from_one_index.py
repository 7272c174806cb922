"""a tech's unfinished visits, newest first, from one index

SQLite's planner preferred ix_visits_tech_id_started_at (it spares a sort) over
ix_visits_tech_id_status and read every visit the tech had ever logged: 23 ms on each plotter
page of a large database. One index on (tech_id, status, started_at) serves the filter and the
order on both databases.

Revision ID: 1ad3bfacaf8c
Revises: 47c843e44a4b
Create Date: 2026-11-28 00:25:41.511222

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "1ad3bfacaf8c"
down_revision = "47c843e44a4b"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_tech_id_status")
        batch_op.create_index(
            "ix_visits_tech_id_status_started_at", ["tech_id", "status", "started_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_tech_id_status_started_at")
        batch_op.create_index("ix_visits_tech_id_status", ["tech_id", "status"], unique=False)
