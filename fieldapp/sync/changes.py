"""The pack's change log: which records of the offline pack a transaction changed or removed.

A session listener writes one PackChange per record touched, in the flush itself, so the log
commits or rolls back with the change it names, from any app server on the database (no
state in the process). What a row of a model touches is said once in TRACKED: a visit or a
meter reading is its plotter's record, a contact its site's plotters, a step its SOP. Bulk
UPDATE/DELETE/INSERT statements run through the session are logged by the rows they select
(before and after an update) or, when that cannot be said, as "all" (full packs for everyone).

An entry's id and transaction say when it became visible, never a clock: see cursor.py.
The log is pruned outside the users' transactions, by the worker's daily pass
(prune_pack_changes): what is older than RETENTION goes (a cursor older than that gets a
full pack).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from fieldapp.auth.models import User
from fieldapp.customers.models import Contact, Customer, Site
from fieldapp.dbtypes import utcnow
from fieldapp.equipment.models import Equipment, MeterReading
from fieldapp.extensions import db
from fieldapp.inventory.models import (
    Part,
    PartCompatibility,
    StockLevel,
    StockLocation,
    StockMovement,
)
from fieldapp.jobs.models import Job
from fieldapp.settings.models import Setting
from fieldapp.sops.models import Sop, SopStep, SopVersion
from fieldapp.sync.models import PackChange
from fieldapp.visits.models import Visit, VisitErrorCode

RETENTION = timedelta(days=30)
# A bulk INSERT naming more records than this is logged as "all".
MAX_NAMED = 1000
ALL = "all"


@dataclass(frozen=True)
class Own:
    """The row names the record itself: kind, and the column holding its id."""

    kind: str
    column: str


@dataclass(frozen=True)
class Through:
    """The row names its record through a parent row: e.g. a visit's error code is the
    plotter's record of the visit it belongs to."""

    kind: str
    column: str  # this row's column naming the parent
    relation: str  # the same parent as a relationship (read when loaded: no query)
    parent: type
    parent_column: str  # the parent's column holding the record's id


TRACKED: dict[type, tuple] = {
    Equipment: (Own("equipment", "id"),),
    MeterReading: (Own("equipment", "equipment_id"),),
    Visit: (Own("equipment", "equipment_id"),),
    VisitErrorCode: (Through("equipment", "visit_id", "visit", Visit, "equipment_id"),),
    # A job is on the tech's list and among its plotter's open jobs (and decides which
    # plotters' full history the tech keeps).
    Job: (Own("job", "id"), Own("equipment", "equipment_id")),
    Customer: (Own("customer", "id"),),
    Site: (Own("site", "id"),),
    Contact: (Own("site", "site_id"),),
    Sop: (Own("sop", "id"),),
    SopVersion: (Own("sop", "sop_id"),),
    SopStep: (Through("sop", "version_id", "version", SopVersion, "sop_id"),),
    Part: (Own("part", "id"),),
    PartCompatibility: (Own("part", "part_id"),),
    StockLevel: (Own("location", "location_id"),),
    StockMovement: (Own("location", "location_id"),),  # the ledger line of a level's change
    StockLocation: (Own("location", "id"),),
}
TRACKED_TABLES = {model.__table__.name: rules for model, rules in TRACKED.items()}
# A person's name is on every visit they logged, their role decides what their pack holds:
# a change of either is too wide to list, so it asks every phone for a full pack.
USER_FIELDS = ("name", "role", "active")


class Unknown(Exception):
    """A row whose column's old value was never loaded: which record it named is not known."""


def _keep_old_values() -> None:
    """A tracked column set on an expired object (after a commit, say) loads its old value
    first (active history), so the record it named before is logged too."""
    for model, rules in TRACKED.items():
        for rule in rules:
            if rule.column not in {key.name for key in model.__mapper__.primary_key}:
                sa.event.listen(getattr(model, rule.column), "set", _noop, active_history=True)
    for name in USER_FIELDS:
        sa.event.listen(getattr(User, name), "set", _noop, active_history=True)


def _noop(_target, _value, _old, _initiator) -> None:
    """Listening is what makes SQLAlchemy load the old value; nothing else to do."""


_keep_old_values()


def _values(state, column: str, deleted: bool) -> set:
    """The record ids a row names in column: now, and before this flush changed it."""
    if state.key is not None and state.committed_state.get(column, None) is NO_VALUE:
        raise Unknown(column)  # changed without its old value ever loaded
    found = set(state.attrs[column].history.deleted)
    names = [c.key for c in state.mapper.primary_key]
    if column in state.dict:
        found.add(state.dict[column])
    elif column in names and state.identity is not None:
        found.add(state.identity[names.index(column)])
    elif deleted:
        raise Unknown(column)
    else:
        found.add(getattr(state.obj(), column))  # expired: loaded again, on this connection
    return {value for value in found if value is not None}


