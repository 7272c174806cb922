"""The pack's cursor: where in the change log a phone's copy of the pack stands.

Opaque to the phone; here it is "p<format>.<id>.<anchor>.<read>": the newest change-log id
the pack saw, that entry's time (microseconds; the same id with another time is another
database's log, or a log emptied since), and when the pack was read. A change's id and time
are taken at flush, before its commit, so a transaction in flight while the pack was read can
commit later under a lower id: a delta re-sends everything logged since the read less
IN_FLIGHT (sending a record twice is harmless), and everything with a higher id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fieldapp.dbtypes import utcnow
from fieldapp.errors import ServiceError
from fieldapp.sync.changes import RETENTION, log_position, logged_at
from fieldapp.visits.rules import RULES_VERSION

# Longer than any transaction that writes pack records runs (and than two servers' clocks
# are apart): what was logged this long before a read and committed after it is sent again.
IN_FLIGHT = timedelta(minutes=2)
# What the pack's records look like; a cursor of another format gets a full pack.
FORMAT = f"1r{RULES_VERSION}"
_CURSOR = re.compile(rf"p{FORMAT}\.(\d{{1,18}})\.(\d{{1,19}})\.(\d{{1,19}})")
_ANY_FORMAT = re.compile(r"p[0-9a-z]{1,12}\.\d{1,18}\.\d{1,19}\.\d{1,19}")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadCursor(ServiceError):
    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class Cursor:
    last_id: int
    anchor: int  # the entry's time in microseconds, 0 with an empty log
    read_at: datetime

    def __str__(self) -> str:
        return f"p{FORMAT}.{self.last_id}.{self.anchor}.{_micros(self.read_at)}"


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def cursor_now() -> Cursor:
    """Where the log stands before a pack is read (what commits meanwhile is sent again)."""
    read_at = utcnow()
    last_id, changed_at = log_position()
    return Cursor(last_id, _micros(changed_at) if changed_at else 0, read_at)


def parse_cursor(text: str) -> Cursor | None:
    """The cursor a phone sent; None when it is one of ours but of another pack format.
    Anything else is a 400."""
    found = _CURSOR.fullmatch(text)
    if found is None:
        if _ANY_FORMAT.fullmatch(text):
            return None
        message = "since must be the cursor of a pack this server sent; ask without since."
        raise BadCursor(message, {"since": [message]})
    last_id, anchor, read = (int(part) for part in found.groups())
    try:
        read_at = EPOCH + timedelta(microseconds=read)
    except OverflowError:
        return None
    return Cursor(last_id, anchor, read_at)


def still_readable(cursor: Cursor) -> bool:
    """Whether the log still holds all that happened since the cursor, in this database."""
    now = utcnow()
    if cursor.read_at > now + IN_FLIGHT or cursor.read_at - IN_FLIGHT < now - RETENTION:
        return False  # pruned past it (or a clock not ours)
    if cursor.last_id == 0:
        # Read from an empty log: with nothing logged since, it is this one; else unknown.
        return log_position()[0] == 0
    changed_at = logged_at(cursor.last_id)
    return changed_at is not None and _micros(changed_at) == cursor.anchor
