"""Following a political body: a logged-in citizen is mailed when one of its meetings'
agenda is published and when minutes are approved, through the mail outbox
(:mod:`hoering.notifications.outbox`). Every mail has a signed link that stops them
without logging in (also as RFC 8058 one-click unsubscribe)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from hoering import permissions
from hoering.accounts.models import User
from hoering.exceptions import PermissionDenied
from hoering.extensions import db
from hoering.forms import is_row_id
from hoering.i18n import human_date, human_datetime, in_language
from hoering.meetings.models import Body, BodyFollower, Meeting
from hoering.notifications.models import OutboxMail
from hoering.notifications.outbox import add_to_outbox
from hoering.urls import site_url_for


def is_following(user, body_id: int) -> bool:
    """Whether ``user`` (perhaps anonymous) follows the body."""
    if not permissions.is_logged_in(user):
        return False
    return db.session.scalar(sa.select(BodyFollower.id).where(BodyFollower.user_id == user.id,
                                                              BodyFollower.body_id == body_id)) is not None


def set_following(user, body: Body, follow: bool) -> None:
    """Start or stop following ``body`` (idempotent).

    Raises:
        PermissionDenied: following, for a user who may not (banned, logged out).
    """
    if follow and not permissions.can_follow_body(user):
        raise PermissionDenied(_l("Log in to follow a political body."))
    existing = db.session.scalar(sa.select(BodyFollower).where(BodyFollower.user_id == user.id,
                                                               BodyFollower.body_id == body.id))
    if follow and existing is None:
        db.session.add(BodyFollower(user_id=user.id, body_id=body.id))
    elif not follow and existing is not None:
        db.session.delete(existing)
    try:
        db.session.commit()
    except IntegrityError:  # the same click twice at once: the other request made the row
        db.session.rollback()


def followers(body_id: int) -> list[User]:
    """The active users with an e-mail address who follow the body."""
    return list(db.session.scalars(sa.select(User).join(BodyFollower, BodyFollower.user_id == User.id)
                                   .where(BodyFollower.body_id == body_id).order_by(User.id)))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hoering-body-unsubscribe")


def unsubscribe_token(user_id: int, body_id: int) -> str:
    """A signed token that stops the mails about one body."""
    return _serializer().dumps([user_id, body_id])


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """``(user id, body id)`` from a token, or ``None`` if it is forged or malformed."""
    try:
        user_id, body_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not is_row_id(user_id) or not is_row_id(body_id):
        return None
    return user_id, body_id


def unsubscribe(user_id: int, body_id: int) -> None:
    """Stop following the body from a mail's link (idempotent)."""
    db.session.execute(sa.delete(BodyFollower).where(BodyFollower.user_id == user_id,
                                                     BodyFollower.body_id == body_id))
    db.session.commit()


def _tell_followers(meeting: Meeting, kind: str, subject: str, first_line: str, anchor: str) -> int:
    link = site_url_for("meetings.meeting", meeting_id=meeting.id) + anchor
    count = 0
    for user in followers(meeting.body_id):
        if not user.email or not user.is_active:
            continue
        stop = site_url_for("meetings.unsubscribe", token=unsubscribe_token(user.id, meeting.body_id))
        body = "\n\n".join([first_line, _("Read more: %(link)s", link=link), "--",
                            _("Stop these mails: %(link)s", link=stop)]) + "\n"
        dedupe = f"{kind}:{meeting.id}:{user.id}"
        if db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == dedupe)) is None:
            add_to_outbox(user, kind, subject, body, unsubscribe_url=stop, dedupe_key=dedupe)
            count += 1
    return count


def agenda_published(meeting: Meeting) -> int:
    """Queue a mail to each follower of the meeting's body: the agenda is out. No commit
    (the caller's transaction). Returns how many mails were queued."""
    with in_language(current_app.config["BABEL_DEFAULT_LOCALE"]):
        when = human_datetime(meeting.starts_at, "long")
        items = "\n".join(f"- {item.number + ' ' if item.number else ''}{item.title}" for item in meeting.items)
        first = _("The agenda for the meeting of %(body)s on %(when)s is published:", body=meeting.body.name,
                  when=when) + "\n\n" + items
        return _tell_followers(meeting, "meeting_agenda", _("Agenda: %(body)s, %(when)s", body=meeting.body.name,
                                                             when=when), first, "")


def minutes_approved(meeting: Meeting) -> int:
    """Queue a mail to each follower of the meeting's body: the minutes are approved. No
    commit. Returns how many mails were queued."""
    with in_language(current_app.config["BABEL_DEFAULT_LOCALE"]):
        when = human_date(meeting.starts_at)
        return _tell_followers(meeting, "meeting_minutes",
                               _("Minutes approved: %(body)s, %(when)s", body=meeting.body.name, when=when),
                               _("The minutes of the meeting of %(body)s on %(when)s are approved.",
                                 body=meeting.body.name, when=when), "#minutes-heading")
