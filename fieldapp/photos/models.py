"""An uploaded image, decoded and re-encoded by the server, with a thumbnail."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from fieldapp.dbtypes import UTCDateTime, one_of, utcnow
from fieldapp.extensions import db

PHOTO_KINDS = ("photo", "signature")


class Photo(db.Model):
    """The id is made by the client so an upload can be retried; the owner (a visit, a message
    or a service request) is set when the record that uses the photo arrives."""

    __tablename__ = "photos"
    __table_args__ = (
        one_of("kind", PHOTO_KINDS),
        sa.CheckConstraint("width > 0 AND height > 0", name="size_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(sa.String(12), default="photo")
    content_type: Mapped[str] = mapped_column(sa.String(40))
    width: Mapped[int]
    height: Mapped[int]
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    visit_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("visits.id"), index=True)
    message_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    service_request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("service_requests.id"), index=True
    )
    caption: Mapped[str] = mapped_column(sa.String(200), default="")

    @property
    def is_attached(self) -> bool:
        """Already used by a visit, a message or a service request."""
        return bool(self.visit_id or self.message_id or self.service_request_id)
