"""Reading values people type or pick in HTML forms, within what the database can hold."""

from __future__ import annotations

import re

from fieldapp.wire import INT32_MAX


def optional_id(value: str | None) -> int | None:
    """A positive id chosen in a form (anything else: nothing chosen)."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= INT32_MAX else None


def typed_values(form, names: tuple[str, ...]) -> dict:
    """An HTML form's fields as the wire has them: whole numbers as numbers (anything else
    stays text, and the schema says what is wrong with it), empty fields left out."""
    values: dict = {}
    for name in names:
        value = (form.get(name) or "").strip()
        if value == "":
            continue
        values[name] = int(value) if re.fullmatch(r"-?\d{1,12}", value) else value
    return values


def cents_from_text(value: str) -> int | str:
    """A price typed as dollars ("12", "12.5", "$1,234.50") in cents; anything else as typed."""
    text = value.strip().replace("$", "").replace(",", "")
    match = re.fullmatch(r"(\d{1,9})(?:\.(\d{1,2}))?", text)
    if not match:
        return value
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
