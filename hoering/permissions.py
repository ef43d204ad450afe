"""Who may do what: the one place permission rules live (DESIGN §2).

Every function takes the current user (a :class:`hoering.accounts.models.User` or
Flask-Login's anonymous user) and answers ``True`` or ``False``; views call them and answer
403 when they say no, and services call them again before they write.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app

from hoering.accounts.models import Role
from hoering.accounts.policy import lacks_required_two_factor
from hoering.moderation.models import active_ban
from hoering.timeutil import utcnow


def is_logged_in(user) -> bool:
    """True for an authenticated, active account."""
    return bool(user and user.is_authenticated and user.is_active)


def _staff(user) -> bool:
    """Logged in, and not a staff account missing the two-factor login admins require."""
    return is_logged_in(user) and not lacks_required_two_factor(user)


def is_banned(user) -> bool:
    """True while a moderator's ban on ``user`` is in force."""
    return is_logged_in(user) and active_ban(user) is not None


def can_participate(user) -> bool:
    """Logged in and not banned: may comment, reply, support and report."""
    return is_logged_in(user) and not is_banned(user)


def can_moderate(user) -> bool:
    """Moderators (and admins) work the moderation queue, act on comments and ban users."""
    return _staff(user) and user.has_role(Role.MODERATOR)


def can_see_dashboard(user) -> bool:
    """Staff (moderators, case officers, admins) have the dashboard of work at hand."""
    return _staff(user) and user.is_staff


def can_invite_staff(user) -> bool:
    """Admins invite colleagues with a staff role (and list and revoke the invitations)."""
    return can_administer(user)


def can_administer(user) -> bool:
    """Admins manage users, roles and the house rules."""
    return _staff(user) and user.role == Role.ADMIN.value


def can_manage_consultations(user) -> bool:
    """Case officers (and admins) create, edit and preview consultations."""
    return _staff(user) and user.has_role(Role.CASE_OFFICER)


def can_publish_notices(user) -> bool:
    """Admins and case officers publish, change and end urgent notices (crisis
    readiness: the case officers on duty may need to warn the public at once)."""
    return _staff(user) and user.has_role(Role.CASE_OFFICER)


def can_manage_meetings(user) -> bool:
    """Case officers (and admins) keep the political bodies, their members, meetings,
    agendas and minutes."""
    return _staff(user) and user.has_role(Role.CASE_OFFICER)


def can_view_meeting(user, meeting) -> bool:
    """A meeting is public once its agenda is published; before that only for those who
    manage meetings."""
    return meeting.agenda_published_at is not None or can_manage_meetings(user)


def can_follow_body(user) -> bool:
    """A logged-in, unbanned user may follow a political body for e-mail."""
    return can_participate(user)


def can_export(user) -> bool:
    """Moderators and case officers (and admins) see a consultation's staff page, its
    statistics and its exports."""
    return _staff(user) and user.has_role(Role.MODERATOR, Role.CASE_OFFICER)


def can_reply_officially(user) -> bool:
    """Case officers and moderators (and admins) may answer on behalf of the municipality."""
    return _staff(user) and user.has_role(Role.MODERATOR, Role.CASE_OFFICER)


def can_view_consultation(user, consultation) -> bool:
    """Published consultations are public; drafts only for those who manage them."""
    return consultation.published_at is not None or can_manage_consultations(user)


def can_moderate_consultation(user, consultation) -> bool:
    """Moderators (and admins) work on a consultation's comments, themes and summary, but
    not on a draft: drafts belong to case officers and admins (the role matrix in
    ``docs/SECURITY.md``), so of the moderators only admins reach one."""
    return can_moderate(user) and can_view_consultation(user, consultation)


def can_export_consultation(user, consultation) -> bool:
    """Moderators and case officers (and admins) see a consultation's staff page,
    statistics, report and exports; a draft's only those who may see the draft (case
    officers and admins)."""
    return can_export(user) and can_view_consultation(user, consultation)


def can_view_comment(user, comment) -> bool:
    """Published comments and placeholders (removed, hidden) are public in a visible
    consultation; pending and rejected ones only for their author."""
    if not can_view_consultation(user, comment.consultation):
        return False
    if comment.state in ("published", "removed", "hidden") or can_moderate(user):
        return True
    return is_logged_in(user) and comment.author_id == user.id


def can_comment(user, consultation, now: dt.datetime | None = None) -> bool:
    """A logged-in, unbanned user may comment and reply while the consultation is open."""
    return consultation.is_open(now) and can_participate(user)


def can_edit_comment(user, comment, now: dt.datetime | None = None) -> bool:
    """The author may edit a published or pending comment for ``COMMENT_EDIT_WINDOW_SECONDS``
    (default 900 s) after posting it, while the consultation is open."""
    if not is_logged_in(user) or comment.author_id != user.id or is_banned(user):
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
        and not is_banned(user)
    )


def can_report_comment(user, comment) -> bool:
    """A logged-in, unbanned user may report someone else's published comment."""
    return (
        is_logged_in(user)
        and comment.author_id != user.id
        and comment.state == "published"
        and comment.consultation.published_at is not None
        and not is_banned(user)
    )


def offers_report_after_login(user, comment) -> bool:
    """An anonymous reader is offered "Report" on a published comment too: the link leads
    through login (or registration) and back to the report form, where
    :func:`can_report_comment` and the confirmed-address rule decide as for anyone."""
    return (
        not is_logged_in(user)
        and comment.state == "published"
        and comment.consultation.published_at is not None
    )


def can_reply(user, consultation, thread_root) -> bool:
    """Replies are accepted where comments are, unless a moderator locked the thread
    (``thread_root`` is the thread's top-level comment)."""
    return can_comment(user, consultation) and thread_root.locked_at is None


def can_send_response(user, consultation, now: dt.datetime | None = None) -> bool:
    """Anyone, with or without an account, may send a formal response (høringssvar) to a
    consultation that takes them while it is open: the right to give one's view in a
    hearing does not hang on an account, and a ban from the comments does not take it away."""
    return bool(consultation.accepts_responses) and consultation.is_open(now)


def can_screen_responses(user) -> bool:
    """Case officers (and admins) register responses that came by letter or e-mail, read
    every response and decide whether and how each is published."""
    return can_manage_consultations(user)


def can_view_response(user, response) -> bool:
    """A screened, published response is public in a visible consultation; anything else
    only for case officers."""
    return can_screen_responses(user) or (response.is_public and can_view_consultation(user, response.consultation))


def _allowed_with_two_factor(check) -> bool:
    """Would ``check`` let the current user in once they switch on two-factor login?"""
    from flask import g
    from flask_login import current_user

    g.two_factor_required = False  # just for this question
    try:
        return bool(check(current_user))
    finally:
        g.pop("two_factor_required", None)


def requires(check):
    """View decorator: log in first, then answer 403 unless ``check(current_user)`` is true.

    Example: ``@requires(can_moderate)``.
    """
    from functools import wraps

    from flask import abort
    from flask_login import current_user, login_required

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not check(current_user):
                if lacks_required_two_factor(current_user) and _allowed_with_two_factor(check):
                    from flask import flash, redirect, request, url_for
                    from flask_babel import gettext as _

                    flash(_("Your role requires two-factor login. Switch it on to continue."), "info")
                    return redirect(url_for("accounts.two_factor", next=request.full_path.rstrip("?")), code=303)
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
