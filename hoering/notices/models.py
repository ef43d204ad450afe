"""The urgent notice shown on every page for a set period."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoering.accounts.models import User
from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class Severity(enum.StrEnum):
    """How serious a notice is: it sets the banner's colour and the word before its title."""

    INFO = "info"
    WARNING = "warning"
    DANGER = "danger"


class UrgentNotice(db.Model):
    """A notice shown on every page while ``starts_at <= now < ends_at`` (aware UTC).

    The text is Markdown kept for editing (``body_markdown``) and rendered once, cleaned
    by :func:`hoering.sanitize.markdown_html`, into ``body_html``. A notice is never
    deleted: ending it early sets ``ends_at`` to the moment, and the admin page lists it
    among the past ones.
    """

    __tablename__ = "urgent_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    severity: Mapped[str] = mapped_column(sa.String(20), default=Severity.WARNING.value)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")

    def is_active(self, now: dt.datetime | None = None) -> bool:
        """Whether the notice is shown at ``now`` (aware UTC, default the current time)."""
        now = now or utcnow()
        return self.starts_at <= now < self.ends_at
