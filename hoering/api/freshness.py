"""When the data behind an API answer last changed, for its ``Last-Modified`` header.

The time is the latest of the recorded changes the answer shows: a consultation saved,
published, opened, closed, decided, summarized or archived; a comment posted, edited or
removed; a support given; a report or a moderation decision (which may hide a comment).
Each query is one round trip of scalar subqueries.

Some changes have no time of their own (a support withdrawn, an author's new display
name); they change the answer's ``ETag`` but not this time, so clients that need exact
answers revalidate with ``If-None-Match`` (docs/API.md).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from hoering.comments.models import Comment, Support
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.moderation.models import ModerationAction, Report
from hoering.timeutil import utcnow

_CONSULTATION_TIMES = ("updated_at", "published_at", "opens_at", "closes_at", "decided_at", "summarized_at",
                       "archived_at")


def _latest(*times) -> dt.datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _consultation_times(consultation: Consultation) -> dt.datetime | None:
    """The consultation's own latest change; its opening and closing count once passed
    (the status changes then)."""
    now = utcnow()
    return _latest(*(t for t in (getattr(consultation, name) for name in _CONSULTATION_TIMES)
                     if t is not None and t <= now))


def _comment_times(where) -> list:
    """Scalar subqueries: the latest comment, edit, removal, support, report and
    moderation decision among the comments that ``where`` selects."""
    ids = sa.select(Comment.id).where(where)
    return [
        sa.select(sa.func.max(Comment.created_at)).where(where).scalar_subquery(),
        sa.select(sa.func.max(Comment.edited_at)).where(where).scalar_subquery(),
        sa.select(sa.func.max(Comment.removed_at)).where(where).scalar_subquery(),
        sa.select(sa.func.max(Support.created_at)).where(Support.comment_id.in_(ids)).scalar_subquery(),
        sa.select(sa.func.max(Report.created_at)).where(Report.comment_id.in_(ids)).scalar_subquery(),
        sa.select(sa.func.max(ModerationAction.created_at)).where(ModerationAction.comment_id.in_(ids))
        .scalar_subquery(),
    ]


def _max_times(subqueries: list) -> dt.datetime | None:
    # The aggregates come back untyped from some databases: read them through UTCDateTime.
    row = db.session.execute(sa.select(*[sa.type_coerce(q, Comment.created_at.type) for q in subqueries])).one()
    return _latest(*row)


def comments_changed_at(consultation: Consultation) -> dt.datetime | None:
    """When the comments of ``consultation`` (threads, replies, counts) last changed."""
    return _latest(_consultation_times(consultation),
                   _max_times(_comment_times(Comment.consultation_id == consultation.id)))


def consultation_changed_at(consultation: Consultation) -> dt.datetime | None:
    """When ``consultation`` as the API shows it (with its counts and summary) last changed."""
    return comments_changed_at(consultation)


def consultations_changed_at() -> dt.datetime | None:
    """When the list of published consultations (with their counts) last changed; every
    consultation counts, so one taken off the list moves the time too."""
    now = utcnow()
    own = []
    for name in _CONSULTATION_TIMES:
        column = getattr(Consultation, name)
        own.append(sa.select(sa.func.max(column)).where(column <= now).scalar_subquery())
    published = sa.select(Consultation.id).where(Consultation.published_at.is_not(None))
    return _max_times(own + _comment_times(Comment.consultation_id.in_(published)))
