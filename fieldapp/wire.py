"""Field types the JSON wire formats share, bounded to what the database can hold.

Every string refuses the NUL character (PostgreSQL cannot store it) and has a length; every
integer stays within its column; every instant within the years the business can mean. A
phone's op is then refused field by field, never by the database in the middle of a batch.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from marshmallow import ValidationError, fields, validate

from fieldapp.localtime import EARLIEST_DAY, LATEST_DAY

INT32_MAX = 2**31 - 1
# The most characters an unbounded text column (notes, a problem, a summary) takes; a
# String(n) column takes n. Forms, schemas and every flush read lengths through length_of.
TEXT_MAX = 5000
# The messages every length and range check gives, here and on the phone (visits/rules.py).
TOO_LONG = "Keep it to {max:,} characters or fewer."
WHOLE_RANGE = "Enter a whole number from {min:,} to {max:,}."
EMPTY = "Fill this in."
NUL_MESSAGE = "Remove the NUL character: no field accepts it."
# An address a mail server would take: something@domain.tld, no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EARLIEST = datetime.combine(EARLIEST_DAY, datetime.min.time(), tzinfo=UTC)
LATEST = datetime.combine(LATEST_DAY, datetime.max.time(), tzinfo=UTC)


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError(NUL_MESSAGE)


class Text(fields.String):
    """A string of at most max_length characters (at least min_length), without NUL."""

    def __init__(self, max_length: int, *, min_length: int = 0, **kwargs):
        checks = [validate.Length(max=max_length, error=TOO_LONG), _no_nul]
        if min_length:
            checks.append(validate.Length(min=min_length, error=EMPTY))
        extra = kwargs.pop("validate", None)
        if extra is not None:
            checks += extra if isinstance(extra, list) else [extra]
        super().__init__(validate=checks, **kwargs)


class Whole(fields.Integer):
    """An integer within [minimum, maximum]; in a JSON body never a float or a string (a query
    string, where everything is text, passes strict=False)."""

    def __init__(self, minimum: int = 0, maximum: int = INT32_MAX, *, strict=True, **kwargs):
        checks = validate.Range(minimum, maximum, error=WHOLE_RANGE)
        super().__init__(strict=strict, validate=checks, **kwargs)


class Id(Whole):
    """A database id."""

    def __init__(self, **kwargs):
        super().__init__(1, INT32_MAX, **kwargs)


def length_of(column) -> int:
    """The most characters a model's text column holds (a mapped attribute or a table
    column), so the form, the wire and the database agree."""
    column = getattr(column, "expression", column)
    return getattr(column.type, "length", None) or TEXT_MAX


class Instant(fields.AwareDateTime):
    """An ISO 8601 time with its offset, between 2000 and 2099."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(EARLIEST, LATEST), **kwargs)


class Day(fields.Date):
    """A YYYY-MM-DD day between 2000 and 2099 (the days localtime.parse_day takes)."""

    def __init__(self, **kwargs):
        message = f"Enter a date between {EARLIEST_DAY:%Y} and {LATEST_DAY:%Y}."
        super().__init__(validate=validate.Range(EARLIEST_DAY, LATEST_DAY, error=message), **kwargs)


def flat_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages named as the API names fields everywhere: "steps.0.title"."""
    if not isinstance(messages, dict):
        return {prefix.rstrip(".") or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for name, value in messages.items():
        where = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flat_messages(value, where + "."))
        else:
            flat[where] = [str(m) for m in (value if isinstance(value, list) else [value])]
    return flat
