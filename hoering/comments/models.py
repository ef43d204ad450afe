"""Comment and Support models; threads per DESIGN §3."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoering.accounts.models import User
from hoering.consultations.models import Consultation  # noqa: F401  (relationship target)
from hoering.extensions import db
from hoering.stances import Stance
from hoering.timeutil import UTCDateTime, utcnow

#: Width of one zero-padded id segment in :attr:`Comment.path`.
PATH_SEGMENT_WIDTH = 10
#: Length of the random key a comment form carries (:attr:`Comment.submission_token`).
SUBMISSION_TOKEN_LENGTH = 32


class CommentState(enum.StrEnum):
    """Comment states (DESIGN §1)."""

    PENDING = "pending"
    PUBLISHED = "published"
    HIDDEN = "hidden"
    REJECTED = "rejected"
    REMOVED = "removed"


class Comment(db.Model):
    """A citizen's plain-text contribution, top-level (a thread) or a reply.

    Thread layout (DESIGN §3): ``parent_id`` is the comment answered, ``thread_id`` the
    top-level comment, ``depth`` the visual depth (0 for top-level, at most
    ``MAX_REPLY_DEPTH``) and ``path`` the ids of its visual ancestors and itself,
    zero-padded and joined by ``.``, so ordering by ``path`` lists a thread in reading
    order with one query.
    """

    __tablename__ = "comment"
    __table_args__ = (
        sa.UniqueConstraint("consultation_id", "external_id", name="uq_comment_consultation_external"),
        sa.UniqueConstraint("author_id", "submission_token", name="uq_comment_author_submission_token"),
        sa.Index("ix_comment_thread_path", "thread_id", "path"),
        sa.Index("ix_comment_consultation_top", "consultation_id", "depth", "state", "created_at"),
        # A consultation's published comments oldest first (the moderators' analysis, summaries/coding.py).
        sa.Index("ix_comment_consultation_state_created", "consultation_id", "state", "created_at", "id"),
        # The page of threads: top-level comments of a consultation, newest or oldest first.
        sa.Index("ix_comment_threads", "consultation_id", "created_at", "id",
                 postgresql_where=sa.text("parent_id IS NULL"), sqlite_where=sa.text("parent_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(sa.ForeignKey("consultation.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id"))
    thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id"))
    path: Mapped[str] = mapped_column(sa.String(64), default="")
    depth: Mapped[int] = mapped_column(default=0)
    question_id: Mapped[int | None] = mapped_column(sa.ForeignKey("question.id"))
    #: The section of the draft text a top-level comment is about (``consultation_section``).
    section_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consultation_section.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=CommentState.PUBLISHED.value)
    #: The text as the author typed it (normalized line endings); kept for editing and export.
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    #: Sanitized HTML made from ``body_text`` by :func:`hoering.sanitize.comment_html`.
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    #: People who agree ("enig"): the rows of :class:`Support` with the stance ``agree``,
    #: plus, for an imported comment, the agree votes of the source.
    support_count: Mapped[int] = mapped_column(default=0)
    #: People who disagree ("uenig"), as ``support_count``.
    disagree_count: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Passes, from imported data only (Polis's "pass"); citizens here agree or disagree.
    pass_count: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Import key within the consultation (the Polis comment id).
    external_id: Mapped[str | None] = mapped_column(sa.String(64))
    #: Why a hidden or rejected comment is not shown: a house-rule code, or
    #: ``pending_review`` when enough reports hid it automatically.
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(60))
    #: Incremented by every moderation step; a moderator's form carries the number it saw,
    #: so two moderators acting at once cannot overwrite each other silently.
    moderation_version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set on a top-level comment when a moderator locks its thread against new replies.
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Set on a reply a case officer or moderator gave on behalf of the municipality: the
    #: unit's name, shown with an "official reply" badge.
    official_unit: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    #: The random key of the form the comment was sent from (``SUBMISSION_TOKEN_LENGTH``
    #: URL-safe characters; NULL for comments from older forms, imports and the demo).
    #: Unique per author, so the same form sent twice stores one comment.
    submission_token: Mapped[str | None] = mapped_column(sa.String(64))

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    consultation: Mapped[Consultation] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    @property
    def is_visible_text(self) -> bool:
        """True if the text may be shown to the public."""
        return self.state == CommentState.PUBLISHED.value


def count_participants():
    """SQL aggregate: distinct authors of the selected comments, not counting official
    replies (the municipality answering is not a participant of its own consultation)."""
    return sa.func.count(sa.distinct(sa.case((Comment.official_unit == "", Comment.author_id))))


class Support(db.Model):
    """A citizen's stance on a comment, "enig" (``agree``) or "uenig" (``disagree``,
    :class:`hoering.stances.Stance`): one per user and comment. (The name is older than
    disagreeing; rows from before it are agreements.)"""

    __tablename__ = "support"
    __table_args__ = (sa.UniqueConstraint("comment_id", "user_id", name="uq_support_comment_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    stance: Mapped[str] = mapped_column(sa.String(8), default=Stance.AGREE.value, server_default=Stance.AGREE.value)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
