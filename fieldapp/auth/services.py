"""Users: sign-in with throttling, and the account changes an admin (or the CLI) makes."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from fieldapp.activity.services import record_event
from fieldapp.auth.models import ROLES, LoginAttempt, User, normalise_email
from fieldapp.auth.sessions import end_all_sessions
from fieldapp.dbtypes import utcnow
from fieldapp.errors import Conflict, Invalid, NotFound
from fieldapp.extensions import db
from fieldapp.throttle.services import (
    in_window,
    locked_counter,
    seconds_until,
    throttle_key,
    wait_text,
)

log = logging.getLogger("fieldapp.auth")

MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


@cache
def _dummy_hash() -> str:
    """A hash no password matches, checked when the email has no account: a sign-in then
    takes as long as one with a wrong password, so timing tells nobody who has an account."""
    return generate_password_hash(secrets.token_hex(16))


@dataclass(frozen=True)
class SignIn:
    """The outcome of one sign-in attempt (a failed one is still written: it counts)."""

    user: User | None
    message: str = ""
    throttled: bool = False


def failure_delay(failures: int, config) -> timedelta | None:
    """How long an account must wait, from one address, after this many failures in a row:
    none for the first few, then 30 s, doubling, at most the throttle window."""
    free = config["LOGIN_THROTTLE_PER_ACCOUNT"]
    if failures < free:
        return None
    return min(timedelta(seconds=30 * 2 ** (failures - free)), config["LOGIN_THROTTLE_WINDOW"])


def authenticate(email: str, password: str, address: str, *, config) -> SignIn:
    """Check an email and password from an address (flush only; the caller commits).

    Two counters, each locked while it is read so parallel attempts count one by one: the
    address's failures in the window (one address trying many accounts), and the failures in
    a row of this account from this address, which make it wait longer after each one. A
    stranger elsewhere cannot lock a person out: their own address has its own counter.
    """
    email = normalise_email(email)
    now = utcnow()
    window = config["LOGIN_THROTTLE_WINDOW"]
    by_address = in_window(
        locked_counter(throttle_key("sign-in-address", address), now), window, now
    )
    by_account = locked_counter(throttle_key("sign-in", email, address), now)
    waits = []
    if by_address.count >= config["LOGIN_THROTTLE_PER_ADDRESS"]:
        waits.append(seconds_until(by_address.window_start + window, now))
    if by_account.blocked_until is not None and by_account.blocked_until > now:
        waits.append(seconds_until(by_account.blocked_until, now))
    if waits:
        log.warning("sign-in throttled for %s from %s", email, address)
        return SignIn(
            None,
            f"Too many failed sign-ins. Wait {wait_text(max(waits))} and try again, "
            "or ask the office to reset your password.",
            throttled=True,
        )
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
    succeeded = bool(user and user.active and user.check_password(password))
    db.session.add(LoginAttempt(email=email[:254], address=address[:64], succeeded=succeeded))
    if succeeded:
        by_account.count, by_account.blocked_until = 0, None
        return SignIn(user)
    log.warning("failed sign-in for %s from %s", email, address)
    by_address.count += 1
    if by_account.window_start <= now - timedelta(days=1):
        by_account.count, by_account.window_start = 0, now  # an old run of failures is over
    by_account.count += 1
    delay = failure_delay(by_account.count, config)
    by_account.blocked_until = now + delay if delay else None
    return SignIn(None, "That email and password do not match an active account.")


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
    was_active = user.active
    user.email, user.name, user.role, user.phone, user.active = (
        email,
        name.strip(),
        role,
        phone.strip(),
        active,
    )
    leaving = was_active and not active
    if not active:
        end_all_sessions(user)
    if leaving:
        record_event(
            "user.deactivated", "user", user.id, f"Deactivated {user.name}", actor_id=actor_id
        )
    else:
        record_event("user.updated", "user", user.id, f"Updated {user.name}", actor_id=actor_id)
    return user


def _active_admins() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == "admin", User.active)
    )


def check_may_deactivate(user: User, *, actor_id: int | None) -> None:
    """Refuse to deactivate oneself or the last active admin."""
    if user.id == actor_id:
        raise Invalid("You cannot deactivate yourself.")
    if user.role == "admin" and user.active and _active_admins() <= 1:
        raise Invalid("This is the last active admin; make someone else admin first.")


def end_account(user: User, *, actor_id: int | None, handed_over: str = "") -> User:
    """Stop user from signing in (their records stay): one user.deactivated event, saying
    where what they held went."""
    check_may_deactivate(user, actor_id=actor_id)
    user.active = False
    end_all_sessions(user)
    summary = f"Deactivated {user.name}" + (f": {handed_over}" if handed_over else "")
    record_event("user.deactivated", "user", user.id, summary, actor_id=actor_id)
    return user


def find_user_or_fail(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise NotFound(f"No user with the email {normalise_email(email)}.")
    return user


def reset_password(user: User, password: str, *, actor_id: int | None) -> None:
    check_password_strength(password)
    user.set_password(password)
    end_all_sessions(user)
    record_event(
        "user.password_reset", "user", user.id, f"Reset password of {user.name}", actor_id=actor_id
    )


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """A user changes their own password; the current one proves it is them."""
    if not user.check_password(current_password):
        raise Invalid.field("current_password", "That is not your current password.")
    check_password_strength(new_password, "new_password")
    user.set_password(new_password)
    end_all_sessions(user)
    record_event(
        "user.password_changed",
        "user",
        user.id,
        f"{user.name} changed their password",
        actor_id=user.id,
    )


def sign_out_everywhere(user: User, *, actor_id: int) -> int:
    """End every session of user (a lost phone); returns how many were ended."""
    ended = end_all_sessions(user)
    record_event(
        "user.signed_out",
        "user",
        user.id,
        f"Signed {user.name} out everywhere ({ended} session{'s' if ended != 1 else ''})",
        actor_id=actor_id,
    )
    return ended
