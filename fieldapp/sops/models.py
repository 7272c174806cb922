"""Standard operating procedures: an SOP has one draft being edited and immutable published
versions made of steps; techs sign off each version they have read (SOPs double as training)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

if TYPE_CHECKING:
    from fieldapp.auth.models import User
    from fieldapp.photos.models import Photo

STEP_KINDS = ("check", "pass_fail", "measure", "photo")
SOP_CATEGORIES = ("intake", "repair", "preventive", "parts", "other")


def range_label(low: float | None, high: float | None, unit: str = "") -> str:
    """A measure's expected range as people write it: "4 to 6 N", "at least 4 N", ""."""

    def number(value: float) -> str:
        return f"{value:,.10g}"

    suffix = f" {unit}" if unit else ""
    if low is not None and high is not None:
        return f"{number(low)} to {number(high)}{suffix}"
    if low is not None:
        return f"at least {number(low)}{suffix}"
    if high is not None:
        return f"at most {number(high)}{suffix}"
    return ""


class Sop(db.Model):
    __tablename__ = "sops"
    __table_args__ = (one_of("category", SOP_CATEGORIES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(160))
    category: Mapped[str] = mapped_column(sa.String(16))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # Plotter makes ("HP") or makes and models ("HP DesignJet T1700"); empty: every plotter.
    applies_to: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # False once retired: no longer offered for new visits; its versions and history stay.
    active: Mapped[bool] = mapped_column(default=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[SopVersion]] = relationship(
        back_populates="sop", order_by="SopVersion.number"
    )
    draft: Mapped[SopDraft | None] = relationship(back_populates="sop")

    def applies_to_plotter(self, make: str, model: str) -> bool:
        """Whether a plotter of this make and model is one this SOP is written for."""
        if not self.applies_to:
            return True
        name = f"{make} {model}".casefold()
        return any(
            name == entry.casefold() or name.startswith(entry.casefold() + " ")
            for entry in self.applies_to
        )


class SopDraft(db.Model):
    """The one text of an SOP being edited, saved as the editor types; publishing it makes
    the next version. Its content is the editor's document (see sops/schemas.py)."""

    __tablename__ = "sop_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    sop_id: Mapped[int] = mapped_column(sa.ForeignKey("sops.id"), unique=True)
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    sop: Mapped[Sop] = relationship(back_populates="draft")
    updated_by: Mapped[User | None] = relationship()


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
        sa.CheckConstraint(
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value",
            name="range_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("sop_versions.id"))
    # The same step across versions (kept when the editor carries it over): "What changed"
    # tells a moved or reworded step from a removed one and a new one.
    key: Mapped[str] = mapped_column(sa.String(36))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(200))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    kind: Mapped[str] = mapped_column(sa.String(16))
    required: Mapped[bool] = mapped_column(default=True)
    unit: Mapped[str] = mapped_column(sa.String(20), default="")
    # A measure step's expected range: a value outside it fails the step.
    min_value: Mapped[float | None]
    max_value: Mapped[float | None]
    # A measure step whose value is the plotter's meter reading: the visit asks for it once.
    meter: Mapped[bool] = mapped_column(default=False)

    version: Mapped[SopVersion] = relationship(back_populates="steps")
    images: Mapped[list[SopStepImage]] = relationship(order_by="SopStepImage.position")

    @property
    def expected(self) -> str:
        """The expected range as people write it ("4 to 6 N"), or ""."""
        return range_label(self.min_value, self.max_value, self.unit)


class SopStepImage(db.Model):
    """A reference image of a step (a diagram, a photo of the right part), stored as a photo."""

    __tablename__ = "sop_step_images"
    __table_args__ = (
        sa.UniqueConstraint("step_id", "position", name="uq_sop_step_images_step_id_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("sop_steps.id"), index=True)
    photo_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("photos.id"))
    position: Mapped[int]

    photo: Mapped[Photo] = relationship()


class SopTraining(db.Model):
    """A tech and a version of an SOP: when they signed it off ("I have read and understood
    it"), and when a trainer saw them do it; either may come first."""

    __tablename__ = "sop_trainings"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "version_id", name="uq_sop_trainings_user_id_version_id"),
        sa.CheckConstraint(
            "signed_at IS NOT NULL OR observed_at IS NOT NULL", name="signed_or_observed"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("sop_versions.id"), index=True)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    observed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    version: Mapped[SopVersion] = relationship()
    observed_by: Mapped[User | None] = relationship(foreign_keys=[observed_by_id])
