"""The pack's cursor: where in the change log a phone's copy of the pack stands.

Opaque to the phone; here it is "p<format>.<id>.<anchor>.<xmax>[.<xid>...]": the newest
change-log id the pack saw, that entry's time (microseconds; the same id with another time
is another database's log, or a log emptied since; an id no longer there was pruned), and on
PostgreSQL the snapshot's transactions not visible yet: from xmax on, and those in flight
(0 and none on SQLite). All are taken in one statement before the pack is read, and no clock
is compared: a change's id is taken at flush, before its commit, so a transaction in flight
during the read can commit later under a lower id; its entries are sent by its transaction
id (sending a record twice is harmless). On SQLite one transaction writes at a time, so ids
come in commit order: id > last_id is exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fieldapp.errors import ServiceError
from fieldapp.sync.changes import log_position, logged_at
from fieldapp.visits.rules import RULES_VERSION

# What the pack's records look like; a cursor of another format gets a full pack.
FORMAT = f"1r{RULES_VERSION}"
# More transactions in flight than this: the cursor names none, and xmax is the oldest of
# them (what committed since it began is sent again).
MAX_IN_FLIGHT = 16
_CURSOR = re.compile(
    rf"p{FORMAT}\.(\d{{1,18}})\.(\d{{1,19}})\.(\d{{1,19}})((?:\.\d{{1,19}}){{0,{MAX_IN_FLIGHT}}})"
)
_ANY_FORMAT = re.compile(
    rf"p[0-9a-z]{{1,12}}\.\d{{1,18}}\.\d{{1,19}}\.\d{{1,19}}(?:\.\d{{1,19}}){{0,{MAX_IN_FLIGHT}}}"
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadCursor(ServiceError):
    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class Cursor:
    last_id: int
    anchor: int  # the entry's time in microseconds, 0 with an empty log
    xmax: int  # PostgreSQL: the transactions from this one on were not visible; else 0
    in_flight: tuple[int, ...] = ()  # ... nor these, in flight at the read

    def __str__(self) -> str:
        tail = "".join(f".{xid}" for xid in self.in_flight)
        return f"p{FORMAT}.{self.last_id}.{self.anchor}.{self.xmax}{tail}"


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def cursor_now() -> Cursor:
    """Where the log stands, taken before the pack is read (what commits meanwhile is sent
    again)."""
    last_id, changed_at, xmax, in_flight = log_position()
    if len(in_flight) > MAX_IN_FLIGHT:
        xmax, in_flight = min(in_flight), ()
    return Cursor(last_id, _micros(changed_at) if changed_at else 0, xmax, in_flight)


def parse_cursor(text: str) -> Cursor | None:
    """The cursor a phone sent; None when it is one of ours but of another pack format.
    Anything else is a 400."""
    found = _CURSOR.fullmatch(text)
    if found is None:
        if _ANY_FORMAT.fullmatch(text):
            return None
        message = "since must be the cursor of a pack this server sent; ask without since."
        raise BadCursor(message, {"since": [message]})
    last_id, anchor, xmax = (int(part) for part in found.groups()[:3])
    in_flight = tuple(int(xid) for xid in found.group(4).split(".") if xid)
    if max((xmax, *in_flight)) >= 2**63:
        return None  # no transaction id of ours
    return Cursor(last_id, anchor, xmax, in_flight)


def still_readable(cursor: Cursor) -> bool:
    """Whether the log still holds all that happened since the cursor, in this database: its
    newest entry is still there, with its time (pruning keeps the newest entry it could
    delete, so an older cursor no longer finds its own)."""
    if cursor.last_id == 0:
        # Read from an empty log: with nothing logged since, it is this one; else unknown.
        return log_position()[0] == 0
    changed_at = logged_at(cursor.last_id)
    return changed_at is not None and _micros(changed_at) == cursor.anchor
