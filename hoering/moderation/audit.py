"""The audit log: writing its entries and reading them back.

Every change of a comment's state, every ban, role change and two-factor reset adds a
:class:`~hoering.moderation.models.ModerationAction` with :func:`record`, in the same
transaction as the change, so the log is complete by construction. This module imports only
the models, so every service that changes something may log it here.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.comments.models import Comment
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.moderation.models import ActionType, ModerationAction
from hoering.timeutil import utcnow


def record(action: ActionType, *, actor: User | None = None, comment: Comment | None = None,
           target_user: User | None = None, reason: str | None = None, note: str = "",
           before: str | None = None, after: str | None = None, automatic: bool = False,
           at: dt.datetime | None = None) -> ModerationAction:
    """Add one audit-log entry to the session (the caller commits with its change).

    Args:
        action: what was done.
        actor: who did it; ``None`` for automatic actions and imports.
        comment: the comment acted on; its consultation is logged with it.
        target_user: the user acted on; defaults to the comment's author.
        reason: a house-rule code, an automatic rule name or a report reason.
        note: the moderator's note (not shown to the public).
        before: the state before (a comment state, or e.g. a role).
        after: the state afterwards.
        automatic: the action was taken by a rule, not a person.
        at: when (aware UTC); defaults to now.
    """
    entry = ModerationAction(
        action=action.value, actor_id=actor.id if actor is not None else None, is_automatic=automatic,
        comment_id=comment.id if comment is not None else None,
        consultation_id=comment.consultation_id if comment is not None else None,
        target_user_id=target_user.id if target_user is not None else (comment.author_id if comment else None),
        reason=reason, note=note or "", state_before=before, state_after=after, created_at=at or utcnow(),
    )
    db.session.add(entry)
    return entry


def last_action(comment_id: int) -> ModerationAction | None:
    """The newest audit-log entry of a comment (by ``comment_id``), or ``None``."""
    return db.session.scalar(
        sa.select(ModerationAction).where(ModerationAction.comment_id == comment_id)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc()).limit(1)
    )


def history(comment_id: int) -> list[ModerationAction]:
    """All audit-log entries of a comment (by ``comment_id``), oldest first."""
    return list(db.session.scalars(
        sa.select(ModerationAction).where(ModerationAction.comment_id == comment_id)
        .order_by(ModerationAction.created_at, ModerationAction.id)
    ))


def audit_log_query(action: str | None = None, actor_id: int | None = None, consultation_id: int | None = None,
                    comment_id: int | None = None, since: dt.datetime | None = None,
                    until: dt.datetime | None = None, include_drafts: bool = True):
    """A SELECT of audit-log entries matching the filters, newest first; without
    ``include_drafts``, none about draft consultations' comments.

    Args:
        action: an :class:`~hoering.moderation.models.ActionType` value.
        actor_id: only what this user did.
        consultation_id: only entries about this consultation's comments.
        comment_id: only entries about this comment.
        since: entries at or after this moment (aware UTC).
        until: entries before this moment (aware UTC).
        include_drafts: also entries about comments of draft consultations.

    Returns:
        A ``sqlalchemy.Select`` of :class:`~hoering.moderation.models.ModerationAction`.
    """
    query = sa.select(ModerationAction).order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
    if not include_drafts:
        query = query.where(sa.or_(ModerationAction.consultation_id.is_(None), ModerationAction.consultation_id.in_(
            sa.select(Consultation.id).where(Consultation.published_at.is_not(None)))))
    if action:
        query = query.where(ModerationAction.action == action)
    if actor_id:
        query = query.where(ModerationAction.actor_id == actor_id)
    if consultation_id:
        query = query.where(ModerationAction.consultation_id == consultation_id)
    if comment_id:
        query = query.where(ModerationAction.comment_id == comment_id)
    if since:
        query = query.where(ModerationAction.created_at >= since)
    if until:
        query = query.where(ModerationAction.created_at < until)
    return query
