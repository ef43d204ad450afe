"""Who may do what: the one place permission rules live (DESIGN §2).

Every function takes the current user (a :class:`hoering.accounts.models.User` or
Flask-Login's anonymous user) and answers ``True`` or ``False``; views call them and answer
403 when they say no, and services call them again before they write.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

from hoering.accounts.models import Role
from hoering.timeutil import utcnow


def is_logged_in(user) -> bool:
    """True for an authenticated, active account."""
    return bool(user and user.is_authenticated and user.is_active)


def can_manage_consultations(user) -> bool:
    """Case officers (and admins) create, edit and preview consultations."""
    return is_logged_in(user) and user.has_role(Role.CASE_OFFICER)


def can_view_consultation(user, consultation) -> bool:
    """Published consultations are public; drafts only for those who manage them."""
    return consultation.published_at is not None or can_manage_consultations(user)


def can_view_comment(user, comment) -> bool:
    """Published comments and placeholders (removed, hidden) are public in a visible
    consultation; pending and rejected ones only for their author."""
    if not can_view_consultation(user, comment.consultation):
        return False
    if comment.state in ("published", "removed", "hidden"):
        return True
    return is_logged_in(user) and comment.author_id == user.id


def can_comment(user, consultation, now: dt.datetime | None = None) -> bool:
    """A logged-in user may comment and reply while the consultation is open."""
    return is_logged_in(user) and consultation.is_open(now)


def can_edit_comment(user, comment, now: dt.datetime | None = None) -> bool:
    """The author may edit a published or pending comment for ``COMMENT_EDIT_WINDOW_SECONDS``
    (default 900 s) after posting it, while the consultation is open."""
    if not is_logged_in(user) or comment.author_id != user.id:
        return False
    if comment.state not in ("published", "pending"):
        return False
    now = now or utcnow()
    window = dt.timedelta(seconds=current_app.config["COMMENT_EDIT_WINDOW_SECONDS"])
    return now - comment.created_at <= window and comment.consultation.is_open(now)


def can_remove_comment(user, comment) -> bool:
    """The author may remove their own comment at any time (a placeholder keeps the replies)."""
    return (
        is_logged_in(user)
        and comment.author_id == user.id
        and comment.state in ("published", "pending", "hidden")
    )


def can_support_comment(user, comment, now: dt.datetime | None = None) -> bool:
    """A logged-in user may support a published comment by someone else while the
    consultation is open."""
    return (
        is_logged_in(user)
        and comment.author_id != user.id
        and comment.state == "published"
        and comment.consultation.is_open(now)
    )
