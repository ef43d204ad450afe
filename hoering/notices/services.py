"""Urgent notices: publish, change, end; the ones shown now, and the key that makes
cached pages change when one starts or ends.

A notice is shown on every page from ``starts_at`` until ``ends_at``. Pages cached whole
(the consultation page, :mod:`hoering.consultations.pagecache`) carry
:func:`shown_key` in their cache key: it names the notices shown at this moment, so a
page is made anew at the moment a notice starts or ends, or is changed, without anyone
clearing the cache.

So that a cached page still costs one query, the pages do not ask the database which
notices are shown: they read the *schedule* (every notice that has not ended, with its
times) from the shared cache (:mod:`hoering.cache`) and pick the ones shown at this
moment, so a notice starts and ends on time. The schedule is read again from the database
after ``NOTICE_REFRESH_SECONDS`` and at once after a change in the same process (with
Redis, in every process); another process without Redis sees a change within that time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from hoering import cache, permissions
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.notices.models import Severity, UrgentNotice
from hoering.sanitize import contains_bidi_controls, has_visible_text, normalize_line, short_markdown_html
from hoering.timeutil import utcnow

#: Longest notice text, in characters: a notice is read in a banner on every page.
BODY_MAX_LENGTH = 2000
#: Longest time a notice may be shown; a longer crisis gets a new notice, looked at again.
LONGEST = dt.timedelta(days=90)


#: The key of the schedule in the shared cache.
SCHEDULE_KEY = "notices:schedule:1"


@dataclass(frozen=True)
class ShownNotice:
    """What the banner shows of a notice (kept in the cache: plain values, picklable)."""

    id: int
    title: str
    body_html: str
    severity: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    updated_at: dt.datetime


@dataclass
class NoticeData:
    """What staff enter for a notice. ``starts_at`` and ``ends_at`` are aware UTC."""

    title: str
    body_markdown: str
    severity: str
    starts_at: dt.datetime
    ends_at: dt.datetime


def _check(user, data: NoticeData) -> None:
    if not permissions.can_publish_notices(user):
        raise PermissionDenied(_l("Only case officers and administrators publish urgent notices."))
    if not has_visible_text(normalize_line(data.title)):
        raise ValidationFailed(_l("Enter a title."))
    if contains_bidi_controls(data.title):
        raise ValidationFailed(_l("The title cannot contain characters that reverse the direction of text."))
    if data.severity not in {s.value for s in Severity}:
        raise ValidationFailed(_l("Choose how serious the notice is."))
    if len(data.body_markdown or "") > BODY_MAX_LENGTH:
        raise ValidationFailed(_l("The text can be at most %(max)d characters.", max=BODY_MAX_LENGTH))
    if data.ends_at <= data.starts_at:
        raise ValidationFailed(_l("The end must be after the start."))
    if data.ends_at - data.starts_at > LONGEST:
        raise ValidationFailed(_l("A notice can be shown for at most %(days)d days.", days=LONGEST.days))


def _apply(notice: UrgentNotice, data: NoticeData) -> None:
    notice.title = normalize_line(data.title)
    notice.body_markdown = (data.body_markdown or "").strip()
    notice.body_html = short_markdown_html(notice.body_markdown)
    notice.severity = data.severity
    notice.starts_at, notice.ends_at = data.starts_at, data.ends_at
    notice.updated_at = utcnow()


def publish_notice(user, data: NoticeData) -> UrgentNotice:
    """Write a new notice (shown from its start; commits).

    Raises:
        PermissionDenied: ``user`` may not publish notices.
        ValidationFailed: no title, an unknown severity, a text over
            :data:`BODY_MAX_LENGTH`, an end not after the start, a period over :data:`LONGEST`.
    """
    _check(user, data)
    notice = UrgentNotice(created_by_id=user.id)
    _apply(notice, data)
    db.session.add(notice)
    db.session.commit()
    _forget_schedule()
    return notice


def change_notice(user, notice: UrgentNotice, data: NoticeData) -> UrgentNotice:
    """Change a notice (same rules and errors as :func:`publish_notice`; commits)."""
    _check(user, data)
    _apply(notice, data)
    db.session.commit()
    _forget_schedule()
    return notice


def end_notice(user, notice: UrgentNotice, now: dt.datetime | None = None) -> None:
    """Stop showing a notice now: its end becomes now (and the start of one not yet
    started too, so it is never shown). Commits.

    Raises:
        PermissionDenied: ``user`` may not publish notices.
    """
    if not permissions.can_publish_notices(user):
        raise PermissionDenied(_l("Only case officers and administrators publish urgent notices."))
    now = now or utcnow()
    if notice.ends_at > now:
        notice.starts_at = min(notice.starts_at, now)  # one not started yet is never shown, and listed as past
        notice.ends_at = now
        notice.updated_at = utcnow()
    db.session.commit()
    _forget_schedule()


def _forget_schedule() -> None:
    cache.forget(SCHEDULE_KEY)
    if has_request_context():
        g.pop("notice_schedule", None)


def _schedule(now: dt.datetime) -> list[ShownNotice]:
    """Every notice not ended at the schedule's reading, from the request, the cache, or
    (at most every ``NOTICE_REFRESH_SECONDS``) the database; empty when the database
    cannot be read (the page is an error page, or the database is down)."""
    if has_request_context() and "notice_schedule" in g:
        return g.notice_schedule
    refresh = dt.timedelta(seconds=current_app.config["NOTICE_REFRESH_SECONDS"])
    found = cache.get(SCHEDULE_KEY)
    if found is None or not found[0] <= now < found[0] + refresh:
        order = sa.case({Severity.DANGER.value: 0, Severity.WARNING.value: 1}, value=UrgentNotice.severity, else_=2)
        try:
            rows = list(db.session.scalars(sa.select(UrgentNotice).where(UrgentNotice.ends_at > now)
                                           .order_by(order, UrgentNotice.starts_at.desc(), UrgentNotice.id.desc())))
        except SQLAlchemyError:
            # The banner never breaks a page: the error and outage pages render without it.
            current_app.logger.warning("urgent notices could not be read", exc_info=True)
            return []
        found = (now, [ShownNotice(n.id, n.title, n.body_html, n.severity, n.starts_at, n.ends_at, n.updated_at)
                       for n in rows])
        cache.put_for(SCHEDULE_KEY, found, int(refresh.total_seconds()) + 1)
    if has_request_context():
        g.notice_schedule = found[1]
    return found[1]


def shown_notices(now: dt.datetime | None = None) -> list[ShownNotice]:
    """The notices shown at ``now`` (default: this moment), the most serious first, then
    the latest started. Costs no query while the schedule is cached."""
    now = now or utcnow()
    return [n for n in _schedule(now) if n.starts_at <= now < n.ends_at]


def shown_key(now: dt.datetime | None = None) -> str:
    """A short text naming the notices shown at ``now`` and their last change, for the
    keys of cached pages; ``""`` when none is shown."""
    return ".".join(f"{n.id}-{int(n.updated_at.timestamp())}" for n in shown_notices(now))


def all_notices() -> tuple[list[UrgentNotice], list[UrgentNotice]]:
    """``(current and coming, past)``: the first by start, the second the latest ended first."""
    now = utcnow()
    current = list(db.session.scalars(sa.select(UrgentNotice).where(UrgentNotice.ends_at > now)
                                      .order_by(UrgentNotice.starts_at, UrgentNotice.id)))
    past = list(db.session.scalars(sa.select(UrgentNotice).where(UrgentNotice.ends_at <= now)
                                   .order_by(UrgentNotice.ends_at.desc(), UrgentNotice.id.desc()).limit(200)))
    return current, past
