"""Stock pages: a tech's van."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from fieldapp.auth.access import TECH, allow
from fieldapp.inventory.services import stock_at, van_of

bp = Blueprint("inventory", __name__)


@bp.get("/van")
@allow(TECH)
def my_van():
    """The parts in my van, low and negative items first."""
    van = van_of(current_user.id)
    stock = stock_at(van.id) if van else []
    stock.sort(key=lambda row: (row[1] > row[0].reorder_point, row[0].name))
    low = [row for row in stock if row[1] <= row[0].reorder_point]
    return render_template("inventory/van.html", van=van, stock=stock, low=low)
