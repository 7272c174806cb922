"""Sites and contacts

sites: the places a customer has plotters (address, access notes, opening hours);
contacts: the people there (one billing contact per customer, one site contact per site, both
kept so by partial unique indexes); equipment.site_id: the site a plotter stands at (NULL: at
the customer's own address, as every plotter was before).

Revision ID: 10723e21c3c4
Revises: b7d3c5a9e210
Create Date: 2026-12-06 12:36:23.848972

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "10723e21c3c4"
down_revision = "b7d3c5a9e210"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("access_notes", sa.Text(), nullable=False),
        sa.Column("opening_hours", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_sites_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sites_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=80), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("is_billing", sa.Boolean(), nullable=False),
        sa.Column("is_site_contact", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "NOT is_site_contact OR site_id IS NOT NULL",
            name=op.f("ck_contacts_site_contact_has_site"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_contacts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_contacts_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contacts_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contacts_site_id"), ["site_id"], unique=False)
        batch_op.create_index(
            "uq_contacts_one_billing",
            ["customer_id"],
            unique=True,
            sqlite_where=sa.text("is_billing"),
            postgresql_where=sa.text("is_billing"),
        )
        batch_op.create_index(
            "uq_contacts_one_per_site",
            ["site_id"],
            unique=True,
            sqlite_where=sa.text("is_site_contact"),
            postgresql_where=sa.text("is_site_contact"),
        )

    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_equipment_site_id"), ["site_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_equipment_site_id_sites"), "sites", ["site_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_equipment_site_id_sites"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_equipment_site_id"))
        batch_op.drop_column("site_id")

    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_contacts_one_per_site",
            sqlite_where=sa.text("is_site_contact"),
            postgresql_where=sa.text("is_site_contact"),
        )
        batch_op.drop_index(
            "uq_contacts_one_billing",
            sqlite_where=sa.text("is_billing"),
            postgresql_where=sa.text("is_billing"),
        )
        batch_op.drop_index(batch_op.f("ix_contacts_site_id"))
        batch_op.drop_index(batch_op.f("ix_contacts_customer_id"))

    op.drop_table("contacts")
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sites_customer_id"))

    op.drop_table("sites")
