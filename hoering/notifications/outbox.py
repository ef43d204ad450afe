"""The mail outbox: mails are written to it in the transaction of what they tell about,
and sent later (:func:`hoering.notifications.services.deliver`).

Only the foundation and the notification models are imported here, so account and
moderation code can queue mails about an account without importing the services that
decide who follows what.
"""

from __future__ import annotations

from flask import g, has_request_context

from hoering import jobs
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.sanitize import xml_safe

#: Longest subject, in characters (the column's size).
SUBJECT_MAX_LENGTH = 300

#: The kinds of mail :func:`queue_account_mail` is called with (sent right after the request).
ACCOUNT_MAIL_KINDS = ("verify_email", "password_reset", "sign_in_link", "password_guessing", "two_factor_reset", "ban",
                      "alert_confirm", "staff_invitation")


def add_to_outbox(user, kind: str, subject: str, body: str, *, unsubscribe_url: str = "",
                  dedupe_key: str | None = None, comment_id: int | None = None) -> OutboxMail:
    """Add a mail to ``user``'s address to the outbox (no commit: it joins the caller's
    transaction). The subject becomes one line (a title may hold line breaks) of at most
    :data:`SUBJECT_MAX_LENGTH` characters; characters XML cannot hold are dropped from
    subject and body.

    Args:
        user: the :class:`hoering.accounts.models.User` the mail goes to.
        kind: what the mail is about ("reply", "verify_email" …).
        subject, body: the mail's text.
        unsubscribe_url: the one-click unsubscribe address, or ``""`` for none.
        dedupe_key: a unique key: a mail with the same key is never written twice (the
            unique constraint raises :class:`sqlalchemy.exc.IntegrityError` at the commit).
        comment_id: the comment the mail tells about, checked again when sending.

    Returns:
        The new :class:`OutboxMail` (without an id until the session is flushed).
    """
    return add_to_address(user.email, kind, subject, body, user_id=user.id, unsubscribe_url=unsubscribe_url,
                          dedupe_key=dedupe_key, comment_id=comment_id)


def add_to_address(address: str, kind: str, subject: str, body: str, *, user_id: int | None = None,
                   unsubscribe_url: str = "", dedupe_key: str | None = None,
                   comment_id: int | None = None) -> OutboxMail:
    """Add a mail to ``address`` to the outbox (no commit), for a sender without an account
    as well (the receipt of a formal response); arguments as :func:`add_to_outbox`."""
    mail = OutboxMail(user_id=user_id, to_address=address,
                      subject=" ".join(xml_safe(subject).split())[:SUBJECT_MAX_LENGTH], body=xml_safe(body),
                      kind=kind, unsubscribe_url=unsubscribe_url, dedupe_key=dedupe_key, comment_id=comment_id)
    db.session.add(mail)
    jobs.after_commit("send_mails")  # with jobs in Redis: sent by the worker at once
    return mail


def queue_account_mail(user, kind: str, subject: str, lines: list[str]) -> OutboxMail:
    """Add a mail about the account itself (verification, password reset) to the outbox:
    always sent, whatever the user opted out of, and without an unsubscribe link. No
    commit: it joins the caller's transaction. With ``MAIL_ACCOUNT_INLINE`` it is sent
    right after the request (:func:`hoering.notifications.services.deliver_account_mails`).

    Args:
        user: the :class:`hoering.accounts.models.User` the mail goes to.
        kind: one of :data:`ACCOUNT_MAIL_KINDS`.
        subject: the subject line.
        lines: the paragraphs of the body.

    Returns:
        The new :class:`OutboxMail`, flushed so it has an id (the request remembers it in
        ``g.account_mail_ids``).
    """
    mail = add_to_outbox(user, kind, subject, "\n\n".join(lines) + "\n")
    db.session.flush()
    if has_request_context():
        g.account_mail_ids = [*g.get("account_mail_ids", []), mail.id]
    return mail


def add_to_outbox_for_address(address: str, kind: str, subject: str, body: str, *, unsubscribe_url: str = "",
                              dedupe_key: str | None = None, send_after_response: bool = False) -> OutboxMail:
    """Add a mail to an address that has no account (an e-mail alert subscriber) to the
    outbox; otherwise as :func:`add_to_outbox` (no commit; subject one line, at most
    :data:`SUBJECT_MAX_LENGTH` characters).

    Args:
        address: the e-mail address.
        kind: what the mail is about ("alert_confirm", "alert" …).
        subject, body: the mail's text.
        unsubscribe_url: the one-click unsubscribe address (RFC 8058), or ``""``.
        dedupe_key: a unique key, as for :func:`add_to_outbox`.
        send_after_response: send it once the response of this request has gone, as an
            account mail (``kind`` one of :data:`ACCOUNT_MAIL_KINDS`; a confirmation link).

    Returns:
        The new :class:`OutboxMail`, flushed so it has an id.
    """
    mail = OutboxMail(user_id=None, to_address=address,
                      subject=" ".join(xml_safe(subject).split())[:SUBJECT_MAX_LENGTH], body=xml_safe(body),
                      kind=kind, unsubscribe_url=unsubscribe_url, dedupe_key=dedupe_key)
    db.session.add(mail)
    db.session.flush()
    jobs.after_commit("send_mails")
    if send_after_response and has_request_context():
        g.account_mail_ids = [*g.get("account_mail_ids", []), mail.id]
    return mail
