"""Moderation services: reports, moderator actions, automatic holds, the queue (bans
are in :mod:`hoering.moderation.bans`, recusal in :mod:`hoering.moderation.recusal`).

Every change of a comment's state writes a :class:`ModerationAction` in the same
transaction, so the audit log is complete by construction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.accounts.models import Role, User
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.database import insert_unless_present
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.moderation.audit import last_action, record
from hoering.moderation.models import (
    PENDING_REVIEW,
    REPORT_TEXT_MAX_LENGTH,
    ActionType,
    Report,
    ReportReason,
)
from hoering.moderation.recusal import RECUSAL_MESSAGES, recusal, recusals
from hoering.moderation.rules import _check_rule
from hoering.sanitize import normalize_text
from hoering.search.services import enqueue
from hoering.timeutil import utcnow

PENDING = CommentState.PENDING.value
PUBLISHED = CommentState.PUBLISHED.value
HIDDEN = CommentState.HIDDEN.value
REJECTED = CommentState.REJECTED.value

#: Longest moderator's note, in characters.
NOTE_MAX_LENGTH = 2000
#: Reason written when enough reports hide a comment.
REPORT_THRESHOLD = "report_threshold"


class AlreadyHandled(Conflict):
    """Another moderator changed the comment after this one loaded it (HTTP 409)."""


# --- reports -----------------------------------------------------------------------------------

def report_comment(comment: Comment, reporter, reason: str, text: str = "",
                   now: dt.datetime | None = None) -> bool:
    """File a citizen's report; after ``REPORT_HIDE_THRESHOLD`` (default 3) distinct open
    reports the comment is hidden pending review (an automatic, logged action). Commits.

    Returns:
        True if the report was filed; False if the reporter had already reported the
        comment (the form sent again, or from several tabs at once): nothing is filed twice.

    Raises:
        PermissionDenied: the reporter may not report this comment (not logged in, banned,
            own comment, not published, e-mail address not confirmed).
        ValidationFailed: unknown reason, or text over 1,000 characters.
    """
    if not permissions.can_report_comment(reporter, comment):
        raise PermissionDenied(_l("You cannot report this comment."))
    from hoering.accounts.services import require_confirmed_email

    require_confirmed_email(reporter)
    if reason not in {r.value for r in ReportReason}:
        raise ValidationFailed(_l("Choose why you report the comment."))
    text = normalize_text(text or "")
    if len(text) > REPORT_TEXT_MAX_LENGTH:
        raise ValidationFailed(_l("The explanation can be at most %(max)d characters.", max=REPORT_TEXT_MAX_LENGTH))
    now = now or utcnow()
    # Lock the comment (PostgreSQL), so parallel reports are counted one after another and
    # the threshold is met exactly once; then check it is still published.
    state = db.session.scalar(sa.select(Comment.state).where(Comment.id == comment.id).with_for_update())
    if state != PUBLISHED:
        db.session.rollback()
        raise PermissionDenied(_l("You cannot report this comment."))
    # One report per reporter and comment, decided by the unique constraint: the same form
    # sent again, or from several tabs at once, files nothing more.
    if not insert_unless_present(Report, {"comment_id": comment.id, "reporter_id": reporter.id, "reason": reason,
                                          "text": text, "created_at": now},
                                 unique=("comment_id", "reporter_id")):
        db.session.rollback()
        return False
    open_reports = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(Report.reporter_id)))
        .where(Report.comment_id == comment.id, Report.resolved_at.is_(None)))
    if open_reports >= current_app.config["REPORT_HIDE_THRESHOLD"]:
        updated = db.session.execute(
            sa.update(Comment).where(Comment.id == comment.id, Comment.state == PUBLISHED)
            .values(state=HIDDEN, hidden_reason=PENDING_REVIEW,
                    moderation_version=Comment.moderation_version + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if updated == 1:
            record(ActionType.AUTO_HIDE, comment=comment, reason=REPORT_THRESHOLD, before=PUBLISHED, after=HIDDEN,
                   automatic=True, at=now)
            enqueue("comment", comment.id)
    db.session.commit()
    return True


def has_reported(user, comment: Comment) -> bool:
    """True if ``user`` has reported ``comment`` (open or resolved)."""
    return db.session.scalar(sa.select(Report.id).where(Report.comment_id == comment.id,
                                                        Report.reporter_id == user.id).limit(1)) is not None


def open_reports(comment_id: int) -> list[Report]:
    """Unresolved reports of a comment, oldest first."""
    return list(db.session.scalars(
        sa.select(Report).where(Report.comment_id == comment_id, Report.resolved_at.is_(None))
        .order_by(Report.created_at)))


# --- moderator actions -------------------------------------------------------------------------

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
    """The "already handled by … at …" message for a comment changed by someone else."""
    entry = last_action(comment_id)
    if entry is None:
        return _l("This comment has changed since you opened it. Look at it again before you act.")
    who = entry.actor.display_name if entry.actor is not None else _l("an automatic rule")
    return _l("Already handled by %(who)s at %(when)s. Look at the comment again before you act.",
              who=who, when=format_datetime(entry.created_at, "short"))


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
        from hoering.accounts.services import needs_email_verification

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
    if state_after != before:
        enqueue("comment", comment.id)
    if action == ActionType.APPROVE and state_after == PUBLISHED:  # a reply held for approval is news now
        from hoering.notifications.services import comment_published

        comment_published(comment)
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


# --- the queue and the overview ----------------------------------------------------------------

QUEUE_STATES = ("pending", "reported", "hidden")


def _open_report_summary():
    return (
        sa.select(
            Report.comment_id.label("comment_id"),
            sa.func.count(Report.id).label("report_count"),
            sa.func.min(Report.created_at).label("first_report_at"),
        )
        .where(Report.resolved_at.is_(None))
        .group_by(Report.comment_id)
        .subquery("open_reports")
    )


@dataclass
class QueueItem:
    """A comment waiting for a moderator, with its open reports and thread context;
    ``recusal`` says why the moderator looking at the queue must leave it to another
    (:mod:`hoering.moderation.recusal`), or is ``None``."""

    comment: Comment
    report_count: int
    waiting_since: dt.datetime
    reports: list[Report]
    parent: Comment | None
    #: The first direct replies (``replies_shown`` of :func:`queue_page`), in reading order.
    replies: list[Comment]
    #: All direct replies, shown or not.
    reply_count: int = 0
    recusal: str | None = None


@dataclass
class QueuePage:
    """One page of the moderation queue."""

    items: list[QueueItem]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class _QueueClauses:
    """The SQL conditions that define the queue, over ``Comment`` joined to ``reports``."""

    reports: sa.Subquery
    pending: sa.ColumnElement
    reported: sa.ColumnElement
    under_review: sa.ColumnElement
    waiting: sa.ColumnElement
    waiting_since: sa.ColumnElement


def _queue_clauses() -> _QueueClauses:
    """Pending comments, published or hidden ones with open reports, and those hidden
    pending review; a pending comment waits from its posting, a reported one from its
    first open report."""
    reports = _open_report_summary()
    # Comments waiting for their author's e-mail verification are not the moderators' yet.
    unverified_author = sa.exists(sa.select(User.id).where(
        User.id == Comment.author_id, sa.or_(User.email.is_not(None), User.deleted_at.is_not(None)),
        User.email_verified_at.is_(None)))
    pending = sa.and_(Comment.state == PENDING, ~unverified_author) \
        if current_app.config["EMAIL_VERIFICATION_REQUIRED"] else Comment.state == PENDING
    reported = sa.and_(reports.c.report_count > 0, Comment.state.in_((PUBLISHED, HIDDEN)))
    under_review = sa.and_(Comment.state == HIDDEN, Comment.hidden_reason == PENDING_REVIEW)
    return _QueueClauses(reports, pending, reported, under_review, sa.or_(pending, reported, under_review),
                         sa.case((pending, Comment.created_at), else_=reports.c.first_report_at))


def _published_consultation():
    """SQL condition: the comment's consultation is published (not a draft)."""
    return Comment.consultation_id.in_(sa.select(Consultation.id).where(Consultation.published_at.is_not(None)))


