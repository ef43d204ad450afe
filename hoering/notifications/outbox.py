"""The mail outbox: mails are written to it in the transaction of what they tell about,
and sent later (:func:`hoering.notifications.services.deliver`).

Only the foundation and the notification models are imported here, so account and
moderation code can queue mails about an account without importing the services that
decide who follows what.
"""

from __future__ import annotations

import ipaddress
from email.headerregistry import Address
from urllib.parse import urlsplit

from flask import g, has_request_context

from hoering import jobs
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.sanitize import xml_safe

#: Longest subject, in characters (the column's size).
SUBJECT_MAX_LENGTH = 300

#: The kinds of mail :func:`queue_account_mail` is called with (sent right after the request).
ACCOUNT_MAIL_KINDS = ("verify_email", "password_reset", "sign_in_link", "password_guessing", "two_factor_reset", "ban")


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
    mail = OutboxMail(user_id=user.id, to_address=user.email,
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


def sender_address(config) -> str | None:
    """The address mails are sent from: ``MAIL_FROM_ADDRESS``, else ``noreply@`` and the
    host of ``SITE_URL`` when it is a domain name (not ``localhost``, not an IP address),
    else ``None``.

    Args:
        config: the app's config (a mapping).
    """
    if config.get("MAIL_FROM_ADDRESS"):
        return str(config["MAIL_FROM_ADDRESS"]).strip()
    host = urlsplit(str(config.get("SITE_URL") or "")).hostname or ""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if "." not in host or host.endswith((".localhost", ".local")):
        return None
    return f"noreply@{host}"


def sender(config) -> str:
    """The ``From`` header of every mail: ``MAIL_FROM`` as it is when set, else
    ``MAIL_FROM_NAME`` (or ``SITE_OWNER``) with :func:`sender_address`, encoded for the
    header (RFC 5322; a name with Norwegian letters is encoded by :mod:`email`). Without an
    address (a development set-up on ``127.0.0.1``), ``hoering@localhost.invalid``: the
    mails are written to files then, and the ``.invalid`` name (RFC 2606) can reach no one.

    Raises:
        ValueError: a configured address that is not ``local@domain``.
    """
    if config.get("MAIL_FROM"):
        return str(config["MAIL_FROM"])
    address = sender_address(config) or "hoering@localhost.invalid"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"MAIL_FROM_ADDRESS is not an e-mail address: {address!r}")
    name = config.get("MAIL_FROM_NAME") or config.get("SITE_OWNER") or "Hoering"
    return str(Address(display_name=str(name), username=local, domain=domain))
