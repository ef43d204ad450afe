"""Moderation models: house rules, reports, bans and the append-only audit log, and the
queries of a user's bans (:func:`active_ban`, :func:`bans_of`)."""

from __future__ import annotations

import datetime as dt
import enum
import functools

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hoering.accounts.models import User
from hoering.extensions import db
from hoering.timeutil import UTCDateTime, utcnow

#: Longest optional text of a report, in characters.
REPORT_TEXT_MAX_LENGTH = 1000
#: Reason code of a comment hidden automatically after enough reports.
PENDING_REVIEW = "pending_review"
#: ``Comment.hidden_reason`` of a comment hidden with its author's ban (the ban's own
#: reason is told to the author and kept in the audit log, not shown to the public).
HIDDEN_BY_BAN = "ban"


class ReportReason(enum.StrEnum):
    """Why a citizen reports a comment."""

    SPAM = "spam"
    OFFENSIVE = "offensive"
    PERSONAL_INFORMATION = "personal_information"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class ActionType(enum.StrEnum):
    """Kinds of :class:`ModerationAction`. Automatic ones have no actor."""

    APPROVE = "approve"
    REJECT = "reject"
    HIDE = "hide"
    RESTORE = "restore"
    DISMISS_REPORTS = "dismiss_reports"
    LOCK = "lock"
    UNLOCK = "unlock"
    AUTO_HOLD = "auto_hold"
    AUTO_HIDE = "auto_hide"
    AUTHOR_REMOVE = "author_remove"
    IMPORT = "import"
    BAN = "ban"
    UNBAN = "unban"
    ROLE_CHANGE = "role_change"
    TWO_FACTOR_RESET = "two_factor_reset"
    SETTING_CHANGE = "setting_change"
    INVITATION_SENT = "invitation_sent"
    INVITATION_REVOKED = "invitation_revoked"
    INVITATION_ACCEPTED = "invitation_accepted"


class HouseRule(db.Model):
    """One of the published house rules (ordensregler) a moderator cites when hiding.

    ``code`` is stable (kept in the audit log); ``title`` and ``description`` are the
    public text in bokmål, written by admins, with the nynorsk and English versions beside
    them (empty: not written; the bokmål text is shown instead, marked as bokmål).
    """

    __tablename__ = "house_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    title_nn: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    description_nn: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    title_en: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    def text_in(self, language: str) -> tuple[str, str, str]:
        """The rule's text for a reader of ``language``.

        Args:
            language: a UI language code (``nb``, ``nn`` or ``en``).

        Returns:
            ``(title, description, language of that text)``: the version in ``language``
            when its title is written, otherwise the bokmål one (``"nb"``), so the page can
            mark text that is not in its own language with ``lang`` (WCAG 2.1, 3.1.2
            Language of Parts).
        """
        if language in ("nn", "en") and getattr(self, f"title_{language}"):
            return getattr(self, f"title_{language}"), getattr(self, f"description_{language}") or "", language
        return self.title, self.description or "", "nb"


class Report(db.Model):
    """A citizen's flag on a comment: one per user and comment.

    ``resolved_at`` is set when a moderator hides the comment (``upheld``) or dismisses
    the reports (``dismissed``).
    """

    __tablename__ = "report"
    __table_args__ = (sa.UniqueConstraint("comment_id", "reporter_id", name="uq_report_comment_reporter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(30))
    text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    resolution: Mapped[str | None] = mapped_column(sa.String(20))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])


class Ban(db.Model):
    """A user barred from posting, supporting and reporting; ``expires_at`` ``None`` is for good."""

    __tablename__ = "ban"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    moderator_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    moderator: Mapped[User] = relationship(foreign_keys=[moderator_id])

    def is_active_at(self, now: dt.datetime) -> bool:
        """True while the ban is in force at ``now`` (aware UTC)."""
        return self.lifted_at is None and (self.expires_at is None or now < self.expires_at)


def _in_force(now: dt.datetime):
    """The condition of a ban in force at ``now``, and the order that puts the one that
    lasts longest first (a ban without end first)."""
    return (sa.and_(Ban.lifted_at.is_(None), sa.or_(Ban.expires_at.is_(None), Ban.expires_at > now)),
            (Ban.expires_at.is_(None).desc(), Ban.expires_at.desc()))


