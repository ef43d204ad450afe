"""A consultation's life after it is written: extend the deadline, close early, record the
decision ("vedtak"), archive. Every step is logged (:class:`LifecycleEvent`) with a reason
the public sees. Publishing and scheduling the opening are part of the consultation form
(an opening in the future makes the consultation *upcoming* until then).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from hoering.consultations.models import Consultation, LifecycleEvent, Status
from hoering.events import ConsultationClosed, ConsultationDecided, DeadlineExtended, announce
from hoering.exceptions import ValidationFailed
from hoering.extensions import db
from hoering.i18n import human_date
from hoering.sanitize import contains_bidi_controls, has_visible_text, normalize_text
from hoering.timeutil import end_of_oslo_day, to_oslo, utcnow

#: Longest reason or decision text, in characters.
REASON_MAX_LENGTH = 2000
DECISION_MAX_LENGTH = 10000


def _reason(text: str) -> str:
    text = normalize_text(text or "")
    if not has_visible_text(text):
        raise ValidationFailed(_l("Give the reason; it is shown on the consultation page."))
    if contains_bidi_controls(text):
        raise ValidationFailed(_l("The text cannot contain characters that reverse the direction of text."))
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationFailed(_l("The reason can be at most %(n)d characters.", n=REASON_MAX_LENGTH))
    return text


def _log(consultation: Consultation, user, kind: str, reason: str = "", old: str = "", new: str = "") -> None:
    db.session.add(LifecycleEvent(consultation_id=consultation.id, kind=kind, actor_id=user.id if user else None,
                                  reason=reason, old_value=old, new_value=new))


#: Why a step is refused, by step (the messages the services raise).
_CANNOT_EXTEND = _l("Only a published consultation that is not summarized, decided or archived can get a new deadline.")
_CANNOT_CLOSE = _l("Only an open consultation can be closed early.")
_CANNOT_DECIDE = _l("A decision can be recorded once the consultation has closed.")
_CANNOT_ARCHIVE = _l("Only a published consultation that has closed can be archived.")
_CANNOT_FEATURE = _l("Only a published consultation that is not archived can be featured.")


def refusals(consultation: Consultation, now: dt.datetime | None = None) -> dict:
    """Which lifecycle steps the consultation's state allows now.

    Args:
        consultation: the consultation.
        now: the moment to judge by (aware UTC; default now).

    Returns:
        ``{step: None}`` for a step that is possible and ``{step: reason}`` (a lazy
        message) for one the service would refuse, for the steps ``extend``, ``close``,
        ``decision``, ``archive``, ``unarchive`` and ``feature``. The same rules the services below
        apply, so the lifecycle page offers no button that would only be refused.
    """
    status = consultation.status(now)
    return {
        "extend": _CANNOT_EXTEND if status in (Status.DRAFT, Status.SUMMARIZED) or consultation.decision_text
        or consultation.archived_at else None,
        "close": None if status == Status.OPEN else _CANNOT_CLOSE,
        "decision": None if status in (Status.CLOSED, Status.SUMMARIZED) else _CANNOT_DECIDE,
        "archive": _CANNOT_ARCHIVE if status in (Status.OPEN, Status.UPCOMING, Status.DRAFT) else None,
        "unarchive": None if consultation.archived_at else _l("The consultation is not archived."),
        "feature": _CANNOT_FEATURE if consultation.published_at is None or consultation.archived_at
        or consultation.source_url or consultation.source_attribution else None,
    }


def extend_deadline(consultation: Consultation, user, new_deadline: dt.date, reason: str) -> None:
    """Move the deadline to the end (23:59:59 Oslo time) of ``new_deadline``; a closed
    consultation opens again.

    Raises:
        ValidationFailed: no reason, the new deadline not after the current one, or the
            consultation is a draft or already summarized.
    """
    reason = _reason(reason)
    if refusals(consultation)["extend"]:
        raise ValidationFailed(_CANNOT_EXTEND)
    if new_deadline <= consultation.deadline:
        raise ValidationFailed(_l("The new deadline must be after the current one (%(date)s).",
                                  date=human_date(consultation.deadline)))
    old = consultation.deadline.isoformat()
    consultation.closes_at = end_of_oslo_day(new_deadline)
    _log(consultation, user, "deadline_extended", reason, old, new_deadline.isoformat())
    announce(DeadlineExtended(consultation.id, reason))
    db.session.commit()


def close_early(consultation: Consultation, user, reason: str, now: dt.datetime | None = None) -> None:
    """Close an open consultation now (its deadline becomes this moment).

    Raises:
        ValidationFailed: no reason, or the consultation is not open.
    """
    reason = _reason(reason)
    now = now or utcnow()
    if refusals(consultation, now)["close"]:
        raise ValidationFailed(_CANNOT_CLOSE)
    old = consultation.deadline.isoformat()
    consultation.closes_at = now
    _log(consultation, user, "closed_early", reason, old, to_oslo(now).date().isoformat())
    announce(ConsultationClosed(consultation.id, reason))
    db.session.commit()


def record_decision(consultation: Consultation, user, text: str, url: str, decided_on: dt.date) -> None:
    """Record (or correct) what the political body decided, with a link to the case.

    Raises:
        ValidationFailed: empty or too long text, a link that is not http(s), a date in
            the future, or a consultation that is not closed yet.
    """
    text = normalize_text(text or "")
    url = (url or "").strip()
    if not has_visible_text(text):
        raise ValidationFailed(_l("Write what was decided."))
    if len(text) > DECISION_MAX_LENGTH:
        raise ValidationFailed(_l("The decision text can be at most %(n)d characters.", n=DECISION_MAX_LENGTH))
    if url and not (url.startswith("https://") and len(url) <= 500 and " " not in url):
        raise ValidationFailed(_l("The link must be a web address starting with https://."))
    if refusals(consultation)["decision"]:
        raise ValidationFailed(_CANNOT_DECIDE)
    if decided_on > to_oslo(utcnow()).date():
        raise ValidationFailed(_l("The decision date cannot be in the future."))
    if decided_on < to_oslo(consultation.opens_at).date():
        raise ValidationFailed(_l("The decision date cannot be before the consultation opened."))
    if contains_bidi_controls(text):
        raise ValidationFailed(_l("The text cannot contain characters that reverse the direction of text."))
    consultation.decision_text, consultation.decision_url = text, url
    consultation.decided_at = end_of_oslo_day(decided_on) - dt.timedelta(hours=12)  # noon that day
    _log(consultation, user, "decision", new=decided_on.isoformat())
    announce(ConsultationDecided(consultation.id))
    db.session.commit()


def take_from_meeting(consultation: Consultation, *, body_name: str, meeting_at: dt.datetime | None,
                      decision_text: str, decision_url: str) -> bool:
    """Bring the consultation's political body, meeting time and decision in step with the
    agenda item that decides its case (the agenda item is the source once linked:
    docs/CASE_OFFICERS.md, "Political bodies and meetings"). A decision is taken over only
    when the item has one; its day is the meeting's. No commit: the caller's transaction
    (a subscriber of the meetings' events) holds it.

    Args:
        body_name: the body's name, shown as the consultation's political body.
        meeting_at: when the meeting starts (aware UTC), or None.
        decision_text: the item's decision (plain text), or "" while undecided.
        decision_url: the meeting page's address, linked as "Read the decision".

    Returns:
        True when a new or changed decision was recorded (a :class:`ConsultationDecided`
        event is announced, so followers are told).
    """
    consultation.political_body = body_name[:200]
    consultation.meeting_at = meeting_at
    if not decision_text or meeting_at is None:
        return False
    if consultation.decision_text == decision_text and consultation.decision_url == decision_url:
        return False
    consultation.decision_text, consultation.decision_url = decision_text[:DECISION_MAX_LENGTH], decision_url[:500]
    consultation.decided_at = end_of_oslo_day(to_oslo(meeting_at).date()) - dt.timedelta(hours=12)  # noon that day
    _log(consultation, None, "decision", reason="agenda item", new=to_oslo(meeting_at).date().isoformat())
    announce(ConsultationDecided(consultation.id))
    return True


def set_archived(consultation: Consultation, user, archived: bool) -> None:
    """Archive (off the front page, still readable at its address) or bring back.

    Raises:
        ValidationFailed: archiving a consultation that is still open or upcoming.
    """
    if archived and refusals(consultation)["archive"]:
        raise ValidationFailed(_CANNOT_ARCHIVE)
    consultation.archived_at = utcnow() if archived else None
    if archived:
        consultation.featured_position = None  # the archive features nothing
    _log(consultation, user, "archived" if archived else "unarchived")
    db.session.commit()


def set_featured(consultation: Consultation, user, position: int | None) -> None:
    """Feature ``consultation`` on the front page at ``position`` (1 first), or stop
    featuring it (``None``); logged like every other step. Featured consultations come
    first on the front page, ordered by position (:mod:`hoering.consultations.listing`).

    Args:
        position: 1 to ``FEATURED_MAX``; several may share one (then the front page's
            own order decides between them).

    Raises:
        ValidationFailed: the position is out of range, the consultation is a draft,
            archived or imported, or ``FEATURED_MAX`` others are featured already.
    """
    most = int(current_app.config["FEATURED_MAX"])
    if position is not None:
        if not 1 <= position <= most:
            raise ValidationFailed(_l("Choose a place from 1 to %(n)d.", n=most))
        if refusals(consultation)["feature"]:
            raise ValidationFailed(_CANNOT_FEATURE)
        others = db.session.scalar(sa.select(sa.func.count(Consultation.id)).where(
            Consultation.featured_position.is_not(None), Consultation.id != consultation.id))
        if others >= most:
            raise ValidationFailed(_l("At most %(n)d consultations can be featured at once. Stop featuring one "
                                      "first.", n=most))
    elif consultation.featured_position is None:
        return
    consultation.featured_position = position
    _log(consultation, user, "featured" if position is not None else "unfeatured",
         new=str(position) if position is not None else "")
    db.session.commit()


def public_events(consultation: Consultation) -> list[LifecycleEvent]:
    """Deadline changes and early closing, oldest first (shown on the page)."""
    return list(db.session.scalars(sa.select(LifecycleEvent).where(
        LifecycleEvent.consultation_id == consultation.id,
        LifecycleEvent.kind.in_(("deadline_extended", "closed_early"))).order_by(LifecycleEvent.id)))


def history(consultation: Consultation) -> list[LifecycleEvent]:
    """Every logged step, newest first (for staff)."""
    return list(db.session.scalars(sa.select(LifecycleEvent).where(
        LifecycleEvent.consultation_id == consultation.id).order_by(LifecycleEvent.id.desc())))
