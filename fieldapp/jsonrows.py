"""Related rows as JSON inside one statement, the same on SQLite and PostgreSQL.

A page that shows a plotter's visits, jobs, plans and meter readings would send one statement
for each list; each is a round trip to the database. `json_rows` makes a list a column (an
array of objects, one key per column of its select) that another statement carries, and
`rows_of` reads it back, each value converted by its column's type, so the lists of a page
come in one trip and look exactly as if they had been loaded by the ORM.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from fieldapp.extensions import db

ORDER = "_n"  # the position of a row in its list (JSON aggregates keep no order of their own)


class _json_object(FunctionElement):  # noqa: N801 (an SQL function's name)
    inherit_cache = True
    name = "json_object"


class _json_array(FunctionElement):  # noqa: N801
    """The aggregate of JSON values into one array."""

    inherit_cache = True
    name = "json_array_of"


@compiles(_json_object)
def _object_sqlite(element, compiler, **kw):
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(_json_object, "postgresql")
def _object_postgresql(element, compiler, **kw):
    return f"json_build_object({compiler.process(element.clauses, **kw)})"


@compiles(_json_array)
def _array_sqlite(element, compiler, **kw):
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(_json_array, "postgresql")
def _array_postgresql(element, compiler, **kw):
    return f"json_agg({compiler.process(element.clauses, **kw)})"


def json_object(columns: Iterable[sa.ColumnElement]) -> sa.ColumnElement:
    """A JSON object of these labelled columns (keys: their names)."""
    arguments = []
    for column in columns:
        key = column.key
        if not key or not key.replace("_", "").isalnum():
            raise ValueError(f"not a plain column name: {key!r}")
        arguments += [sa.literal_column(f"'{key}'"), column]
    return _json_object(*arguments)


def json_array(columns: Iterable[sa.ColumnElement], *where: sa.ColumnElement) -> sa.ScalarSelect:
    """The rows of these columns that match `where`, as one JSON array (a correlated scalar
    subquery: `where` may name the enclosing statement's columns). The rows come in no
    particular order: sort them after `rows_of`."""
    return sa.select(_json_array(json_object(columns))).where(*where).scalar_subquery()


def json_rows(query: sa.Select, *order_by: sa.ColumnElement) -> sa.ScalarSelect:
    """The rows of `query` (limits allowed) in this order, as one JSON array; `rows_of` gives
    them back in that order. The query must not refer to an enclosing statement."""
    if order_by:
        query = query.add_columns(
            sa.func.row_number().over(order_by=order_by).label(ORDER)
        ).order_by(*order_by)
    listed = query.subquery()
    return sa.select(_json_array(json_object(listed.c))).scalar_subquery()


@dataclass(frozen=True)
class Read:
    """A read that can travel with others: its columns (scalar subqueries, built once: their
    values come as named bound parameters), the values, and how the columns' values become
    its answer. Reads that travel together give a shared parameter name the same value."""

    columns: tuple[sa.ColumnElement, ...]
    answer: Callable
    params: dict = field(default_factory=dict)


_STATEMENTS: dict[tuple[int, ...], tuple[tuple, sa.Select]] = {}


def read_together(*reads: Read) -> list:
    """The answers of these reads, from one statement (one round trip to the database)."""
    columns = tuple(column for read in reads for column in read.columns)
    params = {name: value for read in reads for name, value in read.params.items()}
    row = db.session.execute(_statement(columns), params).one()
    answers, at = [], 0
    for read in reads:
        answers.append(read.answer(*row[at : at + len(read.columns)]))
        at += len(read.columns)
    return answers


def _statement(columns: tuple) -> sa.Select:
    """The one statement of these columns, made once: building it and its cache key again
    for every page would cost more than the round trips it saves."""
    key = tuple(map(id, columns))
    known = _STATEMENTS.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], columns, strict=True)):
        return known[1]
    if len(_STATEMENTS) > 256:  # columns built per call (not once) must not pile up
        _STATEMENTS.clear()
    statement = sa.select(*(column.label(f"c{n}") for n, column in enumerate(columns)))
    _STATEMENTS[key] = (columns, statement)
    return statement


def rows_of(value, model=None, **types) -> list[dict]:
    """The rows a `json_rows`/`json_array` column holds, their values in Python types: those
    of the model's columns of the same name, or of the column types given by name."""
    if value is None:
        return []
    rows = json.loads(value) if isinstance(value, str) else value
    table = model.__table__ if model is not None else None
    for row in rows:
        for key, item in row.items():
            kind = types.get(key)
            if kind is None and table is not None and key in table.c:
                kind = table.c[key].type
            row[key] = _typed(item, kind)
    if rows and ORDER in rows[0]:
        rows.sort(key=lambda row: row.pop(ORDER))
    return rows


def instances(model, rows: list[dict]) -> list:
    """Model instances (transient: in no session, never saved) for rows of its columns."""
    return [model(**row) for row in rows]


def _typed(value, kind):
    if value is None or kind is None:
        return value
    if isinstance(kind, sa.types.TypeDecorator):
        kind = kind.impl_instance if hasattr(kind, "impl_instance") else kind.impl
    if isinstance(kind, sa.DateTime):
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:  # SQLite keeps UTC without an offset
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Boolean):
        return bool(value)
    if isinstance(kind, sa.Uuid):
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    if isinstance(kind, sa.Float):
        return float(value)
    return value
