"""Sign-in, sign-out and the admin's user pages."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from fieldapp.auth import services
from fieldapp.auth.access import ADMIN, PUBLIC, STAFF, allow
from fieldapp.auth.models import ROLES, User
from fieldapp.auth.queries import active_techs, all_users
from fieldapp.auth.sessions import end_all_sessions, session_count, start_session
from fieldapp.errors import ServiceError
from fieldapp.extensions import db
from fieldapp.form_values import optional_id
from fieldapp.inventory import vans
from fieldapp.inventory.services import van_of
from fieldapp.office import leaving
from fieldapp.security import local_url
from fieldapp.unit_of_work import unit_of_work

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link borrow our name."""
    return local_url(target) or url_for("home.index")


def sign_in(user: User, *, remember: bool) -> None:
    """Start a server-side session for user on this device (inside the caller's unit of work).

    The CSRF token of the anonymous session is dropped: a token seen before sign-in (on a
    shared computer, say) must not be valid after it.
    """
    renew_csrf_token()
    start_session(
        user,
        lasts=current_app.config["REMEMBER_COOKIE_DURATION"],
        user_agent=request.headers.get("User-Agent", ""),
    )
    login_user(user, remember=remember)


def renew_csrf_token() -> None:
    """Replace the CSRF token (kept in the session, cached on g) in this response's session:
    the requests a freshly signed-in phone makes at once (its pages, the service worker's
    fetches) all find the same new token instead of each minting a rival one."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    generate_csrf()


def remembered() -> bool:
    """Whether this device asked to be kept signed in (it holds a remember cookie)."""
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login():
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url)
    error, status = None, 200
    email = request.form.get("email", "")
    if request.method == "POST":
        with unit_of_work():
            attempt = services.authenticate(
                email,
                request.form.get("password", ""),
                request.remote_addr or "unknown",
                config=current_app.config,
            )
            if attempt.user is not None:
                sign_in(attempt.user, remember=bool(request.form.get("remember")))
        if attempt.user is not None:
            return redirect(next_url)
        error, status = attempt.message, (429 if attempt.throttled else 401)
    page = render_template(
        "auth/login.html", error=error, email=email, next=request.values.get("next", "")
    )
    return page, status


@bp.post("/logout")
@allow(STAFF)
def logout():
    """End every session of this person on the server: a copy of any of their cookies (a
    phone left behind, a cookie taken from a shared computer) stops working too."""
    with unit_of_work():
        ended = end_all_sessions(current_user)
    logout_user()
    renew_csrf_token()
    elsewhere = " on every device" if ended > 1 else ""
    flash(f"You are signed out{elsewhere}.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/admin/users")
@allow(ADMIN)
def user_list():
    return render_template("auth/users.html", users=all_users())


@bp.route("/admin/users/new", methods=["GET", "POST"])
@allow(ADMIN)
def user_new():
    form, errors, status = request.form, {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                user = vans.add_user(
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
        if user.active and form.get("active") != "on" and leaving.holdings_of(user).must_move:
            flash(
                f"Nothing is saved yet: first choose where {user.first_name}'s open jobs and "
                "van stock go.",
                "info",
            )
            return redirect(url_for("auth.user_leaving", user_id=user.id))
        try:
            with unit_of_work():
                leaving.change_account(
                    user,
                    email=form.get("email", ""),
                    name=form.get("name", ""),
                    role=form.get("role", ""),
                    phone=form.get("phone", ""),
                    active=form.get("active") == "on",
                    stock_to_id=optional_id(form.get("stock_to")),
                    actor_id=current_user.id,
                )
        except ServiceError as exc:
            flash(exc.message, "error")
            errors, status = exc.fields, exc.status
        else:
            flash(f"Saved {user.name}.", "success")
            return redirect(url_for("auth.user_list"))
    page = render_template(
        "auth/user_form.html",
        user=user,
        form=form,
        errors=errors,
        roles=ROLES,
        sessions=session_count(user.id),
        van=van_of(user.id),
        stock_places=vans.places_for_van_stock(user),
    )
    return page, status


def job_choices(form, jobs) -> dict[int, int | None]:
    """The per-job overrides of the holdings form: "" follows the choice for all, "none"
    puts the job back with the unassigned ones, a number is a tech."""
    choices: dict[int, int | None] = {}
    for job in jobs:
        value = form.get(f"job_{job.id}", "")
        if value == "none":
            choices[job.id] = leaving.UNASSIGNED
        elif value:
            choices[job.id] = optional_id(value) or 0  # 0 names nobody: the service says so
    return choices


@bp.route("/admin/users/<int:user_id>/leave", methods=["GET", "POST"])
@allow(ADMIN)
def user_leaving(user_id: int):
    """Before a person leaves: what they hold, where it goes, and the one confirm that
    deactivates them and moves it all together."""
    user = db.get_or_404(User, user_id)
    holdings = leaving.holdings_of(user)
    form, errors, status = request.form, {}, 200
    if request.method == "POST":
        try:
            with unit_of_work():
                leaving.deactivate_with_handover(
                    user,
                    jobs_to=optional_id(form.get("jobs_to")),
                    per_job=job_choices(form, holdings.jobs),
                    stock_to_id=optional_id(form.get("stock_to")),
                    actor_id=current_user.id,
                )
        except ServiceError as exc:
            flash(exc.message, "error")
            errors, status = exc.fields, exc.status
            holdings = leaving.holdings_of(user)
        else:
            moved = []
            if holdings.jobs:
                count = len(holdings.jobs)
                moved.append(f"{count} open job{'s' if count != 1 else ''}")
            if holdings.parts:
                moved.append("the van's stock")
            what = f"; {' and '.join(moved)} moved" if moved else ""
            flash(f"{user.name} is deactivated{what}.", "success")
            return redirect(url_for("auth.user_list"))
    page = render_template(
        "auth/user_leaving.html",
        user=user,
        held=holdings,
        form=form,
        errors=errors,
        techs=[tech for tech in active_techs() if tech.id != user.id],
        stock_places=vans.places_for_van_stock(user),
    )
    return page, status


@bp.post("/admin/users/<int:user_id>/password")
@allow(ADMIN)
def user_reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    try:
        with unit_of_work():
            services.reset_password(
                user, request.form.get("password", ""), actor_id=current_user.id
            )
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash(
            f"New password set for {user.name}; they are signed out everywhere. "
            "Tell them in person or by phone.",
            "success",
        )
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/sign-out")
@allow(ADMIN)
def user_sign_out(user_id: int):
    """Sign a person out on every device (a lost or stolen phone)."""
    user = db.get_or_404(User, user_id)
    with unit_of_work():
        ended = services.sign_out_everywhere(user, actor_id=current_user.id)
    flash(
        f"{user.name} is signed out everywhere ({ended} session{'s' if ended != 1 else ''}).",
        "success",
    )
    if user.id == current_user.id:
        logout_user()
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.user_edit", user_id=user.id))


@bp.post("/account/password")
@allow(STAFF)
def change_password():
    """A new password ends every session of the person, then signs this device in again."""
    try:
        with unit_of_work():
            services.change_own_password(
                current_user,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
            )
            sign_in(current_user._get_current_object(), remember=remembered())
    except ServiceError as exc:
        flash(exc.message, "error")
    else:
        flash("Your password is changed. Other devices must sign in again.", "success")
    return redirect(url_for("home.more"))