@functools.cache
def _ban_queries():
    """The statements of :func:`active_ban` and :func:`user_with_active_ban`, built once
    with bound parameters (``user_id``, ``now``): the user of every logged-in request is
    loaded with the second, and building it anew cost more than running it."""
    in_force, longest_first = _in_force(sa.bindparam("now", type_=UTCDateTime()))
    user_id = sa.bindparam("user_id")
    active = sa.select(Ban).where(Ban.user_id == user_id, in_force).order_by(*longest_first).limit(1)
    with_user = (sa.select(User, Ban).outerjoin(Ban, sa.and_(Ban.user_id == User.id, in_force))
                 .where(User.id == user_id).order_by(*longest_first).limit(1))
    return active, with_user


def active_ban(user, now: dt.datetime | None = None) -> Ban | None:
    """The ban in force for ``user`` now, or ``None``; cached for the request.

    Args:
        user: a ``User`` or Flask-Login's anonymous user (who is never banned).
        now: the moment to check (aware UTC); defaults to now.
    """
    if not getattr(user, "id", None):
        return None
    key = f"active_ban_{user.id}"
    if has_request_context() and key in g:
        return g.get(key)
    ban = db.session.scalar(_ban_queries()[0], {"user_id": user.id, "now": now or utcnow()})
    if has_request_context():
        setattr(g, key, ban)
    return ban


def user_with_active_ban(user_id: int, now: dt.datetime | None = None, extended=None,
                         params: dict | None = None):
    """The user with id ``user_id``, or ``None``, read in one query together with the ban
    in force for them (as :func:`active_ban` finds it, which then answers from its
    cache for the rest of the request without asking the database again).

    Args:
        user_id: the user's id.
        now: the moment the ban must be in force at (aware UTC); defaults to now.
        extended: ``extended(statement) -> statement``, which adds joins and columns to the
            statement (a ``select(User, Ban)`` with the bound parameters ``user_id`` and
            ``now``), for a view that reads what else it needs in the same round trip; it
            is called once per statement and the result kept, so it must always build the
            same thing.
        params: the bound parameters the extension adds.

    Returns:
        The ``User`` (or ``None``); with ``extended``, ``(User, row)`` with the row of the
        extended statement (or ``None``).
    """
    statement = _ban_queries()[1] if extended is None else _extended_user_query(extended)
    row = db.session.execute(statement, {"user_id": user_id, "now": now or utcnow(), **(params or {})}).first()
    if row is None:
        return None
    user, ban = row[0], row[1]
    if has_request_context():
        setattr(g, f"active_ban_{user.id}", ban)
    return user if extended is None else (user, row)


@functools.cache
def _extended_user_query(extended):
    return extended(_ban_queries()[1])


def bans_of(user_id: int) -> list[Ban]:
    """Every ban of a user (by ``user_id``), newest first."""
    return list(db.session.scalars(sa.select(Ban).where(Ban.user_id == user_id).order_by(Ban.created_at.desc())))


class BanHiddenComment(db.Model):
    """A comment a ban hid (the moderator ticked "hide the comments" on the ban form), so
    that lifting the ban can restore exactly these and no comment hidden for another
    reason. ``restored_at`` is set when the lifting restored it."""

    __tablename__ = "ban_hidden_comment"

    ban_id: Mapped[int] = mapped_column(sa.ForeignKey("ban.id"), primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id"), primary_key=True, index=True)
    restored_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ModerationAction(db.Model):
    """One entry of the append-only audit log (rows are never updated or deleted).

    ``actor_id`` is ``None`` for automatic actions (``is_automatic``) and imports.
    ``comment_id`` or ``target_user_id`` names what was acted on; ``reason`` is a house-rule
    code, an automatic rule name or a report reason; ``state_before``/``state_after`` are
    comment states (or, for users, a short description such as a role).
    """

    __tablename__ = "moderation_action"
    __table_args__ = (sa.Index("ix_moderation_action_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    is_automatic: Mapped[bool] = mapped_column(default=False)
    comment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("comment.id"), index=True)
    target_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    consultation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consultation.id"), index=True)
    reason: Mapped[str | None] = mapped_column(sa.String(60))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    state_before: Mapped[str | None] = mapped_column(sa.String(30))
    state_after: Mapped[str | None] = mapped_column(sa.String(30))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    target_user: Mapped[User | None] = relationship(foreign_keys=[target_user_id])


class AuditLogIsAppendOnly(RuntimeError):
    """Raised on an attempt to change or delete a :class:`ModerationAction`."""


@sa.event.listens_for(ModerationAction, "before_update")
@sa.event.listens_for(ModerationAction, "before_delete")
def _refuse_changes(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly("moderation actions are append-only")
