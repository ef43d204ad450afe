"""Who gets which mail, delivery and unsubscribing.

Mails are plain text in the site's language. They are written to the outbox
(:mod:`hoering.notifications.outbox`) in the same transaction as the event they tell about
(the caller commits), and delivered by ``flask --app wsgi hoering send-mail``: over SMTP
when ``MAIL_SMTP_HOST`` is set, else written as files to ``instance/mail/`` (development).
Every mail has a signed link that unsubscribes without logging in, also as a one-click
``List-Unsubscribe`` header (RFC 8058).

Events: a reply to one's comment; an official reply, a published summary and a recorded
decision for those who follow the consultation; three days before the deadline for
followers; a daily digest of waiting items for moderators.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError

from hoering import permissions
from hoering.accounts.models import Role, User
from hoering.accounts.verification import require_confirmed_email
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.database import insert_unless_present
from hoering.extensions import db
from hoering.forms import is_row_id
from hoering.i18n import human_date, in_language
from hoering.mail_sender import sender
from hoering.moderation.queue import overview
from hoering.notifications.models import MailOptOut, OutboxMail, Subscription
from hoering.notifications.outbox import ACCOUNT_MAIL_KINDS, add_to_outbox
from hoering.timeutil import oslo_today, utcnow
from hoering.urls import site_url_for

#: A claimed mail not marked sent after this long is tried again (a sender died).
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
#: Mails claimed, read and marked sent together by :func:`deliver` (one commit to claim
#: them, one to mark them; a process that dies mid-batch sends its sent ones again).
SEND_BATCH = 20
#: Days before the deadline followers are reminded.
REMINDER_DAYS = 3


# --- following ------------------------------------------------------------------------------------

def is_following(user, consultation_id: int) -> bool:
    """Whether ``user`` follows the consultation."""
    return bool(getattr(user, "is_authenticated", False)) and db.session.scalar(sa.select(Subscription.id).where(
        Subscription.user_id == user.id, Subscription.consultation_id == consultation_id)) is not None


def set_following(user, consultation: Consultation, follow: bool) -> None:
    """Follow or stop following (idempotent, also when the same request comes from several
    tabs at once: one subscription at most, by the unique constraint; commits).

    Raises:
        PermissionDenied: following with an e-mail address not yet confirmed.
    """
    if follow:
        require_confirmed_email(user)
        insert_unless_present(Subscription, {"user_id": user.id, "consultation_id": consultation.id},
                              unique=("user_id", "consultation_id"))
        # following again lifts an earlier "stop these mails"
        db.session.execute(sa.delete(MailOptOut).where(MailOptOut.user_id == user.id,
                                                       MailOptOut.consultation_id == consultation.id))
    else:
        db.session.execute(sa.delete(Subscription).where(Subscription.user_id == user.id,
                                                         Subscription.consultation_id == consultation.id))
    db.session.commit()


def followed_consultations(user) -> list[Consultation]:
    """The consultations ``user`` follows, by title."""
    return list(db.session.scalars(sa.select(Consultation).join(Subscription, Subscription.consultation_id ==
                                                                Consultation.id)
                                   .where(Subscription.user_id == user.id).order_by(Consultation.title)))


def followers(consultation_id: int) -> list[User]:
    """The users following a consultation."""
    return list(db.session.scalars(sa.select(User).join(Subscription, Subscription.user_id == User.id)
                                   .where(Subscription.consultation_id == consultation_id).order_by(User.id)))


# --- unsubscribe tokens -----------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="hoering-unsubscribe")


def unsubscribe_token(user_id: int, consultation_id: int | None) -> str:
    """A signed token that stops mails about one consultation (or all mails, ``None``)."""
    return _serializer().dumps([user_id, consultation_id])


def read_unsubscribe_token(token: str) -> tuple[int, int | None] | None:
    """``(user id, consultation id or None)`` from a token, or ``None`` if it is forged."""
    try:
        user_id, consultation_id = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not is_row_id(user_id) or not (consultation_id is None or is_row_id(consultation_id)):
        return None
    return user_id, consultation_id


def unsubscribe(user_id: int, consultation_id: int | None) -> None:
    """Stop every mail about one consultation (replies to one's comments included), or
    (``None``) all mails, the digest too. Idempotent."""
    if db.session.get(User, user_id) is None:
        return
    query = sa.delete(Subscription).where(Subscription.user_id == user_id)
    if consultation_id is not None:
        query = query.where(Subscription.consultation_id == consultation_id)
    db.session.execute(query)
    exists = db.session.scalar(sa.select(MailOptOut.id).where(
        MailOptOut.user_id == user_id, MailOptOut.consultation_id.is_(None) if consultation_id is None
        else MailOptOut.consultation_id == consultation_id))
    if exists is None:
        db.session.add(MailOptOut(user_id=user_id, consultation_id=consultation_id))
    if consultation_id is None:
        db.session.get(User, user_id).wants_digest = False
    db.session.commit()


def _opted_out(user_id: int, consultation_id: int | None) -> bool:
    condition = MailOptOut.consultation_id.is_(None)
    if consultation_id is not None:
        condition = sa.or_(condition, MailOptOut.consultation_id == consultation_id)
    return db.session.scalar(sa.select(MailOptOut.id).where(MailOptOut.user_id == user_id, condition)
                             .limit(1)) is not None


# --- queueing ---------------------------------------------------------------------------------------

def _queue(user: User, kind: str, subject: str, lines: list[str], consultation_id: int | None,
           dedupe_key: str | None = None, comment_id: int | None = None) -> None:
    """Add a mail to the outbox (no commit: it joins the caller's transaction), unless the
    user stopped such mails or has no address (an account made with ID-porten without one)."""
    if not user.email or _opted_out(user.id, consultation_id):
        return
    if dedupe_key and db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == dedupe_key)):
        return
    link = site_url_for("notifications.unsubscribe_page", token=unsubscribe_token(user.id, consultation_id))
    footer = _("Stop these mails: %(link)s", link=link)
    body = "\n\n".join([*lines, "--", footer]) + "\n"
    add_to_outbox(user, kind, subject, body, unsubscribe_url=link, dedupe_key=dedupe_key, comment_id=comment_id)


def deliver_stuck_account_mails(older_than: float = 10.0, limit: int = 20) -> int:
    """Send account mails still waiting ``older_than`` seconds after they were queued: the
    delivery after their request did not run (the process stopped, or the development
    server skipped it because the browser hung up first). Called now and then after a
    response (``MAIL_ACCOUNT_SWEEP_SECONDS``), so a verification or sign-in link is never
    left for ``send-mail`` alone. Returns how many were sent; failures are logged and the
    mails stay in the outbox."""
    cutoff = utcnow() - dt.timedelta(seconds=older_than)
    try:
        ids = list(db.session.scalars(
            sa.select(OutboxMail.id).where(OutboxMail.sent_at.is_(None), OutboxMail.claimed_at.is_(None),
                                           OutboxMail.kind.in_(ACCOUNT_MAIL_KINDS), OutboxMail.created_at < cutoff)
            .order_by(OutboxMail.id).limit(limit)))
        return deliver(ids=ids)[0] if ids else 0
    except Exception:  # noqa: BLE001 - the response has gone; send-mail tries again
        current_app.logger.exception("sending waiting account mails failed; they stay in the outbox")
        return 0
    finally:
        db.session.remove()


def deliver_account_mails(mail_ids: list[int]) -> None:
    """Send these account mails now (called once the response of the request that queued
    them has gone, so its timing does not tell whether a mail was sent). Failures are
    logged and the mails stay for ``send-mail``."""
    try:
        deliver(ids=mail_ids)
    except Exception:  # noqa: BLE001 - the request succeeded; send-mail tries again
        current_app.logger.exception("sending account mails failed; they stay in the outbox")
    finally:
        db.session.remove()


def _in_site_language():
    return in_language(current_app.config["BABEL_DEFAULT_LOCALE"])


def comment_published(comment: Comment) -> None:
    """Tell about a newly published comment: a reply to its parent's author; an official
    reply also to the consultation's followers. Call before the commit that publishes it."""
    if comment.parent_id is None and not comment.official_unit:
        return
    consultation = db.session.get(Consultation, comment.consultation_id)
    link = site_url_for("comments.permalink", comment_id=comment.id)
    told: set[int] = {comment.author_id}
    with _in_site_language():
        if comment.parent_id is not None:
            parent = db.session.get(Comment, comment.parent_id)
            if parent is not None and parent.author_id not in told and parent.author.email:
                told.add(parent.author_id)
                who = _("%(unit)s answered your comment (official reply):", unit=comment.official_unit) \
                    if comment.official_unit else _("%(name)s replied to your comment:", name=comment.author.display_name)
                _queue(parent.author, "reply", _("New reply to your comment on “%(title)s”", title=consultation.title),
                       [who, comment.body_text, _("Read it and answer: %(link)s", link=link)], consultation.id,
                       comment_id=comment.id)
        if comment.official_unit:
            for user in followers(consultation.id):
                if user.id not in told:
                    told.add(user.id)
                    _queue(user, "official_reply", _("%(unit)s answered in “%(title)s”",
                                                      unit=comment.official_unit, title=consultation.title),
                           [_("%(unit)s answered in the consultation you follow (official reply):",
                              unit=comment.official_unit),
                            comment.body_text, _("Read the reply: %(link)s", link=link)], consultation.id,
                           comment_id=comment.id)


def summary_published(consultation: Consultation) -> None:
    """Tell the followers that "Dette har vi hørt" is published (before the commit)."""
    link = site_url_for("consultations.detail", slug=consultation.slug) + "#heard-heading"
    with _in_site_language():
        for user in followers(consultation.id):
            _queue(user, "summary", _("What we heard: %(title)s", title=consultation.title),
                   [_("The municipality has summed up what citizens said in “%(title)s”.", title=consultation.title),
                    _("Read it: %(link)s", link=link)], consultation.id,
                   dedupe_key=f"summary:{consultation.id}:{user.id}")


def decision_recorded(consultation: Consultation) -> None:
    """Tell the followers what was decided (before the commit)."""
    link = site_url_for("consultations.detail", slug=consultation.slug) + "#decision-heading"
    with _in_site_language():
        for user in followers(consultation.id):
            lines = [_("%(body)s has decided on “%(title)s”:", body=consultation.political_body
                       or current_app.config["SITE_OWNER"], title=consultation.title), consultation.decision_text]
            if consultation.decision_url:
                lines.append(_("The decision: %(link)s", link=consultation.decision_url))
            lines.append(_("Read more: %(link)s", link=link))
            _queue(user, "decision", _("This was decided: %(title)s", title=consultation.title), lines,
                   consultation.id,
                   dedupe_key=f"decision:{consultation.id}:{user.id}:{consultation.decided_at:%Y-%m-%d}")


def deadline_changed(consultation: Consultation, reason: str, *, extended: bool) -> None:
    """Tell the followers that the deadline moved or the consultation closed early, and why
    (before the commit)."""
    link = site_url_for("consultations.detail", slug=consultation.slug)
    with _in_site_language():
        for user in followers(consultation.id):
            if extended:
                subject = _("New deadline: “%(title)s”", title=consultation.title)
                first = _("The deadline is now %(date)s at 23:59.", date=human_date(consultation.deadline))
            else:
                subject = _("Closed: “%(title)s”", title=consultation.title)
                first = _("The consultation was closed before its deadline.")
            _queue(user, "deadline_changed", subject, [first, reason, _("Read more: %(link)s", link=link)],
                   consultation.id)


def queue_deadline_reminders(today: dt.date | None = None) -> int:
    """Remind followers of open consultations whose deadline is :data:`REMINDER_DAYS`
    days from ``today`` (Oslo); once per consultation and follower. Returns how many."""
    today = today or oslo_today()
    count = 0
    with _in_site_language():
        for consultation in db.session.scalars(sa.select(Consultation).where(Consultation.published_at.is_not(None))):
            if consultation.deadline != today + dt.timedelta(days=REMINDER_DAYS) or not consultation.is_open():
                continue
            link = site_url_for("consultations.detail", slug=consultation.slug)
            for user in followers(consultation.id):
                key = f"deadline:{consultation.id}:{user.id}:{consultation.deadline.isoformat()}"
                if db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == key)):
                    continue
                _queue(user, "deadline", _("Three days left: “%(title)s”", title=consultation.title),
                       [_("The deadline for “%(title)s” is %(date)s at 23:59.", title=consultation.title,
                          date=human_date(consultation.deadline)),
                        _("Have your say: %(link)s", link=link)], consultation.id, dedupe_key=key)
                count += 1
    return _commit_queued(count)


