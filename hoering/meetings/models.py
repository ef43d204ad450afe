"""Political bodies, their members, meetings, agenda items, meeting documents and the
citizens who follow a body (DESIGN §1 terms: ``Body`` = politisk organ, ``Meeting`` = møte,
``AgendaItem`` = sak på sakslista)."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow


class BodyKind(enum.StrEnum):
    """The kinds of political body of a Norwegian municipality (kommuneloven §§ 5-1, 5-6,
    5-7; the councils of elderly, disabled and young people: kommuneloven § 5-12)."""

    COUNCIL = "kommunestyre"
    EXECUTIVE = "formannskap"
    COMMITTEE = "utvalg"
    ADVISORY = "rad"
    OTHER = "annet"


class MemberRole(enum.StrEnum):
    """A member's role in a body: chair, deputy chair, member, substitute."""

    CHAIR = "leder"
    DEPUTY_CHAIR = "nestleder"
    MEMBER = "medlem"
    SUBSTITUTE = "varamedlem"


class MeetingStatus(enum.StrEnum):
    """A meeting is planned until it has been held or is cancelled."""

    PLANNED = "planned"
    HELD = "held"
    CANCELLED = "cancelled"


class Body(db.Model):
    """A political body: kommunestyret, formannskapet, a committee, a council."""

    __tablename__ = "political_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20), default=BodyKind.COMMITTEE.value)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The body's page in the municipality's own meeting portal (https only), or "".
    portal_url: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Order in the list of bodies (lowest first).
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    members: Mapped[list[BodyMember]] = relationship(
        back_populates="body", cascade="all, delete-orphan",
        order_by="(BodyMember.role_order, BodyMember.position, BodyMember.name)")


#: The order roles are listed in on a body's page.
ROLE_ORDER = {MemberRole.CHAIR.value: 0, MemberRole.DEPUTY_CHAIR.value: 1, MemberRole.MEMBER.value: 2,
              MemberRole.SUBSTITUTE.value: 3}


class BodyMember(db.Model):
    """A member of a body, with a role and (optionally) a party."""

    __tablename__ = "body_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("political_body.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(20), default=MemberRole.MEMBER.value)
    #: 0 chair, 1 deputy, 2 member, 3 substitute (:data:`ROLE_ORDER`), kept with the role.
    role_order: Mapped[int] = mapped_column(default=2)
    party: Mapped[str] = mapped_column(sa.String(100), default="")
    position: Mapped[int] = mapped_column(default=0)

    body: Mapped[Body] = relationship(back_populates="members")


class Meeting(db.Model):
    """A meeting of a body. Public once its agenda is published (``agenda_published_at``);
    its minutes are public once approved (``minutes_approved_on``)."""

    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("political_body.id", ondelete="CASCADE"), index=True)
    #: When the meeting starts (stored as UTC, shown in Oslo time).
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(20), default=MeetingStatus.PLANNED.value)
    agenda_published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: The minutes (protokoll) as typed (Markdown) and as sanitized HTML.
    minutes_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_html: Mapped[str] = mapped_column(sa.Text, default="")
    minutes_approved_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    body: Mapped[Body] = relationship(lazy="joined")
    items: Mapped[list[AgendaItem]] = relationship(back_populates="meeting", cascade="all, delete-orphan",
                                                   order_by="(AgendaItem.position, AgendaItem.id)")

    @property
    def is_public(self) -> bool:
        """True once the agenda is published."""
        return self.agenda_published_at is not None

    @property
    def minutes_public(self) -> bool:
        """True once the minutes are approved."""
        return self.minutes_approved_on is not None and bool(self.minutes_markdown)


class AgendaItem(db.Model):
    """A case on a meeting's agenda (sak på sakslista): number ("PS 12/26"), title, the
    archive's case number ("2026/1234"), description, the decision once made, and the
    consultation whose case it decides (at most one item per consultation)."""

    __tablename__ = "agenda_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    number: Mapped[str] = mapped_column(sa.String(40), default="")
    title: Mapped[str] = mapped_column(sa.String(300))
    case_number: Mapped[str] = mapped_column(sa.String(40), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    decision_text: Mapped[str] = mapped_column(sa.Text, default="")
    consultation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("consultation.id", ondelete="SET NULL"), unique=True)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    consultation: Mapped[Consultation | None] = relationship()


class MeetingDocument(db.Model):
    """A document of a meeting (the agenda, the minutes as signed) or of one of its agenda
    items, stored by content hash like a consultation's (:mod:`hoering.storage`)."""

    __tablename__ = "meeting_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agenda_item.id", ondelete="CASCADE"),
                                                       index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    mime: Mapped[str] = mapped_column(sa.String(100))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BodyFollower(db.Model):
    """A user following a body: mailed when a meeting's agenda is published and when
    minutes are approved."""

    __tablename__ = "body_follower"
    __table_args__ = (sa.UniqueConstraint("user_id", "body_id", name="uq_body_follower_user_body"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    body_id: Mapped[int] = mapped_column(sa.ForeignKey("political_body.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
