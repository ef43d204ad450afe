"""Bans: barring a user, hiding her comments with the ban, telling her, lifting it.

A ban bars a citizen from commenting, replying, supporting and reporting, for a number of
days or for good. The moderator may also hide every published comment of hers with the
ban (``Comment.hidden_reason`` :data:`HIDDEN_BY_BAN`; the audit log keeps the ban's reason
for each); lifting the ban may restore exactly those comments — not ones hidden since for
another reason. She is told why and until when by e-mail, in the language she last chose,
and on the site while the ban lasts.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.accounts.models import Role, User
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.events import BanLifted, CommentModerated, UserBanned, announce
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.i18n import human_datetime, in_language, ngettext
from hoering.moderation.audit import record
from hoering.moderation.models import HIDDEN_BY_BAN, ActionType, Ban, BanHiddenComment, Report
from hoering.moderation.recusal import recusals
from hoering.notifications.outbox import queue_account_mail
from hoering.sanitize import normalize_text
from hoering.timeutil import utcnow
from hoering.urls import site_url_for

PUBLISHED = CommentState.PUBLISHED.value
HIDDEN = CommentState.HIDDEN.value
#: Longest reason of a ban, in characters (the form's limit).
BAN_REASON_MAX_LENGTH = 2000


def ban_user(user: User, moderator, reason: str, days: int | None, hide_comments: bool = False,
             now: dt.datetime | None = None) -> Ban:
    """Bar ``user`` from posting, supporting and reporting, for ``days`` days or for good,
    and tell her by e-mail; with ``hide_comments`` also hide every published comment of
    hers (each logged as a hide with the ban's reason, its open reports upheld, the search
    index told), remembered so that lifting the ban can restore them.

    Args:
        user: the citizen to ban.
        moderator: the acting moderator or admin.
        reason: shown to the user (plain text, at most 2,000 characters).
        days: 1–3650, or ``None`` for good.
        hide_comments: hide her published comments too.

    Raises:
        PermissionDenied: ``moderator`` may not moderate, or ``user`` is staff.
        ValidationFailed: no reason, a reason over 2,000 characters, or a period outside
            1–3650 days.
    """
    if not permissions.can_moderate(moderator):
        raise PermissionDenied(_l("Only moderators can ban users."))
    if user.role != Role.CITIZEN.value:
        raise PermissionDenied(_l("Staff accounts cannot be banned; an administrator can change the role."))
    reason = normalize_text(reason or "")
    if not reason:
        raise ValidationFailed(_l("Give a reason for the ban; the user will see it."))
    if len(reason) > BAN_REASON_MAX_LENGTH:
        raise ValidationFailed(_l("The reason can be at most %(max)d characters.", max=BAN_REASON_MAX_LENGTH))
    if days is not None and not 1 <= days <= 3650:
        raise ValidationFailed(_l("A ban lasts from 1 to 3650 days, or for good."))
    now = now or utcnow()
    ban = Ban(user_id=user.id, moderator_id=moderator.id, reason=reason, created_at=now,
              expires_at=now + dt.timedelta(days=days) if days else None)
    db.session.add(ban)
    db.session.flush()
    record(ActionType.BAN, actor=moderator, target_user=user, reason="ban", note=reason, at=now,
           after=f"days:{days}" if days else "permanent")
    hidden = _hide_comments_of(ban, moderator, now) if hide_comments else 0
    _mail_ban_notice(user, ban, hidden)
    announce(UserBanned(user.id, ban.id, hidden))
    db.session.commit()
    return ban


def _hide_comments_of(ban: Ban, moderator, now: dt.datetime) -> int:
    """Hide the banned user's published comments (no commit); returns how many. Left for
    another moderator, as in every moderation decision: comments the moderator has reported
    herself (:mod:`hoering.moderation.recusal`) and comments of consultations she may not
    moderate (drafts, for a moderator who is not a case officer)."""
    candidates = db.session.scalars(sa.select(Comment).where(
        Comment.author_id == ban.user_id, Comment.state == PUBLISHED).order_by(Comment.id)).all()
    stakes = recusals(moderator, candidates)
    consultations = {c.id: c for c in db.session.scalars(
        sa.select(Consultation).where(Consultation.id.in_({comment.consultation_id for comment in candidates})))}
    comments = [comment for comment in candidates if comment.id not in stakes
                and permissions.can_moderate_consultation(moderator, consultations[comment.consultation_id])]
    hidden = 0
    # The new rows (what the ban hid, audit entries, event deliveries) are written together
    # at the commit, not flushed before each statement: a ban may hide thousands of comments.
    with db.session.no_autoflush:
        for comment in comments:
            updated = db.session.execute(
                sa.update(Comment).where(Comment.id == comment.id, Comment.state == PUBLISHED,
                                         Comment.moderation_version == comment.moderation_version)
                .values(state=HIDDEN, hidden_reason=HIDDEN_BY_BAN, moderation_version=comment.moderation_version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if updated != 1:
                continue  # another moderator acted on it meanwhile: that decision stands
            db.session.add(BanHiddenComment(ban_id=ban.id, comment_id=comment.id))
            record(ActionType.HIDE, actor=moderator, comment=comment, reason=HIDDEN_BY_BAN, note=ban.reason,
                   before=PUBLISHED, after=HIDDEN, at=now)
            announce(CommentModerated(comment.id, comment.consultation_id, ActionType.HIDE.value, PUBLISHED, HIDDEN,
                                      moderator.id))
            hidden += 1
    if comments:
        # As when a moderator hides a comment: its open reports are upheld.
        db.session.execute(
            sa.update(Report).where(Report.comment_id.in_([c.id for c in comments]), Report.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by_id=moderator.id, resolution="upheld")
            .execution_options(synchronize_session=False)
        )
    return hidden


def comments_hidden_by(ban: Ban) -> list[Comment]:
    """The comments ``ban`` hid that are still hidden by it (not restored, not hidden since
    for another reason, not removed by their author), oldest first."""
    return list(db.session.scalars(
        sa.select(Comment).join(BanHiddenComment, BanHiddenComment.comment_id == Comment.id)
        .where(BanHiddenComment.ban_id == ban.id, BanHiddenComment.restored_at.is_(None),
               Comment.state == HIDDEN, Comment.hidden_reason == HIDDEN_BY_BAN)
        .order_by(Comment.id)))


def _restore(ban: Ban, moderator, now: dt.datetime) -> int:
    """Publish again the comments ``ban`` hid and that are still hidden by it (no commit).
    Nothing is restored while another ban of the same person is in force: it may have
    hidden the same comments, or would have."""
    other_ban = db.session.scalar(sa.select(Ban.id).where(
        Ban.user_id == ban.user_id, Ban.id != ban.id, Ban.lifted_at.is_(None),
        sa.or_(Ban.expires_at.is_(None), Ban.expires_at > now)).limit(1))
    if other_ban is not None:
        return 0
    restored = 0
    comments = comments_hidden_by(ban)
    with db.session.no_autoflush:  # the new rows are written together at the commit
        for comment in comments:
            updated = db.session.execute(
                sa.update(Comment).where(Comment.id == comment.id, Comment.state == HIDDEN,
                                         Comment.hidden_reason == HIDDEN_BY_BAN,
                                         Comment.moderation_version == comment.moderation_version)
                .values(state=PUBLISHED, hidden_reason=None, moderation_version=comment.moderation_version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if updated != 1:
                continue
            db.session.execute(
                sa.update(BanHiddenComment).where(BanHiddenComment.ban_id == ban.id,
                                                  BanHiddenComment.comment_id == comment.id)
                .values(restored_at=now).execution_options(synchronize_session=False))
            record(ActionType.RESTORE, actor=moderator, comment=comment, reason=None, note=_("The ban is lifted."),
                   before=HIDDEN, after=PUBLISHED, at=now)
            announce(CommentModerated(comment.id, comment.consultation_id, ActionType.RESTORE.value, HIDDEN, PUBLISHED,
                                      moderator.id))
            restored += 1
    return restored


def lift_ban(ban: Ban, moderator, restore_comments: bool = False, now: dt.datetime | None = None) -> int:
    """Lift a ban before it expires; with ``restore_comments`` publish again the comments
    the ban hid (:func:`comments_hidden_by`), each logged as a restore.

    Returns:
        How many comments were restored.

    Raises:
        PermissionDenied: not a moderator.
        Conflict: the ban is no longer in force.
    """
    if not permissions.can_moderate(moderator):
        raise PermissionDenied(_l("Only moderators can lift bans."))
    now = now or utcnow()
    updated = db.session.execute(
        sa.update(Ban).where(Ban.id == ban.id, Ban.lifted_at.is_(None),
                             sa.or_(Ban.expires_at.is_(None), Ban.expires_at > now))
        .values(lifted_at=now, lifted_by_id=moderator.id).execution_options(synchronize_session=False)
    ).rowcount
    if updated != 1:
        db.session.rollback()
        raise Conflict(_l("The ban is no longer in force."))
    record(ActionType.UNBAN, actor=moderator, target_user=db.session.get(User, ban.user_id), at=now)
    restored = _restore(ban, moderator, now) if restore_comments else 0
    announce(BanLifted(ban.user_id, ban.id, restored))
    db.session.commit()
    db.session.refresh(ban)
    return restored


def restore_comments_of(ban: Ban, moderator, now: dt.datetime | None = None) -> int:
    """Publish again the comments a ban that has run out (or was lifted without them) hid.

    Returns:
        How many comments were restored.

    Raises:
        PermissionDenied: not a moderator.
        Conflict: the ban is still in force (lift it, which offers the same).
    """
    if not permissions.can_moderate(moderator):
        raise PermissionDenied(_l("Only moderators can do this."))
    now = now or utcnow()
    if ban.is_active_at(now):
        raise Conflict(_l("The ban is still in force: lift it to restore the comments."))
    restored = _restore(ban, moderator, now)
    db.session.commit()
    return restored


def _mail_ban_notice(user: User, ban: Ban, hidden: int) -> None:
    """Queue the mail that tells ``user`` why she is banned and until when, in the
    language she last chose (no commit)."""
    if not user.email:
        return
    with in_language(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if ban.expires_at is not None:
            period = _("A moderator has banned you until %(until)s. Until then you can read, but not comment, "
                       "reply, support or report.", until=human_datetime(ban.expires_at))
        else:
            period = _("A moderator has banned you until further notice. You can read, but not comment, reply, "
                       "support or report.")
        lines = [_("Hello %(name)s,", name=user.display_name), period, _("Reason: %(reason)s", reason=ban.reason)]
        if hidden:
            lines.append(ngettext("Your published comment has been hidden with the ban.",
                                  "Your %(num)s published comments have been hidden with the ban.", hidden))
        lines += [_("The house rules: %(link)s", link=site_url_for("moderation.house_rules")),
                  _("If you think this is wrong, contact %(owner)s.", owner=current_app.config["SITE_OWNER"])]
        queue_account_mail(user, "ban", _("You are banned from taking part"), lines)
