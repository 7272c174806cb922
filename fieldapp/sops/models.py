"""Standard operating procedures: an SOP has immutable published versions made of steps."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.auth.models import User

STEP_KINDS = ("check", "pass_fail", "measure", "photo")
SOP_CATEGORIES = ("intake", "repair", "preventive", "parts", "other")


class Sop(db.Model):
    __tablename__ = "sops"
    __table_args__ = (one_of("category", SOP_CATEGORIES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    category: Mapped[str] = mapped_column(sa.String(16))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[SopVersion]] = relationship(
        back_populates="sop", order_by="SopVersion.number"
    )


class SopVersion(db.Model):
    """One published text of an SOP; never edited after publishing, a change is a new version."""

    __tablename__ = "sop_versions"
    __table_args__ = (
        sa.UniqueConstraint("sop_id", "number", name="uq_sop_versions_sop_id_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[int] = mapped_column(sa.ForeignKey("sops.id"))
    number: Mapped[int]
    change_note: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    sop: Mapped[Sop] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()
    steps: Mapped[list[SopStep]] = relationship(
        back_populates="version", order_by="SopStep.position"
    )


class SopStep(db.Model):
    __tablename__ = "sop_steps"
    __table_args__ = (
        one_of("kind", STEP_KINDS),
        sa.UniqueConstraint("version_id", "position", name="uq_sop_steps_version_id_position"),
        sa.CheckConstraint("position >= 1", name="position_positive"),
        sa.CheckConstraint("NOT meter OR kind = 'measure'", name="meter_is_measure"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("sop_versions.id"))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
    required: Mapped[bool] = mapped_column(default=True)
    unit: Mapped[str] = mapped_column(sa.String(20), default="")
    # A measure step whose value is the plotter's meter reading: the visit asks for it once.
    meter: Mapped[bool] = mapped_column(default=False)

    version: Mapped[SopVersion] = relationship(back_populates="steps")


class SopTraining(db.Model):
    """A user read and signed off a version of an SOP (SOPs double as training)."""

    __tablename__ = "sop_trainings"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "version_id", name="uq_sop_trainings_user_id_version_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("sop_versions.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
