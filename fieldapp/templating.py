"""Template globals and filters: navigation per role, local times, money."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_login import current_user


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
    NavItem("public.inbox", "Requests", "inbox"),
    NavItem("customers.index", "Customers", "customers"),
    NavItem("equipment.index", "Plotters", "plotter"),
    NavItem("inventory.parts", "Parts", "parts"),
    NavItem("sops.index", "SOPs", "book"),
    NavItem("office.reports", "Reports", "chart"),
    NavItem("equipment.scan", "Scan", "scan"),
)
ADMIN_NAV = (NavItem("auth.user_list", "Users", "users"),)


def navigation() -> list[NavItem]:
    """The nav for the signed-in user's role, limited to pages this build has."""
    if not current_user.is_authenticated:
        return []
    if current_user.role == "tech":
        items = TECH_NAV
    else:
        items = OFFICE_NAV + (ADMIN_NAV if current_user.is_admin else ())
    views = current_app.view_functions
    return [item for item in items if item.endpoint in views]


def company_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_time(value: datetime | None, fmt: str = "%b %d, %H:%M") -> str:
    if value is None:
        return ""
    return value.astimezone(company_zone()).strftime(fmt).replace(" 0", " ")


def local_date(value: datetime | date | None, fmt: str = "%b %d, %Y") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(company_zone())
    return value.strftime(fmt).replace(" 0", " ")


def datetime_local(value: datetime | None) -> str:
    """The value for an <input type="datetime-local"> in the company's time zone."""
    if value is None:
        return ""
    return value.astimezone(company_zone()).strftime("%Y-%m-%dT%H:%M")


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', 'yesterday', '12 days ago', 'Mar 3, 2025'."""
    if value is None:
        return "never"
    now = now or datetime.now(UTC)
    seconds = (now - value).total_seconds()
    if seconds < 0:
        return "in " + _span(-seconds)
    if seconds < 60:
        return "just now"
    return _span(seconds) + " ago"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days = hours // 24
    if days == 1:
        return "1 day"
    if days < 60:
        return f"{days} days"
    months = days // 30
    if months < 24:
        return f"{months} months"
    return f"{days // 365} years"


def money(cents: int | None) -> str:
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


def humanise(value: str | None) -> str:
    """in_progress -> In progress."""
    if not value:
        return ""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def register(app: Flask) -> None:
    # Built once: url_for per icon would cost more than the rest of a timeline entry.
    app.jinja_env.globals["sprite_url"] = f"{app.static_url_path}/icons/sprite.svg"
    app.jinja_env.filters.update(
        local_time=local_time,
        local_date=local_date,
        datetime_local=datetime_local,
        ago=ago,
        money=money,
        humanise=humanise,
    )

    @app.context_processor
    def layout_globals():
        return {
            "navigation": navigation,
            "company_name": current_app.config["COMPANY_NAME"],
            "company_phone": current_app.config["COMPANY_PHONE"],
            "current_endpoint": request.endpoint,
        }
