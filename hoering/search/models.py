"""The index task queue: every write that changes searchable content adds a row in the
same database transaction; the rows are applied to the index after commit (DESIGN §4)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class IndexTask(db.Model):
    """"Bring the index entry of this object up to date" (or remove it).

    ``doc_type`` is ``comment``, ``consultation`` or ``consultation_comments`` (every comment
    of a consultation, e.g. after its language changed).
    """

    __tablename__ = "index_task"
    __table_args__ = {"sqlite_autoincrement": True}  # ids are never reused

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(sa.String(30))
    doc_id: Mapped[int] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
