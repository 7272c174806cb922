"""Web push: each phone or browser a user turned notifications on in, the pushes queued for
them, and sending those (pywebpush, VAPID-signed, encrypted aes128gcm for the subscription).

A push is queued per user in the event's transaction, like mail, and fanned out to the user's
subscriptions when the worker sends it. A push service that answers 404 or 410 says the
subscription is gone: it is removed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from fieldapp.dbtypes import utcnow
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.notify.models import OutboxPush, PushSubscription
from fieldapp.unit_of_work import unit_of_work

log = logging.getLogger("fieldapp.push")

ENDPOINT_MAX = 1000
TITLE_MAX, BODY_MAX = 80, 240
PUSH_TTL = 24 * 3600  # a push no phone picked up within a day is news no longer
GONE = (404, 410)
STALE_SENDING = timedelta(minutes=15)  # a worker that took a push this long ago died


# -- subscriptions -------------------------------------------------------------------------


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    local = parts.hostname in ("127.0.0.1", "localhost")
    if (
        len(endpoint) > ENDPOINT_MAX
        or not parts.netloc
        or not (parts.scheme == "https" or (parts.scheme == "http" and local))
    ):
        raise Invalid.field("endpoint", "A push endpoint is an https address from the browser.")


def _check_keys(p256dh: str, auth: str) -> None:
    """The browser's key must be a point on P-256 and its secret 16 bytes: a subscription
    no push can be encrypted for is refused here, not found out by the worker."""
    try:
        point = base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        raise Invalid.field("keys.p256dh", "Not a P-256 public key.") from None
    try:
        secret = base64.urlsafe_b64decode(auth + "=" * (-len(auth) % 4))
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 16:
        raise Invalid.field("keys.auth", "Not a 16-byte secret.")


def subscribe(user_id: int, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Keep this browser's subscription for the user (flush only). The same endpoint again
    updates it, and moves it to this user if someone else had signed in on that phone."""
    _check_endpoint(endpoint)
    _check_keys(p256dh, auth)
    found = db.session.scalar(
        sa.select(PushSubscription).where(PushSubscription.endpoint == endpoint)
    )
    if found is None:
        found = PushSubscription(endpoint=endpoint)
        db.session.add(found)
    found.user_id, found.p256dh, found.auth = user_id, p256dh, auth
    db.session.flush()
    return found


def unsubscribe_endpoint(user_id: int, endpoint: str) -> bool:
    """Forget this browser's subscription (flush only); False when it was not the user's."""
    found = db.session.scalar(
        sa.select(PushSubscription).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == user_id
        )
    )
    if found is None:
        return False
    db.session.delete(found)
    db.session.flush()
    return True


def has_subscription(user_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(PushSubscription.id).where(PushSubscription.user_id == user_id).limit(1)
        )
        is not None
    )


# -- the outbox ----------------------------------------------------------------------------


def queue_push(*, key: str, topic: str, user_id: int, title: str, body: str, url: str) -> None:
    """Queue one notification for the user's browsers (flush only); once per key."""
    if db.session.scalar(sa.select(OutboxPush.id).where(OutboxPush.key == key)) is not None:
        return
    db.session.add(
        OutboxPush(
            key=key,
            topic=topic,
            user_id=user_id,
            title=title[:TITLE_MAX],
            body=body[:BODY_MAX],
            url=url,
        )
    )
    db.session.flush()


# -- the VAPID key -------------------------------------------------------------------------


def vapid() -> Vapid:
    return Vapid.from_pem(current_app.config["VAPID_PRIVATE_KEY"].encode())


def application_server_key() -> str:
    """The public key a browser subscribes with (base64url, uncompressed P-256 point)."""
    return current_app.config["VAPID_PUBLIC_KEY"]


# -- sending -------------------------------------------------------------------------------


@dataclass
class Pushed:
    sent: int = 0
    removed: int = 0
    failed: int = 0


def send_queued_pushes(now: datetime | None = None, limit: int = 50) -> Pushed:
    """Send each queued push to every subscription of its user, each push in its own commit."""
    now = now or utcnow()
    result = Pushed()
    with unit_of_work():
        db.session.execute(
            sa.update(OutboxPush)
            .where(OutboxPush.state == "sending", OutboxPush.claimed_at < now - STALE_SENDING)
            .values(state="queued")
        )
        due = list(
            db.session.scalars(
                sa.select(OutboxPush.id)
                .where(OutboxPush.state == "queued")
                .order_by(OutboxPush.id)
                .limit(limit)
            )
        )
    if not due:
        return result
    signer = vapid()
    claims_sub = current_app.config["VAPID_SUBJECT"]
    with requests.Session() as session:
        for push_id in due:
            with unit_of_work():
                claimed = db.session.execute(
                    sa.update(OutboxPush)
                    .where(OutboxPush.id == push_id, OutboxPush.state == "queued")
                    .values(state="sending", claimed_at=utcnow())
                ).rowcount
            if claimed:
                _deliver(db.session.get(OutboxPush, push_id), signer, claims_sub, session, result)
    return result


def _deliver(push: OutboxPush, signer: Vapid, subject: str, session, result: Pushed) -> None:
    payload = json.dumps({"title": push.title, "body": push.body, "url": push.url, "tag": push.key})
    subscriptions = list(
        db.session.scalars(
            sa.select(PushSubscription).where(PushSubscription.user_id == push.user_id)
        )
    )
    errors, gone = [], []
    for subscription in subscriptions:
        info = {
            "endpoint": subscription.endpoint,
            "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
        }
        try:
            webpush(
                info,
                payload,
                vapid_private_key=signer,
                vapid_claims={"sub": subject},
                ttl=PUSH_TTL,
                timeout=10,
                requests_session=session,
            )
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in GONE:
                gone.append(subscription)
            else:
                errors.append(f"{status or ''} {exc.message}".strip())
        except requests.RequestException as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a subscription pywebpush cannot encrypt for: that one only
            log.exception("push %s to subscription %s failed", push.key, subscription.id)
            errors.append(f"{type(exc).__name__}: {exc}")
    with unit_of_work():
        for subscription in gone:
            db.session.delete(subscription)
        result.removed += len(gone)
        push.sent_at = utcnow()
        if len(gone) == len(subscriptions):
            errors.append("No browser of theirs takes notifications any more.")
        if len(errors) >= len(subscriptions) - len(gone):
            push.state, push.last_error = "failed", "; ".join(errors)[:500]
            result.failed += 1
        else:
            push.state, push.last_error = "sent", "; ".join(errors)[:500]
            result.sent += 1
