"""Who gets which mail, the outbox, delivery and unsubscribing.

Mails are plain text in the site's language. They are written to the outbox in the same
transaction as the event they tell about (the caller commits), and delivered by
``flask --app wsgi hoering send-mail``: over SMTP when ``MAIL_SMTP_HOST`` is set, else
written as files to ``instance/mail/`` (development). Every mail has a signed link that
unsubscribes without logging in, also as a one-click ``List-Unsubscribe`` header
(RFC 8058).

Events: a reply to one's comment; an official reply, a published summary and a recorded
decision for those who follow the consultation; three days before the deadline for
followers; a daily digest of waiting items for moderators.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from hoering.accounts.models import Role, User
from hoering.comments.models import Comment
from hoering.consultations.models import Consultation
from hoering.extensions import db
from hoering.notifications.models import OutboxMail, Subscription
from hoering.timeutil import oslo_today, utcnow

#: A claimed mail not marked sent after this long is tried again (a sender died).
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
#: Days before the deadline followers are reminded.
REMINDER_DAYS = 3


# --- following ------------------------------------------------------------------------------------

def is_following(user, consultation_id: int) -> bool:
    """Whether ``user`` follows the consultation."""
    return bool(getattr(user, "is_authenticated", False)) and db.session.scalar(sa.select(Subscription.id).where(
        Subscription.user_id == user.id, Subscription.consultation_id == consultation_id)) is not None


def set_following(user, consultation: Consultation, follow: bool) -> None:
    """Follow or stop following (idempotent)."""
    existing = db.session.scalar(sa.select(Subscription).where(
        Subscription.user_id == user.id, Subscription.consultation_id == consultation.id))
    if follow and existing is None:
        db.session.add(Subscription(user_id=user.id, consultation_id=consultation.id))
    elif not follow and existing is not None:
        db.session.delete(existing)
    db.session.commit()


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
    if not isinstance(user_id, int) or not (consultation_id is None or isinstance(consultation_id, int)):
        return None
    return user_id, consultation_id


def unsubscribe(user_id: int, consultation_id: int | None) -> None:
    """Stop following one consultation, or (``None``) all of them and the digest."""
    query = sa.delete(Subscription).where(Subscription.user_id == user_id)
    if consultation_id is not None:
        query = query.where(Subscription.consultation_id == consultation_id)
    db.session.execute(query)
    if consultation_id is None:
        user = db.session.get(User, user_id)
        if user is not None:
            user.wants_digest = False
    db.session.commit()


# --- queueing ---------------------------------------------------------------------------------------

def _link(endpoint: str, **values) -> str:
    """An absolute link for a mail, on ``SITE_URL``: never on the Host the request came
    with, which a client chooses (links in mails must not point elsewhere)."""
    return current_app.config["SITE_URL"].rstrip("/") + url_for(endpoint, **values)


def _queue(user: User, kind: str, subject: str, lines: list[str], consultation_id: int | None,
           dedupe_key: str | None = None) -> None:
    """Add a mail to the outbox (no commit: it joins the caller's transaction)."""
    if dedupe_key and db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == dedupe_key)):
        return
    link = _link("notifications.unsubscribe_page", token=unsubscribe_token(user.id, consultation_id))
    footer = _("Stop these mails: %(link)s", link=link)
    body = "\n\n".join([*lines, "--", footer]) + "\n"
    db.session.add(OutboxMail(user_id=user.id, to_address=user.email, subject=subject, body=body, kind=kind,
                              unsubscribe_url=link, dedupe_key=dedupe_key))


def _in_site_language():
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def comment_published(comment: Comment) -> None:
    """Tell about a newly published comment: a reply to its parent's author; an official
    reply also to the consultation's followers. Call before the commit that publishes it."""
    if comment.parent_id is None and not comment.official_unit:
        return
    consultation = db.session.get(Consultation, comment.consultation_id)
    link = _link("comments.permalink", comment_id=comment.id)
    told: set[int] = {comment.author_id}
    with _in_site_language():
        if comment.parent_id is not None:
            parent = db.session.get(Comment, comment.parent_id)
            if parent is not None and parent.author_id not in told and parent.author.email:
                told.add(parent.author_id)
                _queue(parent.author, "reply", _("New reply to your comment on “%(title)s”", title=consultation.title),
                       [_("%(name)s replied to your comment:", name=comment.author.display_name),
                        comment.body_text, _("Read it and answer: %(link)s", link=link)], consultation.id)
        if comment.official_unit:
            for user in followers(consultation.id):
                if user.id not in told:
                    told.add(user.id)
                    _queue(user, "official_reply", _("%(unit)s answered in “%(title)s”",
                                                      unit=comment.official_unit, title=consultation.title),
                           [comment.body_text, _("Read it: %(link)s", link=link)], consultation.id)


