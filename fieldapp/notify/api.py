"""Turning push on and off for the signed-in user's browser."""

from __future__ import annotations

from flask_login import current_user

from fieldapp.api import api, documented, load_json
from fieldapp.auth.access import STAFF, allow
from fieldapp.notify.push import subscribe, unsubscribe_endpoint
from fieldapp.notify.schemas import PushEndpointSchema, PushSubscriptionSchema
from fieldapp.unit_of_work import in_unit_of_work, unit_of_work


@api.post("/push/subscriptions")
@allow(STAFF)
@documented(
    "Take push notifications in this browser", body=PushSubscriptionSchema, status=204, tag="push"
)
def push_subscribe():
    """The browser's PushSubscription, as its toJSON() gives it. Sending it again (or from
    another user signed in on the same browser) updates it."""
    data = load_json(PushSubscriptionSchema())
    keys = data["keys"]
    in_unit_of_work(
        lambda: subscribe(current_user.id, data["endpoint"], keys["p256dh"], keys["auth"])
    )
    return "", 204


@api.delete("/push/subscriptions")
@allow(STAFF)
@documented(
    "Stop push notifications in this browser", body=PushEndpointSchema, status=204, tag="push"
)
def push_unsubscribe():
    """Forget this browser's subscription; one that is not the user's changes nothing."""
    data = load_json(PushEndpointSchema())
    with unit_of_work():
        unsubscribe_endpoint(current_user.id, data["endpoint"])
    return "", 204
