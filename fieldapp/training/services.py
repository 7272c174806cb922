"""Training records: a tech signs off an SOP version they have read, a trainer records that
they saw a tech follow one. The page, the API and the outbox name a version by its SOP's slug
and number, so they all go through sign_off_version."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import User
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Forbidden, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.sops.models import Sop, SopTraining, SopVersion
from fieldapp.sops.services import version_of
from fieldapp.wire import INT32_MAX, length_of


def _record(user_id: int, version_id: int) -> SopTraining | None:
    return db.session.scalar(
        sa.select(SopTraining).where(
            SopTraining.user_id == user_id, SopTraining.version_id == version_id
        )
    )


def sign_off(
    user: User, version: SopVersion, *, at: datetime | None = None
) -> tuple[SopTraining, bool]:
    """The tech has read and understood this version; signing twice is one sign-off (the
    first date kept). A time from the phone is kept, never one in the future. Returns (the
    record, whether this call signed it)."""
    record = _record(user.id, version.id)
    if record is not None and record.signed_at is not None:
        return record, False
    if record is None:
        record = SopTraining(user_id=user.id, version_id=version.id)
        db.session.add(record)
    record.signed_at = min(at or utcnow(), utcnow())
    record_event(
        "sop.signed_off",
        "sop",
        version.sop_id,
        f"{user.name} signed off {version.sop.title} v{version.number}",
        actor_id=user.id,
    )
    db.session.flush()
    return record, True


def record_observed(tech: User, version: SopVersion, *, trainer: User) -> SopTraining:
    """A trainer saw the tech follow this version on the job (the first trainer's date kept).
    Being seen doing it is not a sign-off: the tech still signs it off themselves."""
    if tech.role != "tech":
        raise Invalid.field("tech", "Only a tech's training is recorded.")
    record = _record(tech.id, version.id)
    if record is None:
        # An explicit NULL: left as None, the column's default would sign it off "now".
        record = SopTraining(user_id=tech.id, version_id=version.id, signed_at=sa.null())
        db.session.add(record)
    if record.observed_at is None:
        record.observed_at = utcnow()
        record.observed_by_id = trainer.id
        record_event(
            "sop.observed",
            "sop",
            version.sop_id,
            f"{trainer.name} observed {tech.name} doing {version.sop.title} v{version.number}",
            actor_id=trainer.id,
        )
    db.session.flush()
    return record


def published_version(slug: str, number: int) -> SopVersion:
    """Version number of the SOP slug, or a 404 that says which of the two is unknown."""
    # A slug no SOP can have (too long, or a NUL PostgreSQL refuses) is not looked up.
    possible = len(slug) <= length_of(Sop.slug) and "\x00" not in slug
    version = version_of(slug, number) if possible and 0 < number <= INT32_MAX else None
    if version is not None:
        return version
    if not possible or version_of(slug) is None:
        message = f"There is no SOP “{slug}”."
        raise NotFound(message, {"sop": [message]})
    message = f"There is no version {number} of this SOP."
    raise NotFound(message, {"version": [message]})


def sign_off_version(
    user: User, slug: str, number: int, *, at: datetime | None = None
) -> tuple[SopTraining, bool]:
    """A tech signs off version number of the SOP slug (at the time the phone says); signing
    it again is the same sign-off. Returns (record, whether new)."""
    if user.role != "tech":
        raise Forbidden("Only techs sign off procedures.")
    return sign_off(user, published_version(slug, number), at=at)


def record_observation(
    tech_id: int, version_id: int, *, trainer: User
) -> tuple[User, SopVersion, SopTraining]:
    """A trainer saw this tech follow this version on the job (recorded once, the first
    trainer's date kept). Returns the tech, the version and the record."""
    tech = db.session.get(User, tech_id)
    if tech is None or tech.role != "tech" or not tech.active:
        raise Invalid.field("tech", "Choose an active tech.")
    version = db.session.get(SopVersion, version_id)
    if version is None:
        raise Invalid.field("version", "That SOP version does not exist.")
    return tech, version, record_observed(tech, version, trainer=trainer)
