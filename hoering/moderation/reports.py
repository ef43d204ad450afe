"""Citizens' reports: filing one, and the reports of a comment.

A logged-in citizen with a confirmed address may report a published comment once. When
``REPORT_HIDE_THRESHOLD`` people have open reports on it, the comment is hidden pending a
moderator's review; that hiding is an automatic action in the audit log.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.accounts.verification import require_confirmed_email
from hoering.comments.models import Comment, CommentState
from hoering.database import insert_unless_present
from hoering.events import CommentModerated, announce
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.moderation.audit import record
from hoering.moderation.models import PENDING_REVIEW, REPORT_TEXT_MAX_LENGTH, ActionType, Report, ReportReason
from hoering.sanitize import normalize_text
from hoering.timeutil import utcnow

PUBLISHED = CommentState.PUBLISHED.value
HIDDEN = CommentState.HIDDEN.value

#: Reason written when enough reports hide a comment.
REPORT_THRESHOLD = "report_threshold"


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
            announce(CommentModerated(comment.id, comment.consultation_id, ActionType.AUTO_HIDE.value, PUBLISHED,
                                      HIDDEN))
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
