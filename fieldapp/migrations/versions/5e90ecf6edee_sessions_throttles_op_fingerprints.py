"""server-side sessions, throttle counters, sync op fingerprints

user_sessions: a row per signed-in device, so sign-out, a password change and "sign out
everywhere" end sessions (cookies hold only the row's key). Sessions signed in before this
revision have no row: those people sign in once more.
throttle_counters: sign-in and public-request throttles, counted under a row lock.
sync_ops.fingerprint: one op id sent for two different ops is told apart from a replay.

Revision ID: 5e90ecf6edee
Revises: 1ad3bfacaf8c
Create Date: 2026-11-29 06:46:07.163709

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e90ecf6edee"
down_revision = "1ad3bfacaf8c"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("count >= 0", name=op.f("ck_throttle_counters_count_not_negative")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counters")),
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_user_sessions_key_hash")),
    )
    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("sync_ops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("sync_ops", schema=None) as batch_op:
        batch_op.drop_column("fingerprint")

    with op.batch_alter_table("user_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_sessions_user_id"))

    op.drop_table("user_sessions")
    op.drop_table("throttle_counters")
