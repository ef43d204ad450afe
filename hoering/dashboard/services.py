"""The staff dashboard's numbers: per consultation that is open or awaiting its summary,
the comments awaiting approval, the open reports, the comments new since the staff member
last looked, the formal responses awaiting screening and the days to the deadline.

Every number for every consultation comes from four queries, however many consultations
there are (tests/dashboard/test_dashboard.py holds the budget).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.dashboard.models import ConsultationView
from hoering.extensions import db
from hoering.moderation import queue as moderation_queue
from hoering.responses.models import FormalResponse, ResponseState
from hoering.timeutil import oslo_today, utcnow


@dataclass
class ConsultationWork:
    """One row of the dashboard.

    Attributes:
        consultation: the consultation (open, or closed and not yet summarized).
        pending: comments awaiting approval (the moderation queue's "pending").
        reports: open reports (flags) on its published or hidden comments.
        unread: published comments posted since the staff member last looked (all of
            them if she never did).
        unscreened: formal responses received and not yet screened.
        days_left: days from today (Oslo) to the deadline day: 0 on the last day,
            negative once closed.
    """

    consultation: Consultation
    pending: int = 0
    reports: int = 0
    unread: int = 0
    unscreened: int = 0
    days_left: int = 0


def work_at_hand(user, now: dt.datetime | None = None) -> list[ConsultationWork]:
    """The dashboard of ``user`` (a staff ``User``): the published, unarchived
    consultations that are open or closed without a published summary, the nearest
    deadline first. Four queries."""
    now = now or utcnow()
    consultations = list(db.session.scalars(
        sa.select(Consultation).where(Consultation.published_at.is_not(None), Consultation.summarized_at.is_(None),
                                      Consultation.archived_at.is_(None), Consultation.opens_at <= now)
        .order_by(Consultation.closes_at, Consultation.id)))
    if not consultations:
        return []
    ids = [c.id for c in consultations]
    today = oslo_today(now)
    rows = {c.id: ConsultationWork(c, days_left=(c.deadline - today).days) for c in consultations}
    for consultation_id, pending, reports in moderation_queue.waiting_counts(ids):
        rows[consultation_id].pending, rows[consultation_id].reports = pending, reports
    seen = ConsultationView.__table__
    for consultation_id, unread in db.session.execute(
            sa.select(Comment.consultation_id, sa.func.count(Comment.id))
            .outerjoin(seen, sa.and_(seen.c.consultation_id == Comment.consultation_id, seen.c.user_id == user.id))
            .where(Comment.consultation_id.in_(ids), Comment.state == CommentState.PUBLISHED.value,
                   sa.or_(seen.c.viewed_at.is_(None), Comment.created_at > seen.c.viewed_at))
            .group_by(Comment.consultation_id)):
        rows[consultation_id].unread = unread
    for consultation_id, unscreened in db.session.execute(
            sa.select(FormalResponse.consultation_id, sa.func.count(FormalResponse.id))
            .where(FormalResponse.consultation_id.in_(ids), FormalResponse.state == ResponseState.RECEIVED.value)
            .group_by(FormalResponse.consultation_id)):
        rows[consultation_id].unscreened = unscreened
    return list(rows.values())


def mark_viewed(user, consultation: Consultation, now: dt.datetime | None = None) -> None:
    """Note that ``user`` looked at ``consultation``'s comments now (commits): from here on
    only comments published later count as new for her."""
    now = now or utcnow()
    row = db.session.get(ConsultationView, (user.id, consultation.id))
    if row is None:
        db.session.add(ConsultationView(user_id=user.id, consultation_id=consultation.id, viewed_at=now))
    else:
        row.viewed_at = now
    try:
        db.session.commit()
    except IntegrityError:  # the same person in another tab, a moment ago
        db.session.rollback()
