"""Where photo files live, and how they reach it only with a committed database row.

A file is first written under a unique temporary name beside its final place ("staged").
When the session's transaction commits, staged files are moved into place; when it ends
any other way, they are deleted. So a request that fails leaves nothing on disk, and of two
uploads racing for one photo id only the one whose row committed puts its file in place. A
photo removed loses its files only when the removal commits.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger("fieldapp.photos")

_STAGED = "fieldapp.photos.staged"


@dataclass(frozen=True)
class StagedFile:
    temporary: Path | None  # None: the final file goes away at the commit
    final: Path


class LocalFolder:
    """Photo files under one folder: photos/ab/abcdef….jpg (and .thumb.jpg, .png)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        return self.root / name

    def read(self, name: str) -> bytes:
        """The file's bytes; FileNotFoundError when there is none."""
        return self.path(name).read_bytes()

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def names(self) -> Iterator[str]:
        """Every stored name (as given to stage), staged files not yet in place excepted."""
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                yield path.relative_to(self.root).as_posix()

    def write(self, name: str, data: bytes) -> None:
        """Put data under name at once, outside any transaction (a restore)."""
        final = self.path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f"{final.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, final)

    def delete(self, name: str) -> None:
        """Remove the file under name at once (a restore); no file is not an error."""
        self.path(name).unlink(missing_ok=True)

    def stage(self, session: Session, name: str, data: bytes) -> None:
        """Write data for name, to be put in place when session commits."""
        final = self.path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f"{final.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(data)
        session.info.setdefault(_STAGED, []).append(StagedFile(temporary, final))

    def remove_after_commit(self, session: Session, name: str) -> None:
        """Delete the file for name once session commits (kept if it rolls back)."""
        session.info.setdefault(_STAGED, []).append(StagedFile(None, self.path(name)))


def file_name(photo_id: uuid.UUID, size: str, kind: str) -> str:
    """The stored name of a photo's full image or thumbnail; signatures keep PNG."""
    name = photo_id.hex
    suffix = ".thumb.jpg" if size == "thumb" else ".png" if kind == "signature" else ".jpg"
    return f"photos/{name[:2]}/{name}{suffix}"


@sa.event.listens_for(Session, "after_commit")
def _publish_staged(session: Session) -> None:
    for staged in session.info.pop(_STAGED, []):
        try:
            if staged.temporary is None:
                staged.final.unlink(missing_ok=True)
            else:
                os.replace(staged.temporary, staged.final)
        except OSError:
            log.exception("could not put %s in place or remove it", staged.final)


@sa.event.listens_for(Session, "after_transaction_end")
def _discard_staged(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without a commit (rollback, close): its files go too."""
    if transaction.parent is not None:
        return
    for staged in session.info.pop(_STAGED, []):
        if staged.temporary is not None:
            staged.temporary.unlink(missing_ok=True)
