"""Signed-in sessions kept on the server, so they can be ended.

Flask's session cookie is signed, not stored: without a record on the server a copied cookie
(or remember cookie) would keep working after sign-out or a password change. Each sign-in
makes a UserSession row; the cookies carry its random key, and a request is signed in only
while the row exists and has not expired.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from fieldapp.auth.models import User, UserSession
from fieldapp.dbtypes import utcnow
from fieldapp.extensions import db


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(user: User, *, lasts: timedelta, user_agent: str = "") -> str:
    """A new session for user; returns its key (set on the user for Flask-Login)."""
    now = utcnow()
    db.session.execute(
        sa.delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    key = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            user_id=user.id,
            key_hash=_hash(key),
            created_at=now,
            expires_at=now + lasts,
            user_agent=user_agent[:200],
        )
    )
    user.session_key = key
    return key


def end_all_sessions(user: User) -> int:
    """End every session of user (sign-out, password change, "sign out everywhere",
    deactivation); returns how many there were."""
    result = db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    return result.rowcount or 0


def session_count(user_id: int, now: datetime | None = None) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user_id, UserSession.expires_at > (now or utcnow()))
    )


def load_session_user(key: str) -> User | None:
    """Flask-Login's user loader: the active user of a live session with this key."""
    if not key or len(key) > 100:
        return None
    user = db.session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.key_hash == _hash(key),
            UserSession.expires_at > utcnow(),
            User.active,
        )
    )
    if user is not None:
        user.session_key = key
    return user