def _commit_queued(count: int) -> int:
    """Commit queued reminders or digests; if another ``send-mail`` queued the same ones at
    the same moment (their unique keys clash), those are there already: nothing is lost."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0
    return count


def queue_moderator_digests(today: dt.date | None = None) -> int:
    """Once a day, tell each moderator (and admin) who wants it how many comments wait in
    the moderation queue, if any. Returns how many digests were queued."""
    today = today or oslo_today()
    work = [w for w in overview() if w.pending or w.reported]
    if not work:
        return 0
    count = 0
    with _in_site_language():
        lines = [_("Waiting in the moderation queue:")]
        lines += [f"- {w.consultation.title}: " + _("%(pending)d awaiting approval, %(reported)d reported",
                                                   pending=w.pending, reported=w.reported) for w in work]
        lines.append(site_url_for("moderation.queue"))
        staff = db.session.scalars(sa.select(User).where(User.role.in_((Role.MODERATOR.value, Role.ADMIN.value)),
                                                         User.wants_digest.is_(True)))
        for user in staff:
            if not permissions.can_moderate(user):  # e.g. without the two-factor login admins require
                continue
            key = f"digest:{today.isoformat()}:{user.id}"
            if db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == key)):
                continue
            _queue(user, "digest", _("The moderation queue, %(date)s", date=human_date(today)), lines,
                   None, dedupe_key=key)
            count += 1
    return _commit_queued(count)


# --- delivery ---------------------------------------------------------------------------------------

def claim(mail_id: int, now: dt.datetime) -> bool:
    """Claim one mail for sending; ``False`` if another sender has it (or it was sent)."""
    result = db.session.execute(
        sa.update(OutboxMail).where(
            OutboxMail.id == mail_id, OutboxMail.sent_at.is_(None),
            sa.or_(OutboxMail.claimed_at.is_(None), OutboxMail.claimed_at < now - CLAIM_TIMEOUT))
        .values(claimed_at=now, attempts=OutboxMail.attempts + 1))
    db.session.commit()
    return result.rowcount == 1


def _message(mail: OutboxMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender(current_app.config)
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=message["From"].addresses[0].domain or "hoering")
    message["Date"] = format_datetime(utcnow())
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body)
    return message


def claim_many(mail_ids: list[int], now: dt.datetime) -> list[int]:
    """Claim these mails for sending in one statement and one commit, as :func:`claim`
    does one; returns the ids this sender got (not those another sender has, or sent)."""
    result = db.session.execute(
        sa.update(OutboxMail).where(
            OutboxMail.id.in_(mail_ids), OutboxMail.sent_at.is_(None),
            sa.or_(OutboxMail.claimed_at.is_(None), OutboxMail.claimed_at < now - CLAIM_TIMEOUT))
        .values(claimed_at=now, attempts=OutboxMail.attempts + 1).returning(OutboxMail.id)
        .execution_options(synchronize_session=False))
    claimed = sorted(result.scalars())
    db.session.commit()
    return claimed


def deliver(limit: int = 500, ids: list[int] | None = None) -> tuple[int, int]:
    """Send the waiting mails (oldest first), only those with ``ids`` if given; returns
    ``(sent, failed)``. A mail that fails stays in the outbox and is tried again by a
    later run.

    The mails go in batches of :data:`SEND_BATCH`: claimed together (one commit), read
    together with the state of the comment each names, sent one by one, then marked
    sent (or failed) together (one commit), instead of two commits for each mail. Should
    the process die in the middle of a batch, its mails sent so far are sent again after
    ``CLAIM_TIMEOUT`` (up to ``SEND_BATCH - 1`` mails twice; with a commit per mail, one).
    """
    query = sa.select(OutboxMail.id).where(OutboxMail.sent_at.is_(None))
    if ids is not None:
        query = query.where(OutboxMail.id.in_(ids))
    ids = list(db.session.scalars(query.order_by(OutboxMail.id).limit(limit)))
    sent = failed = 0
    connection = None
    try:
        for start in range(0, len(ids), SEND_BATCH):
            # the time of this claim: a long run must not look abandoned
            claimed = claim_many(ids[start:start + SEND_BATCH], utcnow())
            if not claimed:
                continue
            rows = db.session.execute(
                sa.select(OutboxMail, Comment.state).outerjoin(Comment, Comment.id == OutboxMail.comment_id)
                .where(OutboxMail.id.in_(claimed)).order_by(OutboxMail.id)).all()
            for mail, comment_state in rows:
                if mail.comment_id is not None and comment_state != CommentState.PUBLISHED.value:
                    mail.sent_at, mail.last_error = utcnow(), "not sent: the comment is no longer published"
                    continue
                try:
                    if current_app.config.get("MAIL_SMTP_HOST"):
                        connection = connection or _smtp()
                        connection.send_message(_message(mail))
                    else:
                        _write_file(mail)
                except Exception as error:  # noqa: BLE001 - one bad mail must not stop the others
                    mail.claimed_at = None
                    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
                    failed += 1
                    if connection is not None:  # its state is unknown: the next mail opens another
                        connection.close()
                    connection = None
                    continue
                mail.sent_at = utcnow()
                sent += 1
            db.session.commit()
    finally:
        if connection is not None:
            try:
                connection.quit()
            except smtplib.SMTPException:
                pass
    return sent, failed


def _smtp() -> smtplib.SMTP:
    config = current_app.config
    connection = smtplib.SMTP(config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"], timeout=30)
    if config.get("MAIL_SMTP_STARTTLS"):
        connection.starttls()
    if config.get("MAIL_SMTP_USERNAME"):
        connection.login(config["MAIL_SMTP_USERNAME"], config.get("MAIL_SMTP_PASSWORD") or "")
    return connection


def _write_file(mail: OutboxMail) -> None:
    folder = current_app.config.get("MAIL_DIR") or os.path.join(current_app.instance_path, "mail")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f"{mail.id:08d}-{mail.kind}.eml"), "wb") as handle:
        handle.write(bytes(_message(mail)))
