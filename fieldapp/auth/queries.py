"""Reading users: the admin's list and the technicians work can go to."""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.auth.models import User
from fieldapp.extensions import db


def all_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.active.desc(), User.name)))


def active_techs() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User).where(User.role == "tech", User.active).order_by(User.name)
        )
    )


def every_tech() -> list[User]:
    """Technicians past and present (lists of old work filter by those who left too)."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.role == "tech").order_by(User.active.desc(), User.name)
        )
    )
