"""Political bodies, their members and their meetings: the only code that writes them.

Every write checks :func:`hoering.permissions.can_manage_meetings` again (the views ask
first), validates, sanitizes through :mod:`hoering.sanitize`, announces what happened
(:mod:`hoering.events`) and commits. Agenda items and documents are in
:mod:`hoering.meetings.agenda`, following a body in :mod:`hoering.meetings.following`.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from hoering import permissions
from hoering.consultations.services import slugify
from hoering.events import AgendaPublished, MeetingSaved, MinutesApproved, announce
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.meetings.models import (
    ROLE_ORDER,
    AgendaItem,
    Body,
    BodyKind,
    BodyMember,
    Meeting,
    MeetingStatus,
    MemberRole,
)
from hoering.sanitize import contains_bidi_controls, has_visible_text, markdown_html, normalize_line, normalize_text
from hoering.timeutil import oslo_to_utc, oslo_today, utcnow

#: Longest description or minutes, in characters.
DESCRIPTION_MAX_LENGTH = 5000
MINUTES_MAX_LENGTH = 200_000
_SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _check_allowed(user) -> None:
    if not permissions.can_manage_meetings(user):
        raise PermissionDenied(_l("Only case officers can change political bodies and meetings."))


def _line(text: str | None, max_length: int, required_message=None) -> str:
    text = normalize_line(text or "")
    if required_message is not None and not has_visible_text(text):
        raise ValidationFailed(required_message)
    if contains_bidi_controls(text):
        raise ValidationFailed(_l("The text cannot contain characters that reverse the direction of text."))
    return text[:max_length]


def _text(text: str | None, max_length: int) -> str:
    text = normalize_text(text or "")
    if contains_bidi_controls(text):
        raise ValidationFailed(_l("The text cannot contain characters that reverse the direction of text."))
    if len(text) > max_length:
        raise ValidationFailed(_l("The text can be at most %(n)d characters.", n=max_length))
    return text


def check_https_url(url: str | None) -> str:
    """``url`` trimmed, or ``""``; it must be an https address without spaces.

    Raises:
        ValidationFailed: anything else.
    """
    url = (url or "").strip()
    if url and not (url.startswith("https://") and len(url) <= 500 and " " not in url and len(url) > 8):
        raise ValidationFailed(_l("The link must be a web address starting with https://."))
    return url


# --- bodies ------------------------------------------------------------------------------------

def list_bodies() -> list[Body]:
    """Every body, in their set order, then by name."""
    return list(db.session.scalars(sa.select(Body).order_by(Body.position, Body.name)))


def get_body_by_slug(slug: str) -> Body | None:
    """The body with ``slug``, or ``None``."""
    if not slug or len(slug) > 120 or "\x00" in slug:
        return None
    return db.session.scalar(sa.select(Body).where(Body.slug == slug).options(selectinload(Body.members)))


def _unique_slug(base: str, exclude_id: int | None) -> str:
    base, candidate, n = base or "organ", base or "organ", 1
    while True:
        query = sa.select(Body.id).where(Body.slug == candidate)
        if exclude_id is not None:
            query = query.where(Body.id != exclude_id)
        if db.session.scalar(query) is None:
            return candidate
        n += 1
        candidate = f"{base[:100]}-{n}"


def save_body(user, body: Body | None, *, name: str, kind: str, slug: str = "", description: str = "",
              portal_url: str = "", position: int = 0) -> Body:
    """Create (``body`` None) or change a political body.

    Args:
        kind: a :class:`BodyKind` value.
        slug: the last part of its address; made from the name when empty.
        portal_url: its page in the municipality's meeting portal (https), or "".

    Raises:
        PermissionDenied: ``user`` may not manage meetings.
        ValidationFailed: no name, an unknown kind, a malformed address or link.
        Conflict: another body has the address ``slug``.
    """
    _check_allowed(user)
    name = _line(name, 200, _l("Enter the name of the body."))
    if kind not in {k.value for k in BodyKind}:
        raise ValidationFailed(_l("Choose the kind of body."))
    slug = (slug or "").strip().lower()
    if slug and (not _SLUG_PATTERN.match(slug) or len(slug) > 100):
        raise ValidationFailed(_l("The web address can hold only a–z, 0–9 and hyphens."))
    if slug and db.session.scalar(sa.select(Body.id).where(Body.slug == slug, Body.id != (body.id if body else 0))):
        raise Conflict(_l("Another body has this web address."))
    if body is None:
        body = Body(slug=slug or _unique_slug(slugify(name), None))
        db.session.add(body)
    elif slug:
        body.slug = slug
    body.name, body.kind = name, kind
    body.description = _text(description, DESCRIPTION_MAX_LENGTH)
    body.portal_url = check_https_url(portal_url)
    body.position = position
    try:
        db.session.commit()
    except IntegrityError:  # the same address taken by a request at the same moment
        db.session.rollback()
        raise Conflict(_l("Another body has this web address.")) from None
    return body


def add_member(user, body: Body, *, name: str, role: str, party: str = "",
               member: BodyMember | None = None) -> BodyMember:
    """Add a member to ``body``, or (``member``) change one of its members.

    Args:
        role: a :class:`MemberRole` value (leder, nestleder, medlem, varamedlem).

    Raises:
        PermissionDenied, ValidationFailed: no name, or an unknown role.
    """
    _check_allowed(user)
    name = _line(name, 200, _l("Enter the member's name."))
    if role not in ROLE_ORDER:
        raise ValidationFailed(_l("Choose the member's role."))
    if member is None:
        member = BodyMember(body_id=body.id)
        db.session.add(member)
    member.name, member.role, member.role_order = name, role, ROLE_ORDER[role]
    member.party = _line(party, 100)
    body.updated_at = utcnow()
    db.session.commit()
    return member


def remove_member(user, member: BodyMember) -> None:
    """Take a member off their body.

    Raises:
        PermissionDenied: ``user`` may not manage meetings.
    """
    _check_allowed(user)
    db.session.delete(member)
    db.session.commit()


ROLE_LABELS = {MemberRole.CHAIR.value: _l("Chair"), MemberRole.DEPUTY_CHAIR.value: _l("Deputy chair"),
               MemberRole.MEMBER.value: _l("Member"), MemberRole.SUBSTITUTE.value: _l("Substitute")}
KIND_LABELS = {BodyKind.COUNCIL.value: _l("Municipal council"), BodyKind.EXECUTIVE.value: _l("Executive committee"),
               BodyKind.COMMITTEE.value: _l("Committee"), BodyKind.ADVISORY.value: _l("Council"),
               BodyKind.OTHER.value: _l("Other body")}
STATUS_LABELS = {MeetingStatus.PLANNED.value: _l("Planned"), MeetingStatus.HELD.value: _l("Held"),
                 MeetingStatus.CANCELLED.value: _l("Cancelled")}


# --- meetings ----------------------------------------------------------------------------------

def get_meeting(meeting_id: int) -> Meeting | None:
    """The meeting with ``meeting_id`` and its agenda items, or ``None``."""
    return db.session.scalar(sa.select(Meeting).where(Meeting.id == meeting_id)
                             .options(selectinload(Meeting.items).selectinload(AgendaItem.consultation)))


def meetings_of(body_id: int | None, *, public_only: bool = True, upcoming: bool | None = None,
                now: dt.datetime | None = None, limit: int | None = None) -> list[Meeting]:
    """Meetings of one body (``None``: of every body).

    Args:
        public_only: only those whose agenda is published.
        upcoming: True for those starting from the beginning of today (Oslo) on, soonest
            first; False for earlier ones, latest first; None for all, soonest first.
        limit: at most this many.
    """
    query = sa.select(Meeting)
    if body_id is not None:
        query = query.where(Meeting.body_id == body_id)
    if public_only:
        query = query.where(Meeting.agenda_published_at.is_not(None))
    start_of_today = dt.datetime.combine(oslo_today(now), dt.time(0, 0))
    boundary = oslo_to_utc(start_of_today)
    if upcoming is True:
        query = query.where(Meeting.starts_at >= boundary).order_by(Meeting.starts_at, Meeting.id)
    elif upcoming is False:
        query = query.where(Meeting.starts_at < boundary).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    else:
        query = query.order_by(Meeting.starts_at, Meeting.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def save_meeting(user, body: Body, meeting: Meeting | None, *, starts_at: dt.datetime, place: str,
                 status: str) -> Meeting:
    """Create (``meeting`` None) or change a meeting of ``body``.

    Args:
        starts_at: aware UTC datetime.
        status: a :class:`MeetingStatus` value.

    Raises:
        PermissionDenied, ValidationFailed: no time, an unknown status, or "held" for a
            meeting that has not started yet.
    """
    _check_allowed(user)
    if starts_at is None or starts_at.tzinfo is None:
        raise ValidationFailed(_l("Enter when the meeting starts."))
    if status not in {s.value for s in MeetingStatus}:
        raise ValidationFailed(_l("Choose the meeting's status."))
    if status == MeetingStatus.HELD.value and starts_at > utcnow():
        raise ValidationFailed(_l("A meeting that has not started yet cannot be marked as held."))
    if meeting is None:
        meeting = Meeting(body_id=body.id)
        db.session.add(meeting)
    meeting.starts_at, meeting.status = starts_at, status
    meeting.place = _line(place, 200)
    meeting.updated_at = utcnow()
    db.session.flush()
    announce(MeetingSaved(meeting.id, meeting.body_id, meeting.is_public))
    db.session.commit()
    return meeting


def publish_agenda(user, meeting: Meeting) -> None:
    """Publish the meeting's agenda: the meeting and its items become public and the
    body's followers are mailed (once).

    Raises:
        PermissionDenied, ValidationFailed: the agenda is empty.
    """
    _check_allowed(user)
    if meeting.agenda_published_at is not None:
        return
    if not meeting.items:
        raise ValidationFailed(_l("Add at least one agenda item before publishing the agenda."))
    meeting.agenda_published_at = utcnow()
    announce(MeetingSaved(meeting.id, meeting.body_id, True))
    announce(AgendaPublished(meeting.id, meeting.body_id))
    db.session.commit()


def save_minutes(user, meeting: Meeting, *, markdown: str, approved_on: dt.date | None) -> bool:
    """Save the minutes (Markdown, sanitized to HTML by :func:`hoering.sanitize.markdown_html`)
    and, with ``approved_on``, approve them: from then on they are public. Approving also
    marks a planned meeting as held.

    Returns:
        True when the minutes were approved by this call (followers are mailed).

    Raises:
        PermissionDenied, ValidationFailed: approving empty minutes, an approval date in the
            future or before the meeting, minutes of a cancelled meeting, or of a meeting
            whose agenda is not published.
    """
    _check_allowed(user)
    markdown = _text(markdown, MINUTES_MAX_LENGTH)
    if approved_on is not None:
        if not has_visible_text(markdown):
            raise ValidationFailed(_l("Write the minutes before approving them."))
        if meeting.status == MeetingStatus.CANCELLED.value:
            raise ValidationFailed(_l("A cancelled meeting has no minutes to approve."))
        if meeting.agenda_published_at is None:
            raise ValidationFailed(_l("Publish the agenda before approving the minutes."))
        if approved_on > oslo_today():
            raise ValidationFailed(_l("The approval date cannot be in the future."))
        if approved_on < meeting.starts_at.date() - dt.timedelta(days=1):
            raise ValidationFailed(_l("The minutes cannot be approved before the meeting."))
    newly_approved = approved_on is not None and meeting.minutes_approved_on is None
    meeting.minutes_markdown, meeting.minutes_html = markdown, markdown_html(markdown) if markdown else ""
    meeting.minutes_approved_on = approved_on
    if approved_on is not None and meeting.status == MeetingStatus.PLANNED.value:
        meeting.status = MeetingStatus.HELD.value
    meeting.updated_at = utcnow()
    announce(MeetingSaved(meeting.id, meeting.body_id, meeting.is_public))
    if newly_approved:
        announce(MinutesApproved(meeting.id, meeting.body_id))
    db.session.commit()
    return newly_approved


def decision_item_for(consultation_id: int) -> AgendaItem | None:
    """The agenda item where the consultation's case is decided, if one is linked."""
    return db.session.scalar(sa.select(AgendaItem).where(AgendaItem.consultation_id == consultation_id))
