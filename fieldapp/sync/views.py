"""Pages of the offline machinery: what waits to sync, and the plotter page kept offline."""

from __future__ import annotations

from flask import Blueprint, render_template

from fieldapp.auth.access import STAFF, allow

bp = Blueprint("sync", __name__)


@bp.get("/sync")
@allow(STAFF)
def status():
    """What is waiting on this phone, what was sent, and what needs attention (read from the
    phone's storage by the page itself)."""
    return render_template("sync/status.html")


@bp.get("/offline/plotter")
@allow(STAFF)
def offline_plotter():
    """The plotter page drawn from the offline pack; the service worker serves it for /e/<token>
    when there is no signal and the page itself was never cached."""
    return render_template("sync/offline_plotter.html")
