"""Users, their roles, and the sign-in attempts that throttling counts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, validates
from werkzeug.security import check_password_hash, generate_password_hash

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

ROLES = ("tech", "office", "admin")
OFFICE_ROLES = ("office", "admin")


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
        # Emails are stored lower-cased so the unique constraint is case-insensitive everywhere.
        sa.CheckConstraint("email = lower(email)", name="email_lowercase"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(16))
    phone: Mapped[str] = mapped_column(sa.String(40), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # The signed-in session this user object was loaded for (not a column): Flask-Login keeps
    # get_id() in the session and remember cookies, so ending the session row ends both.
    session_key = None

    def get_id(self) -> str | None:
        return self.session_key

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions for inactive users
        return self.active

    @property
    def is_office(self) -> bool:
        return self.role in OFFICE_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name else self.email

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


def normalise_email(value: str) -> str:
    return value.strip().lower()


class LoginAttempt(db.Model):
    """One sign-in attempt; recent failures per account or address throttle new attempts."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        sa.Index("ix_login_attempts_email_at", "email", "at"),
        sa.Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    address: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(db.Model):
    """One signed-in device. Its cookies carry only the key; the row holds the key's hash, so
    deleting the row (sign-out, a password change, "sign out everywhere") ends the session
    and every copy of its cookies."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str] = mapped_column(sa.String(200), default="")
