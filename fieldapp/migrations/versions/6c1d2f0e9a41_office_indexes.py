"""index jobs by status and closed_at, messages by created_at (the office's board, reports
and unread counts)

Revision ID: 6c1d2f0e9a41
Revises: 050644a881ae
Create Date: 2026-11-27 22:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "6c1d2f0e9a41"
down_revision = "050644a881ae"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index("ix_jobs_status_closed_at", ["status", "closed_at"], unique=False)
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_created_at", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_created_at")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_status_closed_at")
