"""meter steps, consumable parts, settings

sop_steps.meter: a measure step whose value is the plotter's meter reading (the visit asks for
the meter once). Published steps titled like a meter reading become the meter step of their
version (the first such step of each).
parts.consumable: wipes, swabs and kits never raise a recurrence hint; parts of the consumable
category are marked.
settings: what the office sets in the app (job kinds that need a procedure, who gets
follow-up jobs).

Revision ID: 540a6366f4a5
Revises: 5e90ecf6edee
Create Date: 2026-11-29 07:42:32.194663

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "540a6366f4a5"
down_revision = "5e90ecf6edee"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_settings_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consumable", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("sop_steps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("meter", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_check_constraint(
            op.f("ck_sop_steps_meter_is_measure"), "NOT meter OR kind = 'measure'"
        )

    op.execute(
        "UPDATE sop_steps SET meter = true WHERE id IN (SELECT min(id) FROM sop_steps "
        "WHERE kind = 'measure' AND lower(title) LIKE '%meter reading%' GROUP BY version_id)"
    )
    op.execute("UPDATE parts SET consumable = true WHERE category = 'consumable'")


def downgrade():
    with op.batch_alter_table("sop_steps", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sop_steps_meter_is_measure"), type_="check")
        batch_op.drop_column("meter")

    with op.batch_alter_table("parts", schema=None) as batch_op:
        batch_op.drop_column("consumable")

    op.drop_table("settings")
