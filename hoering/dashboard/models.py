"""When a staff member last looked at a consultation's comments (for "new since")."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class ConsultationView(db.Model):
    """A staff member's last look at a consultation's comments, one row per user and
    consultation; comments published after ``viewed_at`` count as new for her on the
    dashboard. Deleted with the user or the consultation."""

    __tablename__ = "consultation_view"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)
    viewed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
