"""Every text column's length, enforced at the flush: nothing too long reaches the database.

The length is written once, on the model (String(n), or wire.TEXT_MAX for an unbounded Text).
Schemas and forms read it through wire.length_of and the templates' limit(); this check is the
floor under all of them, so a path that forgot (a form parser, a CLI, a sync op) answers 422
with the field's name on SQLite (which would store anything) and PostgreSQL (which would fail
with "value too long", a 500) alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from fieldapp.errors import Invalid
from fieldapp.extensions import db
from fieldapp.wire import TOO_LONG, length_of


def limit(name: str) -> int:
    """The length of "table.column", for a form's maxlength attribute."""
    table, _, column = name.partition(".")
    return length_of(db.metadata.tables[table].c[column])


def too_long(record) -> dict[str, list[str]]:
    """The record's loaded text values longer than their columns, by attribute name."""
    state = sa.inspect(record)
    errors: dict[str, list[str]] = {}
    for attribute in state.mapper.column_attrs:
        value = state.dict.get(attribute.key)
        if not isinstance(value, str) or len(attribute.columns) != 1:
            continue
        column = attribute.columns[0]
        if not isinstance(column.type, sa.String):
            continue
        maximum = length_of(column)
        if len(value) > maximum:
            errors[attribute.key] = [TOO_LONG.format(max=maximum)]
    return errors


@sa.event.listens_for(Session, "before_flush")
def _refuse_values_too_long(session: Session, _context, _instances) -> None:
    errors: dict[str, list[str]] = {}
    for record in (*session.new, *session.dirty):
        errors.update(too_long(record))
    if errors:
        raise Invalid("Some fields are too long; nothing was saved.", errors)
