"""The offline pack's change log: which pack records each transaction changed, read by a
phone's ?since= cursor

Revision ID: d4e7a1c9b350
Revises: 3251e9a2f806
Create Date: 2026-12-07 14:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d4e7a1c9b350"
down_revision = "3251e9a2f806"
branch_labels = None
depends_on = None


class _Xid8(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_kw):
        return "xid8"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        # The writing transaction's id: a delta re-reads the entries of the transactions
        # still in flight when the phone's pack was read.
        xid = sa.Column("xid", _Xid8(), server_default=sa.text("pg_current_xact_id()"))
    else:
        xid = sa.Column("xid", sa.BigInteger(), server_default=sa.text("0"))
    xid.nullable = False
    op.create_table(
        "pack_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        xid,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_changes")),
    )
    with op.batch_alter_table("pack_changes", schema=None) as batch_op:
        batch_op.create_index("ix_pack_changes_changed_at", ["changed_at"], unique=False)
        batch_op.create_index("ix_pack_changes_xid", ["xid"], unique=False)


def downgrade():
    with op.batch_alter_table("pack_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_pack_changes_xid")
        batch_op.drop_index("ix_pack_changes_changed_at")

    op.drop_table("pack_changes")
