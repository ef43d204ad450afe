"""Consultation and guiding question models (DESIGN §1)."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoering.accounts.models import User
from hoering.extensions import db
from hoering.timeutil import UTCDateTime, oslo_today, to_oslo, utcnow

#: Longest guiding question, in characters.
QUESTION_MAX_LENGTH = 500


class Status(enum.StrEnum):
    """A consultation's status, always derived (DESIGN §1), never stored."""

    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"
    SUMMARIZED = "summarized"


class ModerationMode(enum.StrEnum):
    """Post-moderation publishes at once; pre-moderation holds comments for approval."""

    POST = "post"
    PRE = "pre"


#: Longest slug a consultation is given, in characters.
SLUG_MAX_LENGTH = 100


def could_be_slug(text: str | None) -> bool:
    """Whether ``text`` could be a consultation's slug at all, before any query: not empty,
    not much longer than :data:`SLUG_MAX_LENGTH`, and without NUL, which PostgreSQL's text
    refuses (the query would fail instead of finding nothing)."""
    return bool(text) and len(text) <= SLUG_MAX_LENGTH + 20 and "\x00" not in text


class Consultation(db.Model):
    """A case put out for public input.

    Comments are accepted while ``opens_at <= now <= closes_at``; ``closes_at`` is the last
    second of the deadline day in Oslo (23:59:59 local time) stored as UTC.
    """

    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    body_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: BCP 47 language of the content: nb, nn, en, de, zh-Hant …
    language: Mapped[str] = mapped_column(sa.String(16), default="nb")
    responsible_unit: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Hashtag for sharing, without the #, e.g. ``FjordvikSkole``.
    hashtag: Mapped[str] = mapped_column(sa.String(60), default="", server_default="")
    #: The political body that decides (formannskapet, kommunestyret …) and when it meets.
    political_body: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    meeting_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Why the period is shorter than the minimum (six weeks by default, utredningsinstruksen
    #: § 3-3): required to publish such a consultation, shown on its page (plain text).
    short_period_reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Keys of ``CONSULTATION_TOPICS`` and ``CONSULTATION_AREAS`` (:mod:`hoering.consultations.topics`);
    #: ``""`` for none. They decide which e-mail alert subscribers hear of it.
    topic: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    area: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    #: The decision ("vedtak") once made: what was decided, a link to the case, when.
    decision_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    decision_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Set when a case officer archives the consultation: off the front page, still readable.
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Set when staff feature the consultation on the front page: shown first there, the
    #: lowest position first (:func:`hoering.consultations.lifecycle.set_featured`).
    featured_position: Mapped[int | None] = mapped_column()
    moderation_mode: Mapped[str] = mapped_column(sa.String(10), default=ModerationMode.POST.value)
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    #: ``None`` while the consultation is a draft.
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Set when the summary is published (issue "themes, summary and reports").
    summarized_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    source_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: For content imported from open data: the credit its licence asks for (plain text,
    #: e.g. "The Computational Democracy Project, Polis"), the licence's name (e.g.
    #: "CC BY 4.0") and the licence's address. Shown on the consultation page and in the
    #: report (Creative Commons BY 4.0 §3(a): credit, licence and a link to it).
    source_attribution: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    source_licence: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    source_licence_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    #: Import key, e.g. ``polis:american-assembly.bowling-green``.
    external_id: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    #: Raised by one in the transaction of every change that alters what readers of the
    #: consultation see (its comments, supports, summary, documents, its own fields, its
    #: authors' names): the key of its cached pages and API answers
    #: (:mod:`hoering.consultations.versions`, docs/PERFORMANCE.md "Consultation page").
    content_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: For an imported conversation: how many people voted in it at the source (Polis's
    #: ``voters``), shown in the report; ``None`` for consultations held here.
    imported_voters: Mapped[int | None] = mapped_column()
    #: Takes formal responses (høringssvar) next to the comments (:mod:`hoering.responses`).
    accepts_responses: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation", order_by="Question.position", cascade="all, delete-orphan"
    )
    sections: Mapped[list[Section]] = relationship(
        back_populates="consultation", order_by="Section.position", cascade="all, delete-orphan"
    )

    def status(self, now: dt.datetime | None = None) -> Status:
        """Derive the status at ``now`` (aware UTC, default the current time)."""
        now = now or utcnow()
        if self.published_at is None:
            return Status.DRAFT
        if self.summarized_at is not None:
            return Status.SUMMARIZED
        if now < self.opens_at:
            return Status.UPCOMING
        if now <= self.closes_at:
            return Status.OPEN
        return Status.CLOSED

    def is_open(self, now: dt.datetime | None = None) -> bool:
        """True while comments are accepted."""
        return self.status(now) == Status.OPEN

    @property
    def deadline(self) -> dt.date:
        """The deadline day in Oslo (comments accepted until 23:59:59 that day)."""
        return to_oslo(self.closes_at).date()

    @property
    def period_days(self) -> int:
        """Whole calendar days (Oslo) from the opening day to the deadline day: the length
        of the consultation period as utredningsinstruksen § 3-3 counts it."""
        return (self.deadline - to_oslo(self.opens_at).date()).days

    def days_left(self, now: dt.datetime | None = None) -> int:
        """Whole calendar days from today (Oslo) to the deadline day; 0 on the last day."""
        return (self.deadline - oslo_today(now)).days


class LifecycleEvent(db.Model):
    """An append-only record of a case officer's step in a consultation's life: publish,
    extend the deadline, close early, record the decision, archive. The reason is public:
    the page shows why a deadline moved or a consultation closed early."""

    __tablename__ = "lifecycle_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: Deadlines before and after (ISO dates) for deadline changes.
    old_value: Mapped[str] = mapped_column(sa.String(40), default="")
    new_value: Mapped[str] = mapped_column(sa.String(40), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="joined")


class Document(db.Model):
    """An attachment of a consultation, stored outside the web root by content hash.

    ``mime`` is the type found in the content (never the name's extension)."""

    __tablename__ = "document"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "content_hash", name="uq_document_consultation_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    mime: Mapped[str] = mapped_column(sa.String(100))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Question(db.Model):
    """A guiding question; a top-level comment may answer one."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(sa.String(QUESTION_MAX_LENGTH))

    consultation: Mapped[Consultation] = relationship(back_populates="questions")


class CaseRecord(db.Model):
    """Where a consultation is filed in the municipality's records system (sakarkiv): its
    case number and classification, for the archive package (docs/CASE_OFFICERS.md
    "Arkivpakke"). One row per consultation, made when a case officer first sets them."""

    __tablename__ = "case_record"

    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id", ondelete="CASCADE"),
                                                 primary_key=True)
    #: The case number (saksnummer) in the records system, as it writes it: ``2026/1234``.
    case_number: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")
    #: The classification system (e.g. ``K-koder``) and the class (e.g. ``033``).
    classification_system: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    class_id: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


#: Longest section number ("§ 12 a", "Kapittel 3.2"), in characters.
SECTION_NUMBER_MAX_LENGTH = 40
#: Longest section heading, in characters.
SECTION_HEADING_MAX_LENGTH = 200


class Section(db.Model):
    """A numbered section of the draft regulation or plan put out for consultation
    ("§ 2 Virkeområde"); a top-level comment may be about one (``Comment.section_id``).

    ``text_markdown`` is kept for editing; ``text_html`` is its rendering cleaned by
    :func:`hoering.sanitize.markdown_html`.
    """

    __tablename__ = "consultation_section"
    #: One section per place: two added at the same moment cannot share a position
    #: (:func:`hoering.consultations.sections.add_section` adds the later one again).
    __table_args__ = (sa.Index("uq_consultation_section_consultation_id_position", "consultation_id", "position",
                               unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    number: Mapped[str] = mapped_column(sa.String(SECTION_NUMBER_MAX_LENGTH))
    heading: Mapped[str] = mapped_column(sa.String(SECTION_HEADING_MAX_LENGTH), default="")
    text_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    text_html: Mapped[str] = mapped_column(sa.Text, default="")

    consultation: Mapped[Consultation] = relationship(back_populates="sections")

    @property
    def label(self) -> str:
        """Number and heading, as cited: "§ 2 Virkeområde"."""
        return f"{self.number} {self.heading}".strip()
