"""The moderation queue and the moderators' overview.

The queue holds the comments waiting for a moderator: pending ones (held for approval,
but not those whose author has yet to confirm her address where that is required),
published or hidden ones with open reports, and those hidden pending review. A pending
comment waits from its posting, a reported one from its first open report; the queue
shows the longest-waiting first. Comments of draft consultations are left out unless
asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from hoering.accounts.models import User
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.moderation.models import PENDING_REVIEW, Report
from hoering.moderation.recusal import recusals

PENDING = CommentState.PENDING.value
PUBLISHED = CommentState.PUBLISHED.value
HIDDEN = CommentState.HIDDEN.value

QUEUE_STATES = ("pending", "reported", "hidden")


def _open_report_summary():
    """Subquery ``open_reports``: per comment with unresolved reports, their number
    (``report_count``) and the first one's time (``first_report_at``)."""
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
    #: The comments above the parent, from the thread's first (:func:`ancestors_of`).
    ancestors: list[Comment] = field(default_factory=list)


@dataclass
class QueuePage:
    """One page of the moderation queue."""

    items: list[QueueItem]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
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


def _filtered_queue(consultation_id: int | None, state: str | None, reason: str | None, text: str | None,
                    comment_ids: list[int] | None, include_drafts: bool):
    """``(select of the waiting comments matching the filters, the open-reports subquery,
    the waiting-since expression)``; the arguments are those of :func:`queue_page`."""
    queue = _queue_clauses()
    reports = queue.reports
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
    return base, reports, queue.waiting_since


#: How many waiting comments :func:`next_in_queue` reads to find one the moderator may decide.
NEXT_LOOKAHEAD = 50


def next_in_queue(after: int, consultation_id: int | None = None, state: str | None = None,
                  reason: str | None = None, text: str | None = None, comment_ids: list[int] | None = None,
                  include_drafts: bool = False, moderator=None) -> Comment | None:
    """The comment a moderator should look at next: the first of the queue, in its order
    (longest waiting first) and with its filters (the arguments of :func:`queue_page`),
    other than comment ``after`` and other than those ``moderator`` must leave to another
    (:mod:`hoering.moderation.recusal`); ``None`` when nothing is left.

    Reads at most :data:`NEXT_LOOKAHEAD` waiting comments (one query, plus one for the
    recusals)."""
    base, _reports, waiting_since = _filtered_queue(consultation_id, state, reason, text, comment_ids,
                                                    include_drafts)
    candidates = list(db.session.scalars(
        base.where(Comment.id != after)
        .order_by(sa.func.coalesce(waiting_since, Comment.created_at), Comment.id).limit(NEXT_LOOKAHEAD)))
    stakes = recusals(moderator, candidates) if moderator is not None else {}
    return next((c for c in candidates if c.id not in stakes), None)


def ancestors_of(comments: list[Comment], parents: dict[int, Comment] | None = None) -> dict[int, list[Comment]]:
    """Per comment: the comments above its parent in the thread, from the thread's first
    comment down, as its parent's ``path`` names them (the visual ancestors: the thread's
    start always, and at most ``MAX_REPLY_DEPTH`` steps); one query for all, and one more
    for the parents unless ``parents`` (``{id: Comment}``) already holds them. A top-level
    comment or a direct reply to one has none."""
    if parents is None:
        parent_ids = {c.parent_id for c in comments if c.parent_id}
        parents = {p.id: p for p in db.session.scalars(sa.select(Comment).where(Comment.id.in_(parent_ids)))} \
            if parent_ids else {}
    chains = {c.id: [int(segment) for segment in parents[c.parent_id].path.split(".")[:-1]]
              for c in comments if c.parent_id in parents}
    wanted = {i for chain in chains.values() for i in chain}
    found = {a.id: a for a in db.session.scalars(sa.select(Comment).where(Comment.id.in_(wanted)))} if wanted else {}
    return {comment_id: [found[i] for i in chain if i in found] for comment_id, chain in chains.items()}


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
    base, reports, waiting_since = _filtered_queue(consultation_id, state, reason, text, comment_ids,
                                                   include_drafts)
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
    ancestors = ancestors_of(comments, parents)
    items = [
        QueueItem(comment=comment, report_count=count, waiting_since=since or comment.created_at,
                  reports=report_rows.get(comment.id, []), parent=parents.get(comment.parent_id),
                  replies=replies.get(comment.id, []), reply_count=reply_counts.get(comment.id, 0),
                  recusal=stakes.get(comment.id), ancestors=ancestors.get(comment.id, []))
        for comment, count, since in rows
    ]
    return QueuePage(items=items, page=page, per_page=per_page, total=total)


def waiting_counts(consultation_ids: list[int]) -> list[tuple[int, int, int]]:
    """``(consultation id, comments awaiting approval, open reports)`` for those of
    ``consultation_ids`` with any (one query): the queue's "pending" and the open reports
    on its published or hidden comments."""
    if not consultation_ids:
        return []
    queue = _queue_clauses()
    rows = db.session.execute(
        sa.select(Comment.consultation_id, sa.func.sum(sa.case((queue.pending, 1), else_=0)),
                  sa.func.sum(sa.case((queue.reported, queue.reports.c.report_count), else_=0)))
        .outerjoin(queue.reports, queue.reports.c.comment_id == Comment.id)
        .where(Comment.consultation_id.in_(consultation_ids), sa.or_(queue.pending, queue.reported))
        .group_by(Comment.consultation_id))
    return [(consultation_id, int(pending or 0), int(reports or 0)) for consultation_id, pending, reports in rows]


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
