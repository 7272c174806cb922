"""Job duration and arrival window

jobs.duration_minutes: how long the visit is planned for (NULL: the job type's default from
the settings); jobs.arrival_window_minutes: the window promised to the customer after the
planned start (0: an exact time). Both kept in range by CHECK constraints.

Revision ID: b7d3c5a9e210
Revises: ab41c1b921e4
Create Date: 2026-12-06 04:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b7d3c5a9e210"
down_revision = "ab41c1b921e4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("arrival_window_minutes", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            "duration_in_range",
            "duration_minutes IS NULL OR duration_minutes BETWEEN 15 AND 720",
        )
        batch_op.create_check_constraint(
            "arrival_window_in_range", "arrival_window_minutes BETWEEN 0 AND 240"
        )


def downgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_constraint("arrival_window_in_range", type_="check")
        batch_op.drop_constraint("duration_in_range", type_="check")
        batch_op.drop_column("arrival_window_minutes")
        batch_op.drop_column("duration_minutes")
