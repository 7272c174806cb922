"""Where photo files live (a local folder, or an S3 bucket), and how they reach it only with a
committed database row.

A file is first written under a unique temporary name ("staged"). When the session's
transaction commits, staged files are put in place under their final name; when it ends any
other way, they are deleted. So a request that fails leaves nothing stored, and of two
uploads racing for one photo id only the one whose row committed puts its file in place. A
photo removed loses its files only when the removal commits.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import sqlalchemy as sa
from botocore.exceptions import ClientError
from sqlalchemy.orm import Session, SessionTransaction

from fieldapp.config import ENV_PREFIX, ConfigError

log = logging.getLogger("fieldapp.photos")

_STAGED = "fieldapp.photos.staged"
# S3's rules for a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# What S3 answers for a key that is not there: NoSuchKey, or 404 to a HEAD; and 403 on AWS
# when the credentials may read objects but not list the bucket.
_MISSING = ("NoSuchKey", "404")
_DENIED = ("AccessDenied", "403")
# Every name the app stores a file under: a photo's full image, its thumbnail or a signature
# (file_name below), and the company logo, named by its content hash (settings' LOGO_PREFIX).
STORED_NAME = re.compile(
    r"photos/(?P<dir>[0-9a-f]{2})/(?P=dir)[0-9a-f]{30}(\.jpg|\.thumb\.jpg|\.png)"
    r"|company/logo-[0-9a-f]{16}\.png"
)


class FileStore:
    """Files by name ("photos/ab/abcdef….jpg", "company/logo-….png"); the transactional
    staging is shared, each store says how to write, move and delete."""

    def read(self, name: str) -> bytes:
        """The file's bytes; FileNotFoundError when there is none."""
        raise NotImplementedError

    def exists(self, name: str) -> bool:
        raise NotImplementedError

    def names(self) -> Iterator[str]:
        """Every stored name (as given to stage), staged files not yet in place excepted."""
        raise NotImplementedError

    def write(self, name: str, data: bytes) -> None:
        """Put data under name at once, outside any transaction (a restore)."""
        raise NotImplementedError

    def delete(self, name: str) -> None:
        """Remove the file under name at once (a restore); no file is not an error."""
        raise NotImplementedError

    def stage(self, session: Session, name: str, data: bytes) -> None:
        """Write data for name, to be put in place when session commits."""
        temporary = self._write_temporary(name, data)
        session.info.setdefault(_STAGED, []).append(Staged(self, temporary, name))

    def remove_after_commit(self, session: Session, name: str) -> None:
        """Delete the file for name once session commits (kept if it rolls back)."""
        session.info.setdefault(_STAGED, []).append(Staged(self, None, name))

    def _write_temporary(self, name: str, data: bytes) -> Any:
        """Write data under a new unique temporary name, and return that name."""
        raise NotImplementedError

    def _publish(self, temporary: Any, name: str) -> None:
        """Put the temporary file in place under name; the temporary name is gone after (and
        kept if that fails)."""
        raise NotImplementedError

    def _discard(self, temporary: Any) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Staged:
    store: FileStore
    temporary: Any  # None: the final file goes away at the commit
    name: str


