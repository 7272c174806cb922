"""Reading values people type or pick in HTML forms, within what the database can hold."""

from __future__ import annotations

import re

from fieldapp.wire import INT32_MAX

# ASCII digits only: "²".isdigit() is true, but int("²") fails.
_DIGITS = re.compile(r"[0-9]{1,10}")
_WHOLE = re.compile(r"-?[0-9]{1,12}")


def optional_id(value: str | None) -> int | None:
    """A positive id chosen in a form (anything else: nothing chosen)."""
    value = (value or "").strip()
    return int(value) if _DIGITS.fullmatch(value) and 0 < int(value) <= INT32_MAX else None


def typed_values(form, names: tuple[str, ...], numbers: tuple[str, ...] = ()) -> dict:
    """An HTML form's fields as the wire has them, empty fields left out: those named in
    numbers as whole numbers when they are (anything else stays text, and the schema says
    what is wrong with it); every other field as text, digits or not (a SKU "10045")."""
    values: dict = {}
    for name in names:
        value = (form.get(name) or "").strip()
        if value == "":
            continue
        values[name] = int(value) if name in numbers and _WHOLE.fullmatch(value) else value
    return values


def cents_from_text(value: str) -> int | str:
    """A price typed as dollars ("12", "12.5", "$1,234.50") in cents; anything else as typed."""
    text = value.strip().replace("$", "")
    # Commas only as thousands separators: "40,00" (a decimal comma) is not $4,000.
    match = re.fullmatch(r"(\d{1,3}(?:,\d{3}){1,2}|\d{1,9})(?:\.(\d{1,2}))?", text)
    if not match:
        return value
    dollars = int(match.group(1).replace(",", ""))
    return dollars * 100 + int((match.group(2) or "0").ljust(2, "0"))
