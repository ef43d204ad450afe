"""Formal responses (høringssvar), their attachments and the append-only screening log."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoering.accounts.models import User
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class ResponseState(enum.StrEnum):
    """Where a response is in screening: ``received`` until a case officer decides."""

    RECEIVED = "received"
    PUBLISHED = "published"
    REDACTED = "redacted"  # published with parts removed
    HELD_BACK = "held_back"


class Channel(enum.StrEnum):
    """How a response reached the municipality."""

    WEB = "web"
    LETTER = "letter"
    EMAIL = "email"


#: States in which a response's public version is shown to everyone.
PUBLIC_STATES = (ResponseState.PUBLISHED.value, ResponseState.REDACTED.value)


class FormalResponse(db.Model):
    """A formal response to a consultation.

    ``text`` is what the sender wrote, never shown to the public; ``public_text`` is the
    version published after screening (the whole text, or the text with parts removed).
    ``reference`` (``HS-2026-0042``) is shown to the sender and on the public list; the
    receipt page is reached only through ``token``, which cannot be guessed.
    """

    __tablename__ = "formal_response"
    __table_args__ = (sa.UniqueConstraint("year", "number", name="uq_formal_response_year_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    year: Mapped[int] = mapped_column()
    number: Mapped[int] = mapped_column()
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    channel: Mapped[str] = mapped_column(sa.String(10), default=Channel.WEB.value)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The account the response was sent from, if the sender was logged in.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The case officer who registered a response that came by letter or e-mail.
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    sender_name: Mapped[str] = mapped_column(sa.String(200))
    sender_email: Mapped[str] = mapped_column(sa.String(320), default="")
    organisation_name: Mapped[str] = mapped_column(sa.String(200), default="")
    organisation_number: Mapped[str] = mapped_column(sa.String(9), default="")
    on_behalf_of_organisation: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    consent_to_publication: Mapped[bool] = mapped_column(default=False)
    #: The interface language the sender used (the receipt mail is written in it).
    language: Mapped[str] = mapped_column(sa.String(8), default="nb")
    state: Mapped[str] = mapped_column(sa.String(12), default=ResponseState.RECEIVED.value, index=True)
    public_text: Mapped[str] = mapped_column(sa.Text, default="")
    #: Published without the sender's name (and organisation): a sender who did not consent.
    name_withheld: Mapped[bool] = mapped_column(default=False)
    legal_ground: Mapped[str] = mapped_column(sa.String(300), default="")
    screened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    screened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship()
    screened_by: Mapped[User | None] = relationship(foreign_keys=[screened_by_id])
    attachments: Mapped[list[ResponseAttachment]] = relationship(
        back_populates="response", order_by="ResponseAttachment.id", cascade="all, delete-orphan")

    @property
    def is_public(self) -> bool:
        """True when the public version is shown to everyone."""
        return self.state in PUBLIC_STATES

    @property
    def public_sender(self) -> str:
        """Who the public list names: the organisation for a response on its behalf, else
        the person; ``""`` when the name is withheld."""
        if self.name_withheld:
            return ""
        if self.on_behalf_of_organisation and self.organisation_name:
            return self.organisation_name
        return self.sender_name

    def public_attachments(self) -> list[ResponseAttachment]:
        """The attachments published with the response (none while it is not public)."""
        return [a for a in self.attachments if not a.withheld] if self.is_public else []


class ResponseAttachment(db.Model):
    """A file sent with a response (PDF, DOCX, ODT; the type read from the content), kept
    in the document store by content hash (:mod:`hoering.storage`)."""

    __tablename__ = "response_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("formal_response.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    mime: Mapped[str] = mapped_column(sa.String(100))
    #: Kept back from publication by screening.
    withheld: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    response: Mapped[FormalResponse] = relationship(back_populates="attachments")


class ScreeningEntry(db.Model):
    """One line of the append-only screening log: who decided what about a response, when,
    and on which legal ground. Rows are only ever added."""

    __tablename__ = "response_screening_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("formal_response.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(sa.String(20))
    legal_ground: Mapped[str] = mapped_column(sa.String(300), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class ResponseTheme(db.Model):
    """A formal response tagged with one of its consultation's themes (the analysis, as
    comments are tagged: :class:`hoering.summaries.models.CommentTheme`). Deleting or
    merging a theme away deletes its tags of responses."""

    __tablename__ = "response_theme"

    response_id: Mapped[int] = mapped_column(sa.ForeignKey("formal_response.id", ondelete="CASCADE"),
                                             primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True, index=True)
    tagged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    tagged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