class LocalFolder(FileStore):
    """Files under one folder; a staged file waits beside its final place as NAME.HEX.tmp."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str) -> Path:
        return self.root / name

    def read(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def names(self) -> Iterator[str]:
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.endswith(".tmp"):
                yield path.relative_to(self.root).as_posix()

    def write(self, name: str, data: bytes) -> None:
        self._publish(self._write_temporary(name, data), name)

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def _write_temporary(self, name: str, data: bytes) -> Path:
        final = self._path(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(f"{final.name}.{uuid.uuid4().hex}.tmp")
        temporary.write_bytes(data)
        return temporary

    def _publish(self, temporary: Path, name: str) -> None:
        os.replace(temporary, self._path(name))

    def _discard(self, temporary: Path) -> None:
        temporary.unlink(missing_ok=True)


class S3Bucket(FileStore):
    """Files as objects under a prefix of one bucket (AWS S3 or a compatible store such as
    MinIO). A staged file waits under PREFIX.staged/ and is copied to its key at the commit
    (an object cannot be renamed); a bucket lifecycle rule on that prefix may expire what a
    crashed worker left there."""

    STAGING = ".staged/"

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, name: str) -> str:
        return self.prefix + name

    def read(self, name: str) -> bytes:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if self._missing(exc, name):
                raise FileNotFoundError(name) from exc
            raise
        with answer["Body"] as body:
            return body.read()

    def exists(self, name: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(name))
        except ClientError as exc:
            if self._missing(exc, name):
                return False
            raise
        return True

    def _missing(self, error: ClientError, name: str) -> bool:
        """Whether S3's error means there is no such object. A refusal counts as missing (a
        key that is not there is refused without the right to list), but is logged: it is
        also what wrong credentials get."""
        code = error.response["Error"]["Code"]
        if code in _DENIED:
            log.warning("S3 refused to read %s (%s): taken as missing", self._key(name), code)
        return code in _MISSING or code in _DENIED

    def names(self) -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix) :]
                if not name.startswith(self.STAGING):
                    yield name

    def write(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(name))

    def _write_temporary(self, name: str, data: bytes) -> str:
        temporary = f"{self.prefix}{self.STAGING}{uuid.uuid4().hex}"
        self.client.put_object(Bucket=self.bucket, Key=temporary, Body=data)
        return temporary

    def _publish(self, temporary: str, name: str) -> None:
        self.client.copy_object(
            Bucket=self.bucket,
            Key=self._key(name),
            CopySource={"Bucket": self.bucket, "Key": temporary},
        )
        # Only once the copy is made: a failed copy keeps the staged object (the lifecycle
        # rule expires it) until an upload sent again stages the file once more.
        self._discard(temporary)

    def _discard(self, temporary: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=temporary)


def store_from_config(config) -> FileStore:
    """The store STORAGE_URL names: empty for the local folder UPLOAD_FOLDER, or
    s3://BUCKET/PREFIX (S3_ENDPOINT_URL for an S3-compatible store; credentials and region
    as boto3 finds them in its usual environment). A bad URL stops the app at start."""
    url = (config.get("STORAGE_URL") or "").strip()
    if not url:
        return LocalFolder(config["UPLOAD_FOLDER"])
    parts = urlsplit(url)
    if parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc) or parts.query:
        # Credentials belong in boto3's environment, and never in a message.
        shown = url.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1)
        raise ConfigError(
            f"{ENV_PREFIX}STORAGE_URL must be s3://BUCKET or s3://BUCKET/PREFIX (or unset, for "
            f"files in the local folder {ENV_PREFIX}UPLOAD_FOLDER; credentials go in boto3's "
            f"environment, not in the URL), not {shown!r}"
        )
    prefix = parts.path.strip("/")
    client = boto3.session.Session().client(
        "s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None
    )
    return S3Bucket(client, parts.netloc, f"{prefix}/" if prefix else "")


SIZES = ("full", "thumb")  # each photo is stored twice: its full image and a thumbnail


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
                staged.store.delete(staged.name)
            else:
                staged.store._publish(staged.temporary, staged.name)
        except Exception:  # the rows are committed: the request must not fail now
            log.exception("could not put %s in place or remove it", staged.name)


@sa.event.listens_for(Session, "after_transaction_end")
def _discard_staged(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without a commit (rollback, close): its files go too."""
    if transaction.parent is not None:
        return
    for staged in session.info.pop(_STAGED, []):
        if staged.temporary is not None:
            try:
                staged.store._discard(staged.temporary)
            except Exception:  # the rollback stands; a left-over temporary file harms nothing
                log.exception("could not delete the staged file for %s", staged.name)