def summary_published(consultation: Consultation) -> None:
    """Tell the followers that "Dette har vi hørt" is published (before the commit)."""
    link = _link("consultations.detail", slug=consultation.slug) + "#heard-heading"
    with _in_site_language():
        for user in followers(consultation.id):
            _queue(user, "summary", _("What we heard: %(title)s", title=consultation.title),
                   [_("The municipality has summed up what citizens said in “%(title)s”.", title=consultation.title),
                    _("Read it: %(link)s", link=link)], consultation.id,
                   dedupe_key=f"summary:{consultation.id}:{user.id}")


def decision_recorded(consultation: Consultation) -> None:
    """Tell the followers what was decided (before the commit)."""
    link = _link("consultations.detail", slug=consultation.slug) + "#decision-heading"
    with _in_site_language():
        for user in followers(consultation.id):
            _queue(user, "decision", _("This was decided: %(title)s", title=consultation.title),
                   [consultation.decision_text, _("Read more: %(link)s", link=link)], consultation.id,
                   dedupe_key=f"decision:{consultation.id}:{user.id}:{consultation.decided_at:%Y-%m-%d}")


def queue_deadline_reminders(today: dt.date | None = None) -> int:
    """Remind followers of open consultations whose deadline is :data:`REMINDER_DAYS`
    days from ``today`` (Oslo); once per consultation and follower. Returns how many."""
    today = today or oslo_today()
    count = 0
    with _in_site_language():
        for consultation in db.session.scalars(sa.select(Consultation).where(Consultation.published_at.is_not(None))):
            if consultation.deadline != today + dt.timedelta(days=REMINDER_DAYS) or not consultation.is_open():
                continue
            link = _link("consultations.detail", slug=consultation.slug)
            for user in followers(consultation.id):
                key = f"deadline:{consultation.id}:{user.id}:{consultation.deadline.isoformat()}"
                if db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == key)):
                    continue
                _queue(user, "deadline", _("Three days left: “%(title)s”", title=consultation.title),
                       [_("The deadline for “%(title)s” is %(date)s at 23:59.", title=consultation.title,
                          date=consultation.deadline.strftime("%d.%m.%Y")),
                        _("Have your say: %(link)s", link=link)], consultation.id, dedupe_key=key)
                count += 1
    db.session.commit()
    return count


def queue_moderator_digests(today: dt.date | None = None) -> int:
    """Once a day, tell each moderator (and admin) who wants it how many comments wait in
    the moderation queue, if any. Returns how many digests were queued."""
    from hoering.moderation.services import overview

    today = today or oslo_today()
    work = [w for w in overview() if w.pending or w.reported]
    if not work:
        return 0
    count = 0
    with _in_site_language():
        lines = [_("Waiting in the moderation queue:")]
        lines += [f"- {w.consultation.title}: " + _("%(pending)d awaiting approval, %(reported)d reported",
                                                   pending=w.pending, reported=w.reported) for w in work]
        lines.append(_link("moderation.queue"))
        staff = db.session.scalars(sa.select(User).where(User.role.in_((Role.MODERATOR.value, Role.ADMIN.value)),
                                                         User.wants_digest.is_(True)))
        for user in staff:
            key = f"digest:{today.isoformat()}:{user.id}"
            if db.session.scalar(sa.select(OutboxMail.id).where(OutboxMail.dedupe_key == key)):
                continue
            _queue(user, "digest", _("The moderation queue, %(date)s", date=today.strftime("%d.%m.%Y")), lines,
                   None, dedupe_key=key)
            count += 1
    db.session.commit()
    return count


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
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain="hoering")
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body)
    return message


def deliver(limit: int = 500) -> tuple[int, int]:
    """Send the waiting mails (oldest first); returns ``(sent, failed)``. A mail that
    fails stays in the outbox and is tried again by a later run."""
    now = utcnow()
    ids = list(db.session.scalars(sa.select(OutboxMail.id).where(OutboxMail.sent_at.is_(None))
                                  .order_by(OutboxMail.id).limit(limit)))
    sent = failed = 0
    connection = None
    try:
        for mail_id in ids:
            if not claim(mail_id, now):
                continue
            mail = db.session.get(OutboxMail, mail_id)
            try:
                if current_app.config.get("MAIL_SMTP_HOST"):
                    connection = connection or _smtp()
                    connection.send_message(_message(mail))
                else:
                    _write_file(mail)
            except (OSError, smtplib.SMTPException) as error:
                mail.claimed_at = None
                mail.last_error = str(error)[:2000]
                db.session.commit()
                failed += 1
                connection = None
                continue
            mail.sent_at = utcnow()
            db.session.commit()
            sent += 1
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
