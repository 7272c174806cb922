"""Stock operations, minimum and maximum per location, suppliers, bins

stock_operations: one receive, transfer, count, adjust or return under its client-made id
(the same id again is the same operation); stock_movements.operation_id links its lines.
stock_levels.minimum/maximum: what each location should hold, replacing parts.reorder_point
(a level was low at or below the reorder point and is low below the minimum, so a part with a
reorder point R gets the minimum R + 1 and the maximum 2R, at least R + 1, at every location;
the warehouse gets a level for every part with a reorder point).
stock_movements.(part_id, at) indexed: a part's ledger newest first.
stock_locations.parent_id (a shelf or bin inside the warehouse) and active (a van handed back).
suppliers, and a part's supplier with their part number.
restock_requests/restock_lines: a tech's request for van stock, picked and received.
purchase_orders/purchase_order_lines: parts ordered from a supplier, received line by line.

Revision ID: 7e8de8e0460f
Revises: ff2acf1f8bbe
Create Date: 2026-11-29 14:51:27.534048

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7e8de8e0460f"
down_revision = "ff2acf1f8bbe"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("name", name=op.f("uq_suppliers_name")),
    )
    op.create_table(
        "stock_operations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('receive', 'transfer', 'count', 'adjust', 'return')",
            name=op.f("ck_stock_operations_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_stock_operations_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_stock_operations_part_id_parts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_operations")),
    )

    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("minimum", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("maximum", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_stock_levels_minimum_not_negative"), "minimum >= 0"
        )
        batch_op.create_check_constraint(
            op.f("ck_stock_levels_maximum_not_below_minimum"), "maximum >= minimum"
        )

    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE stock_levels SET"
            " minimum = (SELECT CASE WHEN reorder_point > 0 THEN reorder_point + 1 ELSE 0 END"
            " FROM parts WHERE parts.id = stock_levels.part_id),"
            " maximum = (SELECT CASE WHEN reorder_point > 0 THEN reorder_point + 1"
            " + CASE WHEN reorder_point > 1 THEN reorder_point - 1 ELSE 0 END ELSE 0 END"
            " FROM parts WHERE parts.id = stock_levels.part_id)"
        )
    )
    bind.execute(
        sa.text(
            "INSERT INTO stock_levels (part_id, location_id, quantity, minimum, maximum)"
            " SELECT p.id, w.id, 0, p.reorder_point + 1,"
            " p.reorder_point + 1 + CASE WHEN p.reorder_point > 1 THEN p.reorder_point - 1 ELSE 0 END"
            " FROM parts p, (SELECT MIN(id) AS id FROM stock_locations WHERE kind = 'warehouse') w"
            " WHERE w.id IS NOT NULL AND p.reorder_point > 0 AND NOT EXISTS"
            " (SELECT 1 FROM stock_levels l WHERE l.part_id = p.id AND l.location_id = w.id)"
        )
    )

    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supplier_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "supplier_part_number", sa.String(length=40), server_default="", nullable=False
            )
        )
        batch_op.create_index(batch_op.f("ix_parts_supplier_id"), ["supplier_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_parts_supplier_id_suppliers"), "suppliers", ["supplier_id"], ["id"]
        )
        batch_op.drop_constraint(op.f("ck_parts_reorder_point_not_negative"), type_="check")
        batch_op.drop_column("reorder_point")

    with op.batch_alter_table("stock_locations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_locations_parent_id_stock_locations"),
            "stock_locations",
            ["parent_id"],
            ["id"],
        )
        batch_op.drop_constraint(op.f("ck_stock_locations_kind_valid"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_stock_locations_kind_valid"), "kind IN ('warehouse', 'van', 'bin')"
        )
        batch_op.create_check_constraint(
            op.f("ck_stock_locations_bin_has_parent"), "(kind = 'bin') = (parent_id IS NOT NULL)"
        )

    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("operation_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_stock_movements_part_id_at", ["part_id", "at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stock_movements_operation_id"), ["operation_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_stock_movements_operation_id_stock_operations"),
            "stock_operations",
            ["operation_id"],
            ["id"],
        )

    # Restock requests from the vans, and their lines.
    op.create_table(
        "restock_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("van_id", sa.Integer(), nullable=False),
        sa.Column("tech_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("picked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("picked_by_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'picked', 'received', 'cancelled')",
            name=op.f("ck_restock_requests_state_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["picked_by_id"], ["users.id"], name=op.f("fk_restock_requests_picked_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tech_id"], ["users.id"], name=op.f("fk_restock_requests_tech_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["van_id"],
            ["stock_locations.id"],
            name=op.f("fk_restock_requests_van_id_stock_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restock_requests")),
    )
    with op.batch_alter_table("restock_requests", schema=None) as batch_op:
        batch_op.create_index("ix_restock_requests_state", ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_restock_requests_van_id"), ["van_id"], unique=False)

    op.create_table(
        "restock_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.CheckConstraint("asked > 0", name=op.f("ck_restock_lines_asked_positive")),
        sa.CheckConstraint(
            "received IS NULL OR received >= 0", name=op.f("ck_restock_lines_received_not_negative")
        ),
        sa.CheckConstraint(
            "sent IS NULL OR sent >= 0", name=op.f("ck_restock_lines_sent_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_restock_lines_part_id_parts")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["restock_requests.id"],
            name=op.f("fk_restock_lines_request_id_restock_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restock_lines")),
        sa.UniqueConstraint(
            "request_id", "part_id", name=op.f("uq_restock_lines_request_id_part_id")
        ),
    )
    with op.batch_alter_table("restock_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_restock_lines_request_id"), ["request_id"], unique=False
        )

    # Purchase orders and their lines.
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('draft', 'ordered', 'partly_received', 'received', 'cancelled')",
            name=op.f("ck_purchase_orders_state_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_purchase_orders_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_purchase_orders_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_orders_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_cost_cents", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_purchase_order_lines_quantity_positive")),
        sa.CheckConstraint(
            "received >= 0 AND received <= quantity",
            name=op.f("ck_purchase_order_lines_received_in_range"),
        ),
        sa.CheckConstraint(
            "unit_cost_cents >= 0", name=op.f("ck_purchase_order_lines_cost_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
            name=op.f("fk_purchase_order_lines_location_id_stock_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["part_id"], ["parts.id"], name=op.f("fk_purchase_order_lines_part_id_parts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint(
            "order_id",
            "part_id",
            "location_id",
            name=op.f("uq_purchase_order_lines_order_id_part_id_location_id"),
        ),
    )
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_lines_order_id"), ["order_id"], unique=False
        )


def downgrade():
    op.drop_table("purchase_order_lines")
    op.drop_table("purchase_orders")
    op.drop_table("restock_lines")
    op.drop_table("restock_requests")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_stock_movements_operation_id_stock_operations"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_stock_movements_operation_id"))
        batch_op.drop_index("ix_stock_movements_part_id_at")
        batch_op.drop_column("operation_id")

    op.execute("DELETE FROM stock_locations WHERE kind = 'bin'")
    with op.batch_alter_table("stock_locations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stock_locations_bin_has_parent"), type_="check")
        batch_op.drop_constraint(op.f("ck_stock_locations_kind_valid"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_stock_locations_kind_valid"), "kind IN ('warehouse', 'van')"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_stock_locations_parent_id_stock_locations"), type_="foreignkey"
        )
        batch_op.drop_column("active")
        batch_op.drop_column("parent_id")

    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reorder_point", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_parts_reorder_point_not_negative"), "reorder_point >= 0"
        )
        batch_op.drop_constraint(batch_op.f("fk_parts_supplier_id_suppliers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_parts_supplier_id"))
        batch_op.drop_column("supplier_part_number")
        batch_op.drop_column("supplier_id")

    with op.batch_alter_table("stock_levels", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stock_levels_maximum_not_below_minimum"), type_="check")
        batch_op.drop_constraint(op.f("ck_stock_levels_minimum_not_negative"), type_="check")
        batch_op.drop_column("maximum")
        batch_op.drop_column("minimum")

    op.drop_table("stock_operations")
    op.drop_table("suppliers")
