"""SOP editor and training

sop_drafts: the one text of an SOP being edited, saved as the editor types.
sop_steps.key: the same step across versions ("What changed" tells moved and reworded steps
from removed and new ones); existing steps of one SOP with the same title share a key.
sop_steps.min_value/max_value: a measure step's expected range.
sop_step_images: reference images of a step, stored as photos.
sop_trainings: observed_at/observed_by_id (a trainer saw the tech do it); signed_at may be
empty when only the observation is recorded.
sops.applies_to (makes or models; empty for all) and sops.retired_at.

Revision ID: ff2acf1f8bbe
Revises: 540a6366f4a5
Create Date: 2026-11-29 10:13:38.230496

"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "ff2acf1f8bbe"
down_revision = "540a6366f4a5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sop_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sop_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["sop_id"], ["sops.id"], name=op.f("fk_sop_drafts_sop_id_sops")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_sop_drafts_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sop_drafts")),
        sa.UniqueConstraint("sop_id", name=op.f("uq_sop_drafts_sop_id")),
    )
    op.create_table(
        "sop_step_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("photo_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name=op.f("fk_sop_step_images_photo_id_photos")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"], ["sop_steps.id"], name=op.f("fk_sop_step_images_step_id_sop_steps")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sop_step_images")),
        sa.UniqueConstraint("step_id", "position", name="uq_sop_step_images_step_id_position"),
    )
    with op.batch_alter_table("sop_step_images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sop_step_images_step_id"), ["step_id"], unique=False)

    with op.batch_alter_table("sop_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("min_value", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("max_value", sa.Double(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_sop_steps_range_ordered"),
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value",
        )

    bind = op.get_bind()
    keys: dict[tuple[int, str], str] = {}
    rows = bind.execute(
        sa.text(
            "SELECT s.id, v.sop_id, s.title FROM sop_steps s "
            "JOIN sop_versions v ON v.id = s.version_id ORDER BY s.id"
        )
    ).all()
    for step_id, sop_id, title in rows:
        key = keys.setdefault((sop_id, " ".join(title.casefold().split())), str(uuid.uuid4()))
        bind.execute(
            sa.text("UPDATE sop_steps SET key = :key WHERE id = :id"), {"key": key, "id": step_id}
        )
    with op.batch_alter_table("sop_steps", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(length=36), nullable=False)

    with op.batch_alter_table("sop_trainings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("observed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("observed_by_id", sa.Integer(), nullable=True))
        batch_op.alter_column("signed_at", existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.create_index(
            batch_op.f("ix_sop_trainings_version_id"), ["version_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_sop_trainings_observed_by_id_users"),
            "users",
            ["observed_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_sop_trainings_signed_or_observed"),
            "signed_at IS NOT NULL OR observed_at IS NOT NULL",
        )

    with op.batch_alter_table("sops", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("applies_to", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE sops SET retired_at = created_at WHERE NOT active")


def downgrade():
    with op.batch_alter_table("sops", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("applies_to")

    op.execute("DELETE FROM sop_trainings WHERE signed_at IS NULL")
    with op.batch_alter_table("sop_trainings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sop_trainings_signed_or_observed"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_sop_trainings_observed_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_sop_trainings_version_id"))
        batch_op.alter_column("signed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_column("observed_by_id")
        batch_op.drop_column("observed_at")

    with op.batch_alter_table("sop_steps", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_sop_steps_range_ordered"), type_="check")
        batch_op.drop_column("max_value")
        batch_op.drop_column("min_value")
        batch_op.drop_column("key")

    with op.batch_alter_table("sop_step_images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sop_step_images_step_id"))

    op.drop_table("sop_step_images")
    op.drop_table("sop_drafts")
