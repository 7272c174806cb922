"""Reading values people type or pick in HTML forms, within what the database can hold."""

from __future__ import annotations

from fieldapp.wire import INT32_MAX


def optional_id(value: str | None) -> int | None:
    """A positive id chosen in a form (anything else: nothing chosen)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= INT32_MAX else None
