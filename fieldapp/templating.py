"""Template globals and filters: navigation per role, local times, money."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Flask, current_app, has_request_context, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import short_code
from fieldapp.equipment.services import installed_window
from fieldapp.jobs.services import (
    on_the_way_today,
    planned_time,
    planned_today,
    schedule_window,
)
from fieldapp.limits import limit
from fieldapp.localtime import (
    ago,
    datetime_local,
    local_date,
    local_time,
)
from fieldapp.messages.queries import unread_by_job, unread_total
from fieldapp.notify.outbox import opted_out
from fieldapp.pwa import shell_build
from fieldapp.settings.services import company
from fieldapp.visits.rules import LIMITS as VISIT_LIMITS
from fieldapp.wire import TEXT_MAX


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    icon: str


TECH_NAV = (
    NavItem("home.index", "Today", "today"),
    NavItem("equipment.scan", "Scan", "scan"),
    NavItem("sops.index", "SOPs", "book"),
    NavItem("inventory.my_van", "Van", "van"),
    NavItem("home.more", "More", "more"),
)
OFFICE_NAV = (
    NavItem("home.index", "Dashboard", "today"),
    NavItem("jobs.board", "Jobs", "jobs"),
    NavItem("office.schedule_page", "Schedule", "clock"),
    NavItem("public.inbox", "Requests", "inbox"),
    NavItem("customers.index", "Customers", "customers"),
    NavItem("equipment.index", "Plotters", "plotter"),
    NavItem("contracts.index", "Contracts", "history"),
    NavItem("inventory.parts", "Parts", "parts"),
    NavItem("sops.index", "SOPs", "book"),
    NavItem("training.matrix", "Training", "check"),
    NavItem("office.reports", "Reports", "chart"),
    NavItem("notify.outbox", "Outbox", "mail"),
    NavItem("equipment.scan", "Scan", "scan"),
)
ADMIN_NAV = (NavItem("auth.user_list", "Users", "users"),)
SETTINGS_NAV = (NavItem("settings.index", "Settings", "edit"),)


# Where each role's unread job-thread count shows in the navigation.
UNREAD_NAV = {"tech": "home.index", "office": "jobs.board", "admin": "jobs.board"}


def navigation() -> list[NavItem]:
    """The nav for the signed-in user's role, limited to pages this build has."""
    if not current_user.is_authenticated:
        return []
    if current_user.role == "tech":
        items = TECH_NAV
    else:
        items = OFFICE_NAV + (ADMIN_NAV if current_user.is_admin else ()) + SETTINGS_NAV
    views = current_app.view_functions
    items = [item for item in items if item.endpoint in views]
    unread = unread_messages()
    target = UNREAD_NAV.get(current_user.role)
    if unread and target in views:
        items = [
            NavItem(item.endpoint, _with_count(item.label, unread), item.icon)
            if item.endpoint == target
            else item
            for item in items
        ]
    return items


def _with_count(label: str, count: int) -> Markup:
    """The label with a count badge; the base layout prints labels as they are."""
    return Markup(
        '{} <span class="nav-count" title="{} unread in job threads">{}'
        '<span class="visually-hidden"> unread</span></span>'
    ).format(label, count, count)


def _per_request(key: str, compute, empty):
    """Compute once per request (an app context may outlive several requests in tests)."""
    if not has_request_context() or not current_user.is_authenticated:
        return empty
    cache = request.environ
    if key not in cache:
        cache[key] = empty
        try:
            cache[key] = compute(current_user)
        except SQLAlchemyError:
            # An error page after a failed transaction still renders, just without badges.
            current_app.logger.warning("unread counts unavailable", exc_info=True)
    return cache[key]


def unread_messages() -> int:
    """The signed-in user's unread job-thread messages, for the navigation badge."""
    return _per_request("fieldapp.unread_total", unread_total, 0)


def unread_count(job_id: int) -> int:
    """Unread messages on one job (Today's job cards): the user's unread, per job, once."""
    return _per_request("fieldapp.unread_by_job", unread_by_job, {}).get(job_id, 0)


def money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def reading(value: float | None) -> str:
    """A measured value as a tech wrote it: 38703.0 -> 38,703; 3.350 -> 3.35."""
    if value is None:
        return ""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def tel(value: str | None) -> str:
    """A phone number as a tel: link dials it: a leading + and the digits (extensions after
    a comma, so "+1 (555) 014-2290 ext. 12" pauses, then dials 12)."""
    number, _, extension = (value or "").lower().partition("ext")
    digits = ("+" if number.strip().startswith("+") else "") + re.sub(r"\D", "", number)
    extension = re.sub(r"\D", "", extension)
    return f"{digits},{extension}" if extension else digits


def count_of(number: int, noun: str, plural: str | None = None) -> str:
    """1 day, 12 days, 1,250 visits: a count with its noun, the same way on every page."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def file_size(size: int | None) -> str:
    """An upload limit as people read it: 16 MB, 1.5 MB, 100 KB."""
    size = size or 0
    if size >= 1024 * 1024:
        return f"{size / 1048576:,.1f}".removesuffix(".0") + " MB"
    return f"{size / 1024:,.0f} KB"


def humanise(value: str | None) -> str:
    """in_progress -> In progress."""
    if not value:
        return ""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def hours_minutes(seconds: float) -> str:
    """A span as people say it: "45 min", "3 h 20 min", "2 days 4 h"."""
    minutes = max(int(seconds // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min"


def register(app: Flask) -> None:
    # Built once: url_for per icon would cost more than the rest of a timeline entry. (A
    # development server's edits change the version; static_files serves any version there.)
    app.jinja_env.globals["sprite_url"] = f"{shell_build(app).static_path}/icons/sprite.svg"
    app.jinja_env.globals["unread_count"] = unread_count
    app.jinja_env.globals["limit"] = limit
    app.jinja_env.globals["now"] = utcnow
    app.jinja_env.globals["text_max"] = TEXT_MAX
    app.jinja_env.globals["schedule_window"] = schedule_window
    app.jinja_env.globals["on_the_way_today"] = on_the_way_today
    app.jinja_env.globals["planned_today"] = planned_today
    app.jinja_env.globals["unsubscribed_address"] = opted_out
    app.jinja_env.globals["installed_window"] = installed_window
    app.jinja_env.globals["visit_limits"] = VISIT_LIMITS
    app.jinja_env.filters.update(
        local_time=local_time,
        local_date=local_date,
        datetime_local=datetime_local,
        ago=ago,
        money=money,
        reading=reading,
        humanise=humanise,
        tel=tel,
        planned_time=planned_time,
        count_of=count_of,
        file_size=file_size,
        short_code=short_code,
        hours_minutes=hours_minutes,
    )

    @app.context_processor
    def layout_globals():
        profile = company()
        return {
            "navigation": navigation,
            "company": profile,
            "company_name": profile.name,
            "company_phone": profile.phone,
            # A message queued by a command or the worker renders without a request.
            "current_endpoint": request.endpoint if has_request_context() else None,
        }
