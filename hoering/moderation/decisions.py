"""Moderators' decisions on comments: approve, reject, hide, restore, dismiss reports, lock
and unlock a thread, one comment at a time or many at once.

Each decision checks the moderator's rights and stake (:mod:`hoering.moderation.recusal`),
that nobody else changed the comment meanwhile (``moderation_version``), and that the action
applies to the comment's state; it then changes the comment, writes the audit-log entry and
resolves the comment's open reports in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.accounts.services import needs_email_verification
from hoering.comments.models import Comment, CommentState
from hoering.events import CommentModerated, CommentPublished, announce
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.i18n import human_datetime
from hoering.moderation.audit import last_action, record
from hoering.moderation.models import PENDING_REVIEW, ActionType, Report
from hoering.moderation.recusal import RECUSAL_MESSAGES, recusal
from hoering.moderation.rules import _check_rule
from hoering.sanitize import normalize_text
from hoering.timeutil import utcnow

PENDING = CommentState.PENDING.value
PUBLISHED = CommentState.PUBLISHED.value
HIDDEN = CommentState.HIDDEN.value
REJECTED = CommentState.REJECTED.value

#: Longest moderator's note, in characters.
NOTE_MAX_LENGTH = 2000


class AlreadyHandled(Conflict):
    """Another moderator changed the comment after this one loaded it (HTTP 409)."""


#: Action → (states it applies to, state afterwards; ``None`` keeps the state).
TRANSITIONS: dict[ActionType, tuple[tuple[str, ...], str | None]] = {
    ActionType.APPROVE: ((PENDING, REJECTED), PUBLISHED),
    ActionType.REJECT: ((PENDING,), REJECTED),
    ActionType.HIDE: ((PUBLISHED, PENDING, HIDDEN), HIDDEN),
    ActionType.RESTORE: ((HIDDEN,), PUBLISHED),
    ActionType.DISMISS_REPORTS: ((PUBLISHED, HIDDEN), None),
    ActionType.LOCK: ((PUBLISHED, HIDDEN, CommentState.REMOVED.value), None),
    ActionType.UNLOCK: ((PUBLISHED, HIDDEN, CommentState.REMOVED.value), None),
}
MODERATOR_ACTIONS = tuple(TRANSITIONS)


def already_handled_message(comment_id: int):
    """The "already handled by … at …" message (a lazy string) for the comment with id
    ``comment_id``, changed by someone else; a plain "has changed" message if its audit log
    is empty."""
    entry = last_action(comment_id)
    if entry is None:
        return _l("This comment has changed since you opened it. Look at it again before you act.")
    who = entry.actor.display_name if entry.actor is not None else _l("an automatic rule")
    return _l("Already handled by %(who)s at %(when)s. Look at the comment again before you act.",
              who=who, when=human_datetime(entry.created_at))


def moderate(comment: Comment, moderator, action: ActionType | str, expected_version: int | None,
             reason: str | None = None, note: str = "", now: dt.datetime | None = None) -> Comment:
    """Apply one moderator action to a comment and log it, in one transaction.

    Args:
        action: one of :data:`MODERATOR_ACTIONS`.
        expected_version: the ``moderation_version`` the moderator saw; ``None`` skips the
            check (only for scripted use).
        reason: a house-rule code; required for ``hide``.
        note: the moderator's note for the log (not shown to the public).

    Raises:
        PermissionDenied: not a moderator; the comment's consultation is a draft the
            moderator may not see; or the moderator has a stake in the comment (her own
            comment, or one she has reported: :mod:`hoering.moderation.recusal`).
        AlreadyHandled: the comment changed after ``expected_version``.
        ValidationFailed: the action does not apply to the comment's state, or no rule.
    """
    if not permissions.can_moderate(moderator):
        raise PermissionDenied(_l("Only moderators can do this."))
    if not permissions.can_view_consultation(moderator, comment.consultation):
        raise PermissionDenied(_l("Only case officers and administrators work on draft consultations."))
    stake = recusal(moderator, comment)
    if stake is not None:
        raise PermissionDenied(RECUSAL_MESSAGES[stake])
    try:
        action = ActionType(action)
    except ValueError:
        raise ValidationFailed(_l("Unknown moderation action.")) from None
    if action not in TRANSITIONS:
        raise ValidationFailed(_l("Unknown moderation action."))
    if expected_version is not None and comment.moderation_version != expected_version:
        raise AlreadyHandled(already_handled_message(comment.id))
    allowed, after = TRANSITIONS[action]
    if comment.state not in allowed:
        raise ValidationFailed(_l("This action does not apply to a comment in this state."))
    if action in (ActionType.LOCK, ActionType.UNLOCK) and comment.parent_id is not None:
        raise ValidationFailed(_l("Only a whole thread can be locked: lock its first comment."))
    now = now or utcnow()
    note = normalize_text(note or "")
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(_l("The note can be at most %(max)d characters.", max=NOTE_MAX_LENGTH))
    if action not in (ActionType.HIDE, ActionType.REJECT):
        reason = None  # only hiding and rejecting cite a house rule
    before = comment.state
    values: dict = {"moderation_version": comment.moderation_version + 1}
    if action == ActionType.HIDE:
        reason = _check_rule(reason)
        values.update(state=HIDDEN, hidden_reason=reason)
    elif action == ActionType.REJECT:
        reason = reason or None
        if reason:
            reason = _check_rule(reason)
        values.update(state=REJECTED, hidden_reason=reason)
    elif after is not None:
        values.update(state=after, hidden_reason=None)
    elif action == ActionType.DISMISS_REPORTS and comment.state == HIDDEN and comment.hidden_reason == PENDING_REVIEW:
        values.update(state=PUBLISHED, hidden_reason=None)
    if values.get("state") == PUBLISHED:
        # Whatever the way there (approve, restore after hiding, approve after rejecting),
        # nothing of an author with an unconfirmed address is published by a moderator.
        if needs_email_verification(comment.author):
            raise ValidationFailed(_l("The author has not confirmed the e-mail address yet; the comment waits for "
                                      "that before it can be published."))
    if action == ActionType.LOCK:
        values["locked_at"] = now
    elif action == ActionType.UNLOCK:
        values["locked_at"] = None
    updated = db.session.execute(
        sa.update(Comment).where(Comment.id == comment.id, Comment.moderation_version == comment.moderation_version)
        .values(**values).execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        db.session.rollback()
        raise AlreadyHandled(already_handled_message(comment.id))
    state_after = values.get("state", before)
    record(action, actor=moderator, comment=comment, reason=reason, note=note, before=before,
           after=state_after, at=now)
    if action == ActionType.APPROVE and state_after == PUBLISHED:  # a reply held for approval is news now
        announce(CommentPublished(comment.id, comment.consultation_id))
    elif state_after != before:
        announce(CommentModerated(comment.id, comment.consultation_id, ActionType(action).value, before, state_after,
                                  moderator.id))
    resolution = {ActionType.HIDE: "upheld", ActionType.REJECT: "upheld", ActionType.RESTORE: "dismissed",
                  ActionType.DISMISS_REPORTS: "dismissed", ActionType.APPROVE: "dismissed"}.get(action)
    if resolution:
        db.session.execute(
            sa.update(Report).where(Report.comment_id == comment.id, Report.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by_id=moderator.id, resolution=resolution)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    db.session.refresh(comment)
    return comment


@dataclass
class BulkResult:
    """What a bulk action did: ids done, and ``{id: message}`` for those refused."""

    done: list[int]
    refused: dict[int, str]


def moderate_many(items: list[tuple[int, int]], moderator, action: str, reason: str | None = None,
                  note: str = "") -> BulkResult:
    """Apply one action to many comments, each checked and logged on its own.

    Args:
        items: ``(comment_id, expected_version)`` pairs.
        moderator: the acting ``User``.
        action: one of :data:`MODERATOR_ACTIONS`, as for :func:`moderate`.
        reason: a house-rule code, as for :func:`moderate`.
        note: the moderator's note for the log.

    Returns:
        The comments done and, for each refused one, why (a comment that is gone or that
        the moderator may not see is refused as gone). Raises nothing of its own: what
        :func:`moderate` refuses for one comment is rolled back and reported in the result.
    """
    result = BulkResult(done=[], refused={})
    for comment_id, version in items:
        comment = db.session.get(Comment, comment_id)
        if comment is None or not permissions.can_view_consultation(moderator, comment.consultation):
            # A draft's comments are not revealed to moderators who may not see drafts.
            result.refused[comment_id] = str(_l("The comment no longer exists."))
            continue
        try:
            moderate(comment, moderator, action, version, reason=reason, note=note)
        except (Conflict, ValidationFailed, PermissionDenied) as error:
            db.session.rollback()
            result.refused[comment_id] = str(error.message)
        else:
            result.done.append(comment_id)
    return result