@sa.event.listens_for(Session, "after_flush")
def _log_pack_changes(session: Session, _context) -> None:
    """Name every pack record this flush changed, in the same transaction."""
    own: set[tuple[str, int]] = set()
    through: dict[Through, set] = {}
    deleted = set(session.deleted)
    dirty = [obj for obj in session.dirty if session.is_modified(obj)]
    for obj in (*session.new, *deleted, *dirty):
        if isinstance(obj, Setting):  # the visit rules the pack carries
            own.add((ALL, 0))
            continue
        if isinstance(obj, User):
            state = sa.inspect(obj)
            if obj in deleted or any(
                state.attrs[name].history.deleted
                or state.committed_state.get(name, None) is NO_VALUE
                for name in USER_FIELDS
            ):
                own.add((ALL, 0))
            continue
        rules = TRACKED.get(type(obj))
        if rules is None:
            continue
        state = sa.inspect(obj)
        try:
            for rule in rules:
                values = _values(state, rule.column, obj in deleted)
                if isinstance(rule, Own):
                    own |= {(rule.kind, value) for value in values}
                    continue
                parent = state.dict.get(rule.relation)
                if parent is not None and rule.parent_column in parent.__dict__:
                    if getattr(parent, rule.parent_column) is not None:
                        own.add((rule.kind, getattr(parent, rule.parent_column)))
                    continue
                through.setdefault(rule, set()).update(values)
        except Unknown:
            own.add((ALL, 0))
    if own or through:
        _write(session.connection(), own, through)


def _write(connection, own: set[tuple[str, int]], through: dict[Through, set]) -> None:
    now = utcnow()
    table = PackChange.__table__
    if own:
        connection.execute(
            sa.insert(table),
            [{"kind": kind, "key": key, "changed_at": now} for kind, key in sorted(own)],
        )
    for rule, values in through.items():
        parent = rule.parent.__table__
        _log_selected(
            connection,
            rule.kind,
            parent.c[rule.parent_column],
            parent.c[rule.parent_column].is_not(None)
            & parent.c[rule.parent.__mapper__.primary_key[0].name].in_(sorted(values)),
            now,
        )


def _log_selected(connection, kind: str, column, where, now) -> None:
    """Log the records the rows matching `where` name (one INSERT ... SELECT)."""
    table = PackChange.__table__
    connection.execute(
        sa.insert(table).from_select(
            ["kind", "key", "changed_at"],
            sa.select(sa.literal(kind, sa.String), column, sa.literal(now, table.c.changed_at.type))
            .where(where)
            .distinct(),
        )
    )


