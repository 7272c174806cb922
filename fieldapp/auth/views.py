"""Sign-in, sign-out and the admin's user pages."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from fieldapp.auth import services
from fieldapp.auth.access import ADMIN, PUBLIC, STAFF, allow
from fieldapp.auth.models import ROLES, User
from fieldapp.errors import Invalid, ServiceError, Throttled
from fieldapp.extensions import db

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our name."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    error, status = None, 200
    email = request.form.get("email", "")
    if request.method == "POST":
        try:
            user = services.authenticate(
                email,
                request.form.get("password", ""),
                request.remote_addr or "unknown",
                config=current_app.config,
            )
        except Throttled as exc:
            error, status = exc.message, 429
        except Invalid as exc:
            error, status = exc.message, 401
        else:
            login_user(user, remember=bool(request.form.get("remember")))
            return redirect(next_url)
    page = render_template(
        "auth/login.html", error=error, email=email, next=request.values.get("next", "")
    )
    return page, status


@bp.post("/logout")
@allow(STAFF)
def logout():
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/admin/users")
@allow(ADMIN)
def user_list():
    users = db.session.scalars(sa.select(User).order_by(User.active.desc(), User.name)).all()
    return render_template("auth/users.html", users=users)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@allow(ADMIN)
def user_new():
    form, errors, status = request.form, {}, 200
    if request.method == "POST":
        try:
            user = services.create_user(
                form.get("email", ""),
                form.get("name", ""),
                form.get("role", ""),
                form.get("password", ""),
                phone=form.get("phone", ""),
                actor_id=current_user.id,
            )
        except ServiceError as exc:
            flash(exc.message, "error")
            errors, status = exc.fields, exc.status
        else:
            flash(f"{user.name} can now sign in as {user.email}.", "success")
            return redirect(url_for("auth.user_list"))
    page = render_template("auth/user_form.html", user=None, form=form, errors=errors, roles=ROLES)
    return page, status


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@allow(ADMIN)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form, errors, status = request.form, {}, 200
    if request.method == "POST":
        try:
            services.update_user(
                user,
                email=form.get("email", ""),
                name=form.get("name", ""),
                role=form.get("role", ""),
                phone=form.get("phone", ""),
                active=form.get("active") == "on",
                actor_id=current_user.id,
            )
        except ServiceError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            errors, status = exc.fields, exc.status
        else:
            flash(f"Saved {user.name}.", "success")
            return redirect(url_for("auth.user_list"))
    page = render_template("auth/user_form.html", user=user, form=form, errors=errors, roles=ROLES)
    return page, status


@bp.post("/admin/users/<int:user_id>/password")
@allow(ADMIN)
def user_reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    try:
        services.reset_password(user, request.form.get("password", ""), actor_id=current_user.id)
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(f"New password set for {user.name}. Tell them in person or by phone.", "success")
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/account/password")
@allow(STAFF)
def change_password():
    try:
        services.change_own_password(
            current_user,
            request.form.get("current_password", ""),
            request.form.get("new_password", ""),
        )
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("Your password is changed.", "success")
    return redirect(url_for("home.more"))
