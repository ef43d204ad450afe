"""Subscriptions and the mail outbox."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class Subscription(db.Model):
    """A user following a consultation for e-mail updates."""

    __tablename__ = "subscription"
    __table_args__ = (sa.UniqueConstraint("user_id", "consultation_id", name="uq_subscription_user_consultation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailOptOut(db.Model):
    """A user who stopped mails about one consultation (or, with no consultation, all
    mails) from a mail's link. Following the consultation again lifts it."""

    __tablename__ = "mail_opt_out"
    __table_args__ = (sa.UniqueConstraint("user_id", "consultation_id", name="uq_mail_opt_out_user_consultation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consultation.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMail(db.Model):
    """A mail to send, written in the same transaction as what it tells about.

    ``dedupe_key`` (unique) makes a reminder or digest exist once however often it is
    queued; a sender claims a row by setting ``claimed_at`` where it is empty, so two
    senders never send the same mail.
    """

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(40))
    #: The comment a reply mail tells about: checked again when sending, so a reply a
    #: moderator hid meanwhile is not mailed.
    comment_id: Mapped[int | None] = mapped_column()
    #: The one-click unsubscribe address (RFC 8058) put in the mail's headers.
    unsubscribe_url: Mapped[str] = mapped_column(sa.String(500), default="")
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