def queue_page(consultation_id: int | None = None, state: str | None = None, reason: str | None = None,
               text: str | None = None, page: int = 1, per_page: int = 50,
               comment_ids: list[int] | None = None, replies_shown: int = 5, include_drafts: bool = False,
               moderator=None) -> QueuePage:
    """Pending comments, comments with open reports and comments hidden pending review,
    across consultations, the longest-waiting first.

    Args:
        consultation_id: only this consultation.
        state: ``pending``, ``reported`` (has open reports) or ``hidden`` (hidden pending review).
        reason: only comments with an open report of this reason.
        text: only comments whose text contains this (case-insensitive).
        comment_ids: only these comments (the matches of a full-text search).
        page: 1-based, clamped.
        replies_shown: direct replies read per comment, the first in reading order (a
            limit in SQL, so a comment with hundreds of replies costs what one with a few
            does); ``reply_count`` says how many there are.
        include_drafts: also comments of draft consultations (only for those who may see
            drafts: :func:`hoering.permissions.can_view_consultation`).
        moderator: the user looking at the queue; her own comments and those she has
            reported are marked with the reason she may not decide on them.
    """
    queue = _queue_clauses()
    reports, waiting_since = queue.reports, queue.waiting_since
    conditions = [queue.waiting]
    if not include_drafts:
        conditions.append(_published_consultation())
    if consultation_id:
        conditions.append(Comment.consultation_id == consultation_id)
    if state == "pending":
        conditions.append(queue.pending)
    elif state == "reported":
        conditions.append(queue.reported)
    elif state == "hidden":
        conditions.append(queue.under_review)
    if reason:
        conditions.append(sa.exists(sa.select(Report.id).where(
            Report.comment_id == Comment.id, Report.reason == reason, Report.resolved_at.is_(None))))
    if text:
        conditions.append(Comment.body_text.ilike(f"%{_escape_like(text)}%", escape="\\"))
    if comment_ids is not None:
        conditions.append(Comment.id.in_(comment_ids))
    base = sa.select(Comment).outerjoin(reports, reports.c.comment_id == Comment.id).where(*conditions)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page or 1), pages)
    rows = db.session.execute(
        base.add_columns(sa.func.coalesce(reports.c.report_count, 0), waiting_since.label("waiting_since"))
        .order_by(sa.func.coalesce(waiting_since, Comment.created_at), Comment.id)
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    comments = [row[0] for row in rows]
    ids = [c.id for c in comments]
    parents = {c.id: c for c in db.session.scalars(
        sa.select(Comment).where(Comment.id.in_([c.parent_id for c in comments if c.parent_id])))} if ids else {}
    replies: dict[int, list[Comment]] = {}
    reply_counts: dict[int, int] = {}
    report_rows: dict[int, list[Report]] = {}
    if ids:
        numbered = (
            sa.select(Comment.id.label("id"),
                      sa.func.row_number().over(partition_by=Comment.parent_id, order_by=Comment.path).label("position"),
                      sa.func.count().over(partition_by=Comment.parent_id).label("replies"))
            .where(Comment.parent_id.in_(ids)).subquery("numbered")
        )
        for reply, count in db.session.execute(
                sa.select(Comment, numbered.c.replies).join(numbered, numbered.c.id == Comment.id)
                .where(numbered.c.position <= replies_shown).order_by(Comment.path)):
            replies.setdefault(reply.parent_id, []).append(reply)
            reply_counts[reply.parent_id] = count
        for report in db.session.scalars(sa.select(Report).where(Report.comment_id.in_(ids),
                                                                 Report.resolved_at.is_(None))
                                         .order_by(Report.created_at)):
            report_rows.setdefault(report.comment_id, []).append(report)
    stakes = recusals(moderator, comments)
    items = [
        QueueItem(comment=comment, report_count=count, waiting_since=since or comment.created_at,
                  reports=report_rows.get(comment.id, []), parent=parents.get(comment.parent_id),
                  replies=replies.get(comment.id, []), reply_count=reply_counts.get(comment.id, 0),
                  recusal=stakes.get(comment.id))
        for comment, count, since in rows
    ]
    return QueuePage(items=items, page=page, per_page=per_page, total=total)


def waiting_comment_ids(consultation_id: int | None = None, include_drafts: bool = False) -> list[int]:
    """Ids of every comment in the queue (optionally of one consultation; of draft
    consultations only with ``include_drafts``)."""
    queue = _queue_clauses()
    query = (sa.select(Comment.id).outerjoin(queue.reports, queue.reports.c.comment_id == Comment.id)
             .where(queue.waiting))
    if not include_drafts:
        query = query.where(_published_consultation())
    if consultation_id:
        query = query.where(Comment.consultation_id == consultation_id)
    return list(db.session.scalars(query))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class ConsultationWork:
    """The moderator overview of one consultation."""

    consultation: Consultation
    pending: int
    reported: int
    hidden: int
    oldest_waiting: dt.datetime | None


def overview(now: dt.datetime | None = None, include_drafts: bool = False) -> list[ConsultationWork]:
    """Per consultation: pending, reported and hidden comments and the oldest waiting item
    (draft consultations only with ``include_drafts``)."""
    queue = _queue_clauses()
    rows = db.session.execute(
        sa.select(
            Comment.consultation_id,
            sa.func.sum(sa.case((queue.pending, 1), else_=0)),
            sa.func.sum(sa.case((queue.reported, 1), else_=0)),
            sa.func.sum(sa.case((Comment.state == HIDDEN, 1), else_=0)),
            sa.func.min(sa.case((queue.waiting, queue.waiting_since))),
        )
        .outerjoin(queue.reports, queue.reports.c.comment_id == Comment.id)
        .group_by(Comment.consultation_id)
    ).all()
    by_id = {row[0]: row for row in rows}
    listed = sa.select(Consultation).order_by(Consultation.closes_at.desc())
    if not include_drafts:
        listed = listed.where(Consultation.published_at.is_not(None))
    consultations = db.session.scalars(listed).all()
    work = []
    for consultation in consultations:
        _, pending, reported, hidden, oldest = by_id.get(consultation.id, (None, 0, 0, 0, None))
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)
        work.append(ConsultationWork(consultation, int(pending or 0), int(reported or 0), int(hidden or 0), oldest))
    work.sort(key=lambda w: (w.oldest_waiting is None, w.oldest_waiting or dt.datetime.max.replace(tzinfo=dt.UTC)))
    return work


