"""Defective part returns

part_returns: a defective part going back to its supplier (logged on the visit that took it
out of a plotter, at most one row per visit and part), waiting, shipped under the supplier's
RMA number, then credited or rejected; indexed by state for the open-returns list.

Revision ID: ab41c1b921e4
Revises: 7e8de8e0460f
Create Date: 2026-11-29 18:44:49.295788

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ab41c1b921e4"
down_revision = "7e8de8e0460f"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "part_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=60), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=True),
        sa.Column("equipment_id", sa.Integer(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("value_cents", sa.BigInteger(), nullable=False),
        sa.Column("rma_number", sa.String(length=40), nullable=False),
        sa.Column("credit_cents", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('waiting', 'shipped', 'credited', 'rejected')",
            name=op.f("ck_part_returns_state_valid"),
        ),
        sa.CheckConstraint(
            "credit_cents IS NULL OR credit_cents >= 0",
            name=op.f("ck_part_returns_credit_not_negative"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_part_returns_quantity_positive")),
        sa.CheckConstraint("value_cents >= 0", name=op.f("ck_part_returns_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_part_returns_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name=op.f("fk_part_returns_equipment_id_equipment")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_part_returns_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_part_returns_supplier_id_suppliers")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["visits.id"], name=op.f("fk_part_returns_visit_id_visits")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_part_returns")),
        sa.UniqueConstraint("visit_id", "part_id", name=op.f("uq_part_returns_visit_id_part_id")),
    )
    with op.batch_alter_table("part_returns", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_part_returns_part_id"), ["part_id"], unique=False)
        batch_op.create_index(
            "ix_part_returns_state_created_at", ["state", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("part_returns", schema=None) as batch_op:
        batch_op.drop_index("ix_part_returns_state_created_at")
        batch_op.drop_index(batch_op.f("ix_part_returns_part_id"))

    op.drop_table("part_returns")
