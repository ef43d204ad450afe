"""Themes, comment tags and the summary of a consultation (DESIGN §1)."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow

#: Longest theme name and description, in characters.
THEME_NAME_MAX_LENGTH = 120
THEME_DESCRIPTION_MAX_LENGTH = 2000
#: Longest summary text (overall or per theme), in characters.
SUMMARY_TEXT_MAX_LENGTH = 20000


class Theme(db.Model):
    """A moderator-defined topic of one consultation; comments are tagged with themes."""

    __tablename__ = "theme"
    __table_args__ = (sa.UniqueConstraint("consultation_id", "name", name="uq_theme_consultation_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(THEME_NAME_MAX_LENGTH))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class TagSource(enum.StrEnum):
    """How a tag came to be (:attr:`CommentTheme.source`), for the report's method section:
    whether a moderator chose the theme for that comment, or accepted what the computer
    proposed (:mod:`hoering.summaries.suggestions`)."""

    #: A moderator chose the theme for this comment (its page, "Én og én", a theme page).
    MANUAL = "manual"
    #: A moderator tagged every comment a filter or search found, with confirmation.
    BULK = "bulk"
    #: A moderator accepted the theme proposed for this comment (ticked, or "accept" on it).
    PROPOSAL = "proposal"
    #: Accepted with every proposal at or above a confidence, not one by one.
    PROPOSALS_ABOVE = "proposals_above"
    #: A member of a discovered group of comments kept as a theme ("Temaforslag").
    DISCOVERED = "discovered"


class CommentTheme(db.Model):
    """A comment tagged with a theme: who tagged it, when, and how (:class:`TagSource`;
    ``confidence``, 0 to 1, is the proposal's when one was accepted)."""

    __tablename__ = "comment_theme"

    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)
    tagged_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    tagged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(sa.String(20), default=TagSource.MANUAL.value,
                                        server_default=TagSource.MANUAL.value)
    confidence: Mapped[float | None] = mapped_column(sa.Float)


class DeclinedProposal(db.Model):
    """A proposed theme a moderator turned down for a comment (unticked, or tagged the
    comment otherwise): it is not proposed for that comment again."""

    __tablename__ = "declined_theme_proposal"

    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True)
    declined_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    declined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThemeSeed(db.Model):
    """A comment of the discovered group a theme was kept from ("Temaforslag"), kept
    without tagging it: the group's comments stand in for tagged examples in the theme's
    prototype until comments are tagged with it (:mod:`hoering.summaries.suggestions`),
    so the proposals reflect the group and not the name alone."""

    __tablename__ = "theme_seed_comment"

    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)


class ReadWithoutTheme(db.Model):
    """A published comment a moderator has read and found no theme for ("lest, uten tema"):
    who marked it and when, recorded like a tag (:class:`CommentTheme`). A comment is
    *analysed* when it has a theme or this mark; tagging it later takes the mark away."""

    __tablename__ = "comment_read_without_theme"

    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), primary_key=True)
    marked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    marked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Summary(db.Model):
    """The moderators' account of what was said ("Dette har vi hørt"): an overall text and
    a text per theme, each with quoted comments. A draft until ``published_at`` is set;
    publishing sets the consultation's ``summarized_at`` (status *summarized*)."""

    __tablename__ = "summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"), unique=True)
    #: Markdown as the moderator wrote it, and the HTML made from it by
    #: :func:`hoering.sanitize.markdown_html`.
    overview_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    overview_html: Mapped[str] = mapped_column(sa.Text, default="")
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    sections: Mapped[list[SummarySection]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    quotes: Mapped[list[SummaryQuote]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                      order_by="SummaryQuote.position")


class SummarySection(db.Model):
    """The summary's text about one theme."""

    __tablename__ = "summary_section"
    __table_args__ = (sa.UniqueConstraint("summary_id", "theme_id", name="uq_summary_section_theme"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(sa.ForeignKey("summary.id"), index=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"))
    text_markdown: Mapped[str] = mapped_column(sa.Text, default="")
    text_html: Mapped[str] = mapped_column(sa.Text, default="")


class SummaryQuote(db.Model):
    """A comment or a published formal response (høringssvar) quoted in the summary,
    overall (``theme_id`` None) or under a theme: exactly one of ``comment_id`` and
    ``response_id`` is set. The same comment, or the same response, is quoted at most once
    per theme and once in the overall part (unique constraints and partial unique indexes)."""

    __tablename__ = "summary_quote"
    __table_args__ = (
        sa.UniqueConstraint("summary_id", "theme_id", "comment_id", name="uq_summary_quote"),
        sa.UniqueConstraint("summary_id", "theme_id", "response_id", name="uq_summary_quote_response"),
        sa.CheckConstraint("(comment_id IS NULL) <> (response_id IS NULL)", name="one_source"),
        # The overall part (``theme_id`` NULL), which the constraints above cannot hold to
        # once: SQL's NULLs are all distinct. Partial unique indexes, on both databases.
        sa.Index("uq_summary_quote_overall_comment", "summary_id", "comment_id", unique=True,
                 sqlite_where=sa.text("theme_id IS NULL"), postgresql_where=sa.text("theme_id IS NULL")),
        sa.Index("uq_summary_quote_overall_response", "summary_id", "response_id", unique=True,
                 sqlite_where=sa.text("theme_id IS NULL"), postgresql_where=sa.text("theme_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(sa.ForeignKey("summary.id"), index=True)
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"))
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id"))
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("formal_response.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)


class CommentVector(db.Model):
    """A comment's sentence embedding (:mod:`hoering.embeddings`), made once per text and
    method by :func:`hoering.summaries.vectors.refresh_vectors`, so that themes by meaning
    and near-duplicate groups need not embed every comment again.

    ``vector`` holds ``dimensions`` IEEE half-precision floats (little-endian, ``float16``:
    1 KiB for 512 dimensions; the rounding, below 0.001 per component, moves cosines by
    less than 0.001). ``text_hash`` is the SHA-256 of the text embedded (hex, first 32
    characters): an edited comment no longer matches it and is embedded again.
    """

    __tablename__ = "comment_vector"

    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    method: Mapped[str] = mapped_column(sa.String(60))
    text_hash: Mapped[str] = mapped_column(sa.String(32))
    dimensions: Mapped[int] = mapped_column()
    vector: Mapped[bytes] = mapped_column(sa.LargeBinary)
    made_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