def change_role(user: User, admin, role: str) -> User:
    """An admin changes a user's role; logged.

    Raises:
        PermissionDenied: not an admin, or the last admin would lose the role.
        ValidationFailed: unknown role.
    """
    if not permissions.can_administer(admin):
        raise PermissionDenied(_l("Only administrators can change roles."))
    if role not in {r.value for r in Role}:
        raise ValidationFailed(_l("Unknown role."))
    if user.is_pseudonymous:
        raise PermissionDenied(_l("Imported participants cannot log in and cannot have a role."))
    if user.is_deleted:
        raise PermissionDenied(_l("The account is deleted and cannot have a role."))
    before = user.role
    if role == before:
        return user
    # Lock the administrators' rows (PostgreSQL; SQLite serializes writers anyway), then
    # change the role only if another real administrator remains: one statement, so two
    # admins demoting each other at once cannot both succeed.
    db.session.execute(sa.select(User.id).where(User.role == Role.ADMIN.value).with_for_update())
    statement = sa.update(User).where(User.id == user.id, User.role == before).values(role=role)
    if before == Role.ADMIN.value:
        others = (sa.select(sa.func.count(User.id))
                  .where(User.role == Role.ADMIN.value, User.id != user.id, User.is_pseudonymous.is_(False),
                         User.deleted_at.is_(None))
                  .scalar_subquery())
        statement = statement.where(others >= 1)
    updated = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
    if updated != 1:
        db.session.rollback()
        raise PermissionDenied(_l("The last administrator cannot lose the role."))
    record(ActionType.ROLE_CHANGE, actor=admin, target_user=user, before=before, after=role)
    db.session.commit()
    db.session.refresh(user)
    return user

