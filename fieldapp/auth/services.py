"""Users: sign-in with throttling, and the account changes an admin (or the CLI) makes."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from fieldapp.activity.services import record_event
from fieldapp.auth.models import ROLES, LoginAttempt, User, normalise_email
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Conflict, Invalid, NotFound, Throttled
from fieldapp.extensions import db

log = logging.getLogger("fieldapp.auth")

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _recent_failures(column, value: str, window) -> int:
    since = utcnow() - window
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    )


def authenticate(email: str, password: str, address: str, *, config) -> User:
    """Return the active user with this email and password, or raise.

    Too many recent failures for the account or from the address refuse the attempt before the
    password is even checked, so guessing gains nothing while throttled.
    """
    email = normalise_email(email)
    window = config["LOGIN_THROTTLE_WINDOW"]
    minutes = int(window.total_seconds() // 60)
    if (
        _recent_failures(LoginAttempt.email, email, window) >= config["LOGIN_THROTTLE_PER_ACCOUNT"]
        or _recent_failures(LoginAttempt.address, address, window)
        >= config["LOGIN_THROTTLE_PER_ADDRESS"]
    ):
        log.warning("sign-in throttled for %s from %s", email, address)
        raise Throttled(
            f"Too many failed sign-ins. Wait {minutes} minutes and try again, "
            "or ask the office to reset your password."
        )
    user = find_user_by_email(email)
    succeeded = bool(user and user.active and user.check_password(password))
    db.session.add(LoginAttempt(email=email[:254], address=address[:64], succeeded=succeeded))
    db.session.commit()
    if not succeeded:
        log.warning("failed sign-in for %s from %s", email, address)
        raise Invalid("That email and password do not match an active account.")
    return user


def _check_fields(email: str, name: str, role: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not _EMAIL.match(email):
        errors["email"] = ["Enter an email address like sam@example.com."]
    if not name.strip():
        errors["name"] = ["Enter the person's name."]
    if role not in ROLES:
        errors["role"] = [f"Role must be one of: {', '.join(ROLES)}."]
    return errors


def check_password_strength(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid.field(
            field, f"Use at least {MIN_PASSWORD_LENGTH} characters for the password."
        )


def create_user(
    email: str, name: str, role: str, password: str, *, phone: str = "", actor_id: int | None
) -> User:
    email = normalise_email(email)
    errors = _check_fields(email, name, role)
    if errors:
        raise Invalid("Some fields need attention.", errors)
    check_password_strength(password)
    if find_user_by_email(email):
        raise Conflict(f"There is already a user with the email {email}.", {"email": ["Taken."]})
    user = User(email=email, name=name.strip(), role=role, phone=phone.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event("user.created", "user", user.id, f"Added {user.name} ({role})", actor_id=actor_id)
    db.session.commit()
    return user


def update_user(
    user: User, *, email: str, name: str, role: str, phone: str, active: bool, actor_id: int
) -> User:
    email = normalise_email(email)
    errors = _check_fields(email, name, role)
    if errors:
        raise Invalid("Some fields need attention.", errors)
    other = find_user_by_email(email)
    if other and other.id != user.id:
        raise Conflict(f"There is already a user with the email {email}.", {"email": ["Taken."]})
    if user.id == actor_id and (role != user.role or not active):
        raise Invalid("You cannot change your own role or deactivate yourself.")
    if user.role == "admin" and (role != "admin" or not active) and _active_admins() <= 1:
        raise Invalid("This is the last active admin; make someone else admin first.")
    user.email, user.name, user.role, user.phone, user.active = (
        email,
        name.strip(),
        role,
        phone.strip(),
        active,
    )
    record_event("user.updated", "user", user.id, f"Updated {user.name}", actor_id=actor_id)
    db.session.commit()
    return user


def _active_admins() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == "admin", User.active)
    )


def deactivate_user(email: str, *, actor_id: int | None) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(f"No user with the email {normalise_email(email)}.")
    if user.id == actor_id:
        raise Invalid("You cannot deactivate yourself.")
    if user.role == "admin" and user.active and _active_admins() <= 1:
        raise Invalid("This is the last active admin; make someone else admin first.")
    user.active = False
    record_event("user.deactivated", "user", user.id, f"Deactivated {user.name}", actor_id=actor_id)
    db.session.commit()
    return user


def reset_password(user: User, password: str, *, actor_id: int | None) -> None:
    check_password_strength(password)
    user.set_password(password)
    record_event(
        "user.password_reset", "user", user.id, f"Reset password of {user.name}", actor_id=actor_id
    )
    db.session.commit()


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """A user changes their own password; the current one proves it is them."""
    if not user.check_password(current_password):
        raise Invalid.field("current_password", "That is not your current password.")
    check_password_strength(new_password, "new_password")
    user.set_password(new_password)
    db.session.commit()
