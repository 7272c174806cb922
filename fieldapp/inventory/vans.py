"""One van per tech: made with the tech's account, handed back when the tech leaves.

The account pages and the `user` commands go through these, so a tech can log a part on
their first visit, and a van's stock never stays with someone who can no longer sign in.
"""

from __future__ import annotations

import sqlalchemy as sa

from fieldapp.auth import services as accounts
from fieldapp.auth.models import User
from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.inventory.models import LOCATION_NAME_MAX, StockLocation
from fieldapp.inventory.queries import levels_at
from fieldapp.inventory.restock import cancel_open_requests
from fieldapp.inventory.services import (
    location_by_id,
    record_movement,
    transfer,
    van_of,
    warehouse,
)


def _free_name(wanted: str) -> str:
    """wanted, or wanted with the first number that makes it unique among locations."""
    taken = set(
        db.session.scalars(
            sa.select(StockLocation.name).where(StockLocation.name.like(f"{wanted[:70]}%"))
        )
    )
    name, number = wanted[:LOCATION_NAME_MAX], 2
    while name in taken:
        name = f"{wanted[:70]} {number}"
        number += 1
    return name


def give_van(user: User) -> StockLocation | None:
    """A tech's van, made (named after them) or back in use; nothing for other roles."""
    if user.role != "tech" or not user.active:
        return None
    van = van_of(user.id)
    if van is None:
        van = StockLocation(kind="van", tech_id=user.id, name=_free_name(f"{user.name}'s van"))
        db.session.add(van)
        db.session.flush()
    van.active = True
    return van


def hand_back_van(user: User, stock_to: StockLocation | None, *, actor_id: int | None) -> None:
    """The van's stock moves to stock_to (the warehouse unless another is chosen), and the
    van is kept, empty and out of use, with its history. A count below zero is corrected
    to zero first: those parts are gone."""
    van = van_of(user.id)
    if van is None or not van.active:
        return
    target = stock_to or warehouse()
    rows = [(level.part, level.quantity) for level in levels_at(van.id) if level.quantity]
    if target is None and any(quantity > 0 for _, quantity in rows):
        raise Invalid.field("stock_to", "Set up the warehouse first: the van's stock goes there.")
    if target is not None and target.id == van.id:
        raise Invalid.field("stock_to", "Choose where the van's stock goes: not the van itself.")
    for part, quantity in rows:
        if quantity < 0:
            record_movement(
                part,
                van,
                -quantity,
                "adjust",
                actor_id=actor_id,
                reason=f"correction: {user.name}'s van handed back",
            )
        else:
            transfer(
                part,
                van,
                target,
                quantity,
                actor_id=actor_id,
                reason=f"{user.name}'s van handed back",
            )
    cancel_open_requests(van.id, actor_id=actor_id)
    van.active = False


def add_user(email: str, name: str, role: str, password: str, *, phone: str, actor_id):
    """Create an account; a tech gets a van at once."""
    user = accounts.create_user(email, name, role, password, phone=phone, actor_id=actor_id)
    give_van(user)
    return user


def change_user(user: User, *, stock_to_id: int | None, actor_id: int, **fields) -> User:
    """Save an account; a tech who leaves (or stops being a tech) hands the van back."""
    stock_to = location_by_id(stock_to_id, "stock_to") if stock_to_id else None
    accounts.update_user(user, actor_id=actor_id, **fields)
    if user.role == "tech" and user.active:
        give_van(user)
    else:
        hand_back_van(user, stock_to, actor_id=actor_id)
    return user


def places_for_van_stock(user: User) -> list[StockLocation]:
    """Where a leaving tech's van stock can go: the warehouse first, then the other vans."""
    return list(
        db.session.scalars(
            sa.select(StockLocation)
            .where(
                StockLocation.active,
                StockLocation.kind.in_(("warehouse", "van")),
                sa.or_(StockLocation.tech_id.is_(None), StockLocation.tech_id != user.id),
            )
            .order_by(StockLocation.kind != "warehouse", StockLocation.name)
        )
    )
