"""An address that asked to hear of new consultations (GDPR: only the address, the
choices and the times needed to honour them are stored)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class AlertSubscription(db.Model):
    """One e-mail address subscribed to alerts of new consultations.

    ``topics`` and ``areas`` hold comma-separated keys of ``CONSULTATION_TOPICS`` and
    ``CONSULTATION_AREAS``; an empty list means "any". Nothing is sent before
    ``confirmed_at`` is set (double opt-in); an unconfirmed row is deleted once its
    confirmation link has expired, a confirmed one when its owner unsubscribes.
    ``key`` is a random value signed into the links, so a link stops working once the
    row is gone, even if the same address subscribes again.
    """

    __tablename__ = "alert_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    topics: Mapped[str] = mapped_column(sa.String(500), default="")
    areas: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Interface language the mails are written in ("nb", "nn", "en"): the one the form was sent in.
    language: Mapped[str] = mapped_column(sa.String(8), default="nb")
    key: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)

    @property
    def topic_keys(self) -> list[str]:
        """The chosen topic keys (empty: any topic)."""
        return [key for key in self.topics.split(",") if key]

    @property
    def area_keys(self) -> list[str]:
        """The chosen area keys (empty: any area)."""
        return [key for key in self.areas.split(",") if key]
