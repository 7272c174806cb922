"""The backup archive: one tar file (gzip when its name ends in .gz or .tgz) holding the
database, every stored file under files/, and manifest.json with a checksum of each."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import time
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from fieldapp.photos.storage import STORED_NAME

FORMAT = "fieldapp-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files/"
DATABASE_MEMBERS = {"sqlite": "database/fieldapp.sqlite3", "postgresql": "database/fieldapp.pgdump"}
CHUNK = 1024 * 1024
# What a damaged or foreign file makes tarfile and gzip raise.
UNREADABLE = (tarfile.TarError, EOFError, OSError, zlib.error, gzip.BadGzipFile)


class BackupError(Exception):
    """A backup cannot be made, read or restored; the message says why and what to do."""


def entry(name: str, data: bytes) -> dict:
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def file_entry(name: str, path: Path) -> dict:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return {"name": name, "size": path.stat().st_size, "sha256": digest.hexdigest()}


class ArchiveWriter:
    """Adds members to the tar being written, each with the time it was added."""

    def __init__(self, tar: tarfile.TarFile):
        self.tar = tar

    def add_bytes(self, member: str, data: bytes) -> None:
        self.tar.addfile(self._info(member, len(data)), io.BytesIO(data))

    def add_path(self, member: str, path: Path) -> None:
        with path.open("rb") as source:
            self.tar.addfile(self._info(member, path.stat().st_size), source)

    @staticmethod
    def _info(member: str, size: int) -> tarfile.TarInfo:
        info = tarfile.TarInfo(member)
        info.size, info.mtime, info.mode = size, int(time.time()), 0o600
        return info


@contextmanager
def written_atomically(target: Path) -> Iterator[ArchiveWriter]:
    """Write the archive under a temporary name beside target, renamed only when complete:
    a failure (or a crash) never leaves a half-written file under the name asked for. Only
    its owner may read it (it holds every password hash and customer)."""
    mode = "w:gz" if target.name.endswith((".gz", ".tgz")) else "w"
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode=mode) as tar:
                yield ArchiveWriter(tar)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_manifest(path: Path) -> dict:
    """The manifest of the backup at path, after checking every member against it: a file
    that is not a backup, is damaged or was changed is refused with a clear message."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist (or is not a file).")
    try:
        with tarfile.open(path, mode="r:*") as tar:
            manifest = _manifest(tar, path)
            expected = _members(manifest)
            seen: set[str] = set()
            for member in tar:
                want = expected.get(member.name)
                if want is None or not member.isfile():
                    raise BackupError(f"{path} is damaged: it holds {member.name!r}, not listed.")
                _check(tar, member, want, path)
                seen.add(member.name)
    except UNREADABLE as exc:
        raise BackupError(f"{path} is not a FieldApp backup or is damaged ({exc}).") from exc
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(
            f"{path} is damaged: {len(missing)} member(s) missing, e.g. {missing[0]}."
        )
    return manifest


def _manifest(tar: tarfile.TarFile, path: Path) -> dict:
    try:
        source = tar.extractfile(MANIFEST)
    except KeyError:
        source = None
    if source is None:
        raise BackupError(f"{path} is not a FieldApp backup (it has no {MANIFEST}).")
    try:
        manifest = json.loads(source.read())
    except ValueError as exc:
        raise BackupError(f"{path} is damaged: its {MANIFEST} cannot be read.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a FieldApp backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is a backup in format {manifest.get('format_version')!r}; this version of "
            f"FieldApp reads format {FORMAT_VERSION}."
        )
    shape_ok = (
        manifest.get("dialect") in DATABASE_MEMBERS
        and isinstance(manifest.get("created_at"), str)
        and isinstance(manifest.get("revision"), str | None)
        and isinstance(manifest.get("tables"), dict)
        and all(isinstance(v, int) for v in manifest["tables"].values())
        and _is_entry(manifest.get("database"))
        and manifest["database"]["name"] == DATABASE_MEMBERS[manifest["dialect"]]
        and isinstance(manifest.get("files"), list)
        and all(
            _is_entry(item) and STORED_NAME.fullmatch(item["name"]) for item in manifest["files"]
        )
    )
    if not shape_ok:
        raise BackupError(f"{path} is damaged: its {MANIFEST} is incomplete.")
    return manifest


def _is_entry(item) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("name"), str)
        and isinstance(item.get("size"), int)
        and isinstance(item.get("sha256"), str)
    )


def _members(manifest: dict) -> dict[str, dict]:
    members = {manifest["database"]["name"]: manifest["database"]}
    members |= {FILES + item["name"]: item for item in manifest["files"]}
    members[MANIFEST] = {}
    return members


def _check(tar: tarfile.TarFile, member: tarfile.TarInfo, want: dict, path: Path) -> None:
    if not want:  # the manifest itself, read already
        return
    digest = hashlib.sha256()
    source = tar.extractfile(member)
    while chunk := source.read(CHUNK):
        digest.update(chunk)
    if member.size != want["size"] or digest.hexdigest() != want["sha256"]:
        raise BackupError(f"{path} is damaged: {member.name} does not match its checksum.")


def copy_member(path: Path, manifest: dict, member: str, target: BinaryIO) -> None:
    """Copy one member of the backup into target, checking it once more on the way."""
    want = _members(manifest)[member]
    digest = hashlib.sha256()
    with tarfile.open(path, mode="r:*") as tar:
        source = tar.extractfile(member)
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    if digest.hexdigest() != want["sha256"]:
        raise BackupError(f"{path} changed while it was restored: {member} does not match.")


def stored_files(path: Path, manifest: dict) -> Iterator[tuple[str, bytes]]:
    """(stored name, bytes) of every file in the backup, each checked against the manifest."""
    wanted = {FILES + item["name"]: item for item in manifest["files"]}
    with tarfile.open(path, mode="r:*") as tar:
        for member in tar:
            item = wanted.get(member.name)
            if item is None:
                continue
            data = tar.extractfile(member).read()
            if hashlib.sha256(data).hexdigest() != item["sha256"]:
                raise BackupError(f"{path} changed while it was restored: {member.name}.")
            yield item["name"], data