@sa.event.listens_for(Session, "do_orm_execute")
def _log_bulk_statements(state) -> object:
    """Bulk statements on the tables the pack shows skip the flush: log what they touch."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return None
    statement = state.statement
    name = getattr(statement.table, "name", None)
    if name == Setting.__tablename__ or (name == User.__tablename__ and not state.is_insert):
        _log_all(state.session.connection())
        return None
    rules = TRACKED_TABLES.get(name)
    if rules is None:
        return None
    connection = state.session.connection()
    if state.is_insert:
        # Rows given as parameters, or inline (.values(...), as an upsert writes them).
        rows = state.parameters or statement.compile(dialect=connection.dialect).params
        _log_inserted(connection, rules, rows)
        return None
    if statement.whereclause is None and state.is_delete:
        # A table emptied whole is the demo's reset, which empties this log too (and restarts
        # its ids, so no phone's cursor matches it and every phone gets a full pack): an
        # entry written now would only collide with the ids counted again from 1.
        return None
    if statement.whereclause is None or state.parameters:
        # Every row, or rows picked by parameters per row (an executemany): too wide to list.
        _log_all(connection)
        return None
    _log_matching(connection, rules, statement)
    if state.is_delete:
        return None
    result = state.invoke_statement()
    _log_matching(connection, rules, statement)  # an update may name another record now
    _log_set_values(connection, rules, statement)  # ... one its WHERE no longer selects
    return result


def _log_set_values(connection, rules: tuple, statement) -> None:
    """The records an UPDATE's SET names: a row moved to another plotter (say) may no longer
    match the WHERE, so the pass after it does not see the plotter it names now."""
    given = statement._values or dict(statement._ordered_values or ())
    values = {getattr(column, "key", column): value for column, value in given.items()}
    own: set[tuple[str, int]] = set()
    for rule in rules:
        if rule.column not in values:
            continue
        value = values[rule.column]
        literal = getattr(value, "value", None)
        if not isinstance(value, sa.BindParameter) or not isinstance(literal, int | None):
            _log_all(connection)  # an expression: which record it names is not known
            return
        if literal is None:
            continue
        if isinstance(rule, Own):
            own.add((rule.kind, literal))
        else:
            _write(connection, set(), {rule: {literal}})
    if own:
        _write(connection, own, {})


def _log_matching(connection, rules: tuple, statement) -> None:
    now = utcnow()
    table = statement.table
    where = statement.whereclause
    for rule in rules:
        if isinstance(rule, Own):
            column = table.c[rule.column]
            _log_selected(connection, rule.kind, column, where & column.is_not(None), now)
        else:
            parent = rule.parent.__table__
            column = parent.c[rule.parent_column]
            key = parent.c[rule.parent.__mapper__.primary_key[0].name]
            _log_selected(
                connection,
                rule.kind,
                column,
                column.is_not(None) & key.in_(sa.select(table.c[rule.column]).where(where)),
                now,
            )


def _log_inserted(connection, rules: tuple, parameters) -> None:
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    own: set[tuple[str, int]] = set()
    through: dict[Through, set] = {}
    for rule in rules:
        values = {row.get(rule.column) for row in rows}
        if None in values or not values:
            _log_all(connection)  # an id the database picks: nothing to name it by
            return
        if isinstance(rule, Own):
            own |= {(rule.kind, value) for value in values}
        else:
            through.setdefault(rule, set()).update(values)
    if len(own) + sum(map(len, through.values())) > MAX_NAMED:
        _log_all(connection)  # a load of rows (an import, the demo): full packs are cheaper
        return
    _write(connection, own, through)


def _log_all(connection) -> None:
    _write(connection, {(ALL, 0)}, {})


def changes_since(after_id: int, xmax: int, in_flight: tuple[int, ...]) -> dict[str, set[int]]:
    """The records logged after after_id, or by a transaction not yet visible when the cursor
    was taken (PostgreSQL: one in flight then, or begun since, xmax on; 0 names none), by
    kind."""
    seen = PackChange.id > after_id
    if xmax:
        seen = sa.or_(seen, PackChange.xid >= xmax)
    if in_flight:
        seen = sa.or_(seen, PackChange.xid.in_(in_flight))
    found: dict[str, set[int]] = {}
    for kind, key in db.session.execute(
        sa.select(PackChange.kind, PackChange.key).where(seen).distinct()
    ):
        found.setdefault(kind, set()).add(key)
    return found


def log_position() -> tuple[int, datetime | None, int, tuple[int, ...]]:
    """Where the log stands now, in one statement (one snapshot): the newest visible entry's
    id and time (0, None when empty) and, on PostgreSQL, the transactions not visible yet:
    those from xmax on and those in flight (0 and none on SQLite, where commits come one at
    a time, in id order)."""
    newest = sa.select(PackChange.id).order_by(PackChange.id.desc()).limit(1).scalar_subquery()
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    snapshot = sa.cast(sa.func.pg_current_snapshot(), sa.Text) if postgresql else sa.literal("0:0:")
    row = db.session.execute(
        sa.select(
            newest,
            sa.select(PackChange.changed_at).where(PackChange.id == newest).scalar_subquery(),
            snapshot,
        )
    ).one()
    _xmin, xmax, in_flight = row[2].split(":")  # "xmin:xmax:xid,xid"
    return (row[0] or 0, row[1], int(xmax), tuple(int(x) for x in in_flight.split(",") if x))


def prune_pack_changes(now=None) -> int:
    """Delete the entries older than RETENTION, keeping the newest of them: it is the anchor
    of a cursor taken then (which still reads all that came after it), and the one a cursor
    older than it no longer finds, so it gets a full pack. Run by the worker's daily pass,
    never inside a user's transaction (a delete of many rows would hold their locks)."""
    cutoff = (now or utcnow()) - RETENTION
    keep = db.session.scalar(
        sa.select(sa.func.max(PackChange.id)).where(PackChange.changed_at < cutoff)
    )
    if keep is None:
        return 0
    return db.session.execute(sa.delete(PackChange).where(PackChange.id < keep)).rowcount


def logged_at(change_id: int) -> datetime | None:
    return db.session.scalar(sa.select(PackChange.changed_at).where(PackChange.id == change_id))
