"""E-mail verification, password reset and sign-in links: signed, single-use tokens and the
mails that carry them."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from hoering.accounts.models import User
from hoering.accounts.services import (
    check_password_rules,
    end_sessions,
    find_by_email,
    hash_password,
    needs_email_verification,
)
from hoering.comments.models import Comment, CommentState
from hoering.events import EmailConfirmed, announce, is_waiting
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.forms import is_row_id
from hoering.i18n import current_language_code, in_language
from hoering.notifications.outbox import queue_account_mail
from hoering.timeutil import utcnow
from hoering.urls import site_url_for

# --- e-mail verification and password reset ------------------------------------------------------

def _signer(purpose: str):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"hoering-{purpose}")


def _mail_language() -> str:
    """Account mails are written in the language of the page the person is using (the
    site's default outside a request)."""
    if has_request_context():
        return current_language_code()
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _fingerprint(value: str | None) -> str:
    """A short digest of ``value``: a token bound to it stops working when it changes."""
    return hashlib.sha256((value or "").encode("utf-8")).hexdigest()[:16]


def email_verification_token(user: User) -> str:
    """A signed token proving that whoever has it read mail sent to ``user.email``."""
    return _signer("verify-email").dumps([user.id, _fingerprint(user.email)])


def require_confirmed_email(user) -> None:
    """Refuse what a throwaway address must not be able to do before it is confirmed:
    supporting and reporting comments (reports can hide a comment, supports are counted)
    and following consultations (mail would go to an address nobody has confirmed).

    Raises:
        PermissionDenied: :func:`needs_email_verification` is true for ``user``.
    """
    if needs_email_verification(user):
        raise PermissionDenied(_l("Confirm your e-mail address first: open the link in the mail we sent you. "
                                  "You can have it sent again from My page."))


def send_verification_mail(user: User) -> None:
    """Queue the mail with the verification link (commits)."""
    link = site_url_for("accounts.verify_email", token=email_verification_token(user))
    days = current_app.config["EMAIL_VERIFICATION_MAX_AGE"] // 86400
    with in_language(_mail_language()):
        queue_account_mail(user, "verify_email", _("Confirm your e-mail address"), [
            _("Hello %(name)s,", name=user.display_name),
            _("Confirm that this is your e-mail address by opening the link below. Your comments are "
              "published when you have done so."),
            link,
            _("The link works for %(days)d days. If you did not create an account, ignore this mail.", days=days)])
    db.session.commit()


def user_for_verification_token(token: str) -> User:
    """The account a verification token is for (nothing changes).

    Raises:
        ValidationFailed: the token is forged, expired (``EMAIL_VERIFICATION_MAX_AGE``
            seconds) or for an address the account no longer has.
    """
    invalid = ValidationFailed(_l("The link is not valid. Copy the whole link from the mail."))
    user, fingerprint = _token_user("verify-email", token, current_app.config["EMAIL_VERIFICATION_MAX_AGE"],
                                    _l("The link has expired. Log in and ask for a new one on My page."), invalid)
    if user.email is None or fingerprint != _fingerprint(user.email):
        raise invalid
    return user


def _token_user(purpose: str, token: str, max_age: int, expired_message, invalid: ValidationFailed):
    """``(user, fingerprint)`` from a signed ``[user id, fingerprint]`` token of ``purpose``.

    Raises:
        ValidationFailed: ``expired_message`` when older than ``max_age`` seconds;
            ``invalid`` when forged, malformed or for no user.
    """
    try:
        user_id, fingerprint = _signer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise ValidationFailed(expired_message) from None
    except (BadSignature, ValueError, TypeError):
        raise invalid from None
    user = db.session.get(User, user_id) if is_row_id(user_id) else None
    if user is None:
        raise invalid
    return user, fingerprint


def verify_email(token: str, now=None) -> tuple[int, int]:
    """Mark the address of the token's account verified and publish the comments that
    waited for it (they go through the usual moderation checks then). Idempotent. Views
    call it on a POST from the page the link opens, never on the link's GET: mail
    scanners open links by themselves.

    Returns:
        ``(published, to_moderators)``: how many waiting comments were published now and
        how many went to the moderation queue (both 0 when the address was confirmed
        before, and when their release failed and waits for a retry).

    Raises:
        ValidationFailed: see :func:`user_for_verification_token`.
    """
    user = user_for_verification_token(token)
    if user.email_verified_at is not None:
        db.session.commit()
        return 0, 0
    user_id = user.id
    waiting = sa.select(sa.func.count(Comment.id)).where(
        Comment.author_id == user_id, Comment.state == CommentState.PENDING.value)
    before = db.session.scalar(waiting)
    user.email_verified_at = now or utcnow()
    confirmed = EmailConfirmed(user_id)
    announce(confirmed)
    db.session.commit()  # the comments feature releases the waiting comments (a subscriber)
    if is_waiting(confirmed):
        return 0, 0  # the release failed and is retried later: nothing has happened to them yet
    published = before - db.session.scalar(waiting)
    return published, before - published


def password_reset_token(user: User) -> str:
    """A signed token for setting a new password. It is bound to the current password
    hash, so it works once: after the reset (or any password change) it is void."""
    return _signer("password-reset").dumps([user.id, _fingerprint(user.password_hash)])


def request_password_reset(email: str, language: str | None = None) -> int | None:
    """Queue a mail with a reset link to ``email`` if an account has it (commits). The
    caller answers the same whether or not one does, so the form does not reveal who has an
    account (OWASP Forgot Password Cheat Sheet); views call it after the response has gone,
    so its time does not tell either.

    Args:
        email: the address typed in the form.
        language: the interface language of the mail ("nb", "nn", "en"); default: the
            page's language in a request, else the site's.

    Returns:
        The id of the queued :class:`OutboxMail`, or ``None`` when no account has the address.
    """
    user = find_by_email(email)
    if user is None or not user.is_active or not user.password_hash:
        # An account without a password logs in at ID-porten or the staff login only: a
        # mailed link must not give it a password that outlives what the provider decides.
        return None
    link = site_url_for("accounts.reset_password", token=password_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with in_language(language or _mail_language()):
        mail = queue_account_mail(user, "password_reset", _("Choose a new password"), [
            _("Hello %(name)s,", name=user.display_name),
            _("Someone (we hope it was you) asked to choose a new password for your account. Open the link "
              "to do so:"),
            link,
            _("The link works for %(minutes)d minutes and only once. If you did not ask for it, ignore this mail: "
              "your password stays as it is.", minutes=minutes)])
    mail_id = mail.id
    db.session.commit()
    return mail_id


def user_for_reset_token(token: str) -> User:
    """The account a password-reset token is for.

    Raises:
        ValidationFailed: forged, expired (``PASSWORD_RESET_MAX_AGE`` seconds) or already used.
    """
    invalid = ValidationFailed(_l("The link is not valid or has been used. Ask for a new one."))
    user, fingerprint = _token_user("password-reset", token, current_app.config["PASSWORD_RESET_MAX_AGE"],
                                    _l("The link has expired. Ask for a new one."), invalid)
    if not user.is_active or not user.password_hash or fingerprint != _fingerprint(user.password_hash):
        raise invalid
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password with a reset token (commits). Every session of the account
    ends. The address does not become verified: whoever registered it first may have
    written comments that wait for verification, and only the verification page (where
    the owner sees them on My page first) publishes them.

    Raises:
        ValidationFailed: a bad token (see :func:`user_for_reset_token`) or a password
            that breaks :func:`check_password_rules`.
    """
    user = user_for_reset_token(token)
    check_password_rules(new_password, user.email, user.display_name)
    user.password_hash = hash_password(new_password)
    end_sessions(user)
    db.session.commit()
    return user


# --- password guessing: the owner's warning and the sign-in link ----------------------------------

def warn_of_password_guessing(user_id: int) -> int | None:
    """Tell the owner of account ``user_id`` by mail that someone is guessing the password,
    and what to do, at most once per ``LOGIN_WARNING_PERIOD_SECONDS`` (one conditional
    update of :attr:`User.password_guessing_warned_at`, so several processes noticing the
    attack at once send one mail). The mail is in the site's language: the page the
    guesser used says nothing about the owner's. Commits.

    Returns:
        The id of the queued :class:`OutboxMail`, or ``None`` when the owner was warned
        within the period (or the account has no address).
    """
    now = utcnow()
    since = now - dt.timedelta(seconds=current_app.config["LOGIN_WARNING_PERIOD_SECONDS"])
    claimed = db.session.execute(sa.update(User).where(
        User.id == user_id, User.email.is_not(None), User.deleted_at.is_(None),
        sa.or_(User.password_guessing_warned_at.is_(None), User.password_guessing_warned_at <= since))
        .values(password_guessing_warned_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    user = db.session.get(User, user_id)
    with in_language(current_app.config["BABEL_DEFAULT_LOCALE"]):
        mail = queue_account_mail(user, "password_guessing", _("Someone is trying to guess your password"), [
            _("Hello %(name)s,", name=user.display_name),
            _("Someone has tried many wrong passwords on your account in a short time, from browsers where you "
              "have not logged in before. We slow them down, and while this goes on such browsers can log in only "
              "with a link we mail to you after the right password. Where you have logged in before, you log in "
              "as usual."),
            _("What you can do: make sure your password is long and used nowhere else, and switch on two-factor "
              "login, so that a password alone is not enough:"),
            site_url_for("accounts.two_factor"),
            _("If you get a sign-in link you did not ask for, someone knows your password: choose a new one at "
              "once:"),
            site_url_for("accounts.change_password"),
            _("We send this warning at most once a day.")])
    mail_id = mail.id
    db.session.commit()
    return mail_id


def sign_in_token(user: User, token_id: str) -> str:
    """A signed token that finishes a password login of ``user`` from a browser the
    account does not know, while it is under attack. Bound to the password hash (a new
    password voids it); ``token_id`` makes it spendable once."""
    return _signer("sign-in").dumps([user.id, _fingerprint(user.password_hash), token_id])


def user_for_sign_in_token(token: str) -> tuple[User, str]:
    """``(user, token id)`` of a sign-in token (nothing changes).

    Raises:
        ValidationFailed: forged, expired (``SIGN_IN_LINK_MAX_AGE`` seconds), or the
            password has changed since.
    """
    invalid = ValidationFailed(_l("The link is not valid or has been used. Log in again to get a new one."))
    try:
        user_id, fingerprint, token_id = _signer("sign-in").loads(
            token, max_age=current_app.config["SIGN_IN_LINK_MAX_AGE"])
    except SignatureExpired:
        raise ValidationFailed(_l("The link has expired. Log in again to get a new one.")) from None
    except (BadSignature, ValueError, TypeError):
        raise invalid from None
    user = db.session.get(User, user_id) if is_row_id(user_id) else None
    if user is None or not user.is_active or not user.password_hash \
            or fingerprint != _fingerprint(user.password_hash) \
            or not isinstance(token_id, str):
        raise invalid
    return user, token_id


def mail_sign_in_link(user_id: int, language: str) -> int | None:
    """Queue the mail with a one-time sign-in link for account ``user_id`` (commits): the
    right password was typed in a browser the account does not know while it is under
    attack. Views call it after the response has gone, so the answer's time does not tell
    a right password from a wrong one.

    Returns:
        The id of the queued :class:`OutboxMail`, or ``None`` when the account is gone.
    """
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.email:
        return None
    link = site_url_for("accounts.sign_in_link", token=sign_in_token(user, secrets.token_urlsafe(12)))
    minutes = current_app.config["SIGN_IN_LINK_MAX_AGE"] // 60
    with in_language(language):
        mail = queue_account_mail(user, "sign_in_link", _("Your link to log in"), [
            _("Hello %(name)s,", name=user.display_name),
            _("Someone (we hope it was you) typed the right password for your account in a browser where it has "
              "not been used before, while someone has been trying many passwords on it. Open the link to log in:"),
            link,
            _("The link works for %(minutes)d minutes and only once. If it was not you, someone knows your "
              "password: choose a new one at once:", minutes=minutes),
            site_url_for("accounts.forgot_password")])
    mail_id = mail.id
    db.session.commit()
    return mail_id
