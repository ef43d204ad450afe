"""Account services: the only code that creates or changes users."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from hoering.accounts.models import RecoveryCode, Role, User
from hoering.comments.models import Comment, CommentState, Support
from hoering.consultations.models import Consultation
from hoering.events import EmailConfirmed, UserDeleted, UserRenamed, announce
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.forms import is_row_id
from hoering.i18n import current_language_code, in_language
from hoering.moderation.models import Report
from hoering.names import name_skeleton, reserved_word_in
from hoering.notifications.models import MailOptOut, OutboxMail, Subscription
from hoering.notifications.outbox import queue_account_mail
from hoering.sanitize import contains_bidi_controls, has_visible_text, normalize_line
from hoering.timeutil import utcnow
from hoering.urls import site_url_for

#: Display names: 1 to 80 characters after trimming.
DISPLAY_NAME_MAX_LENGTH = 80
#: Minimum password length, in characters.
PASSWORD_MIN_LENGTH = 10


def normalize_email(email: str) -> str:
    """Trim and lower-case an e-mail address; uniqueness ignores case."""
    return (email or "").strip().lower()


def normalize_display_name(name: str) -> str:
    """A display name as it is stored: one line, NUL and invisible characters (zero-width
    space, soft hyphen, direction marks …) dropped, white space collapsed
    (:func:`hoering.sanitize.normalize_line`); everything else is kept as typed."""
    return normalize_line(name or "")


def find_by_email(email: str) -> User | None:
    """Return the user with ``email`` (any case), or ``None``."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def _check_display_name(name: str, user: User | None = None, allow_reserved: bool = False) -> str:
    """The display name to store, after the rules for names.

    Args:
        name: the name as typed.
        user: the account the name is for (``None`` for a new one); its own name never
            counts as taken.
        allow_reserved: the name may contain the words of ``RESERVED_NAMES`` and
            ``SITE_OWNER`` (staff accounts).

    Raises:
        ValidationFailed: empty, too long, text-direction controls, a reserved word, or
            a name that looks the same as another account's (UTS #39 skeleton, see
            :mod:`hoering.names`).
    """
    name = normalize_display_name(name)
    if not has_visible_text(name):
        raise ValidationFailed(_l("Enter a display name."))
    if contains_bidi_controls(name):
        raise ValidationFailed(_l("The display name contains invisible characters that change the reading "
                                  "direction. Remove them and try again."))
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise ValidationFailed(_l("The display name can be at most %(max)d characters.", max=DISPLAY_NAME_MAX_LENGTH))
    if not allow_reserved:
        reserved = [*current_app.config["RESERVED_NAMES"], current_app.config["SITE_OWNER"]]
        word = reserved_word_in(name, reserved)
        if word is not None:
            raise ValidationFailed(_l("Display names cannot contain “%(word)s” or something that looks like it: "
                                      "such names are kept for the municipality and its moderators. Choose "
                                      "another name.", word=word))
    taken = db.session.scalar(sa.select(User.id).where(
        User.name_skeleton == name_skeleton(name), User.id != (user.id if user is not None else 0),
        User.deleted_at.is_(None)).limit(1))
    if taken is not None:
        raise ValidationFailed(NAME_TAKEN)
    return name


#: A display name that looks like another account's (the check, or the unique index when
#: two people chose it at the same moment).
NAME_TAKEN = _l("Someone else has this display name, or one that looks the same. Add something "
                "that tells you apart, such as a middle name, an initial or where you live.")


def hash_password(password: str) -> str:
    """Hash ``password`` with ``PASSWORD_HASH_METHOD`` (werkzeug; scrypt by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(email: str, display_name: str, password: str, role: Role | str = Role.CITIZEN,
                verified: bool = False, allow_reserved_name: bool = False) -> User:
    """Create and commit an account.

    Args:
        email: address; stored lower-cased and unique.
        display_name: the public name, 1–80 characters.
        password: at least :data:`PASSWORD_MIN_LENGTH` characters.
        role: a :class:`Role` or its value.
        verified: the address is known to be the user's (made by an admin); otherwise
            call :func:`send_verification_mail`.
        allow_reserved_name: the name may contain reserved words ("Moderator",
            the site owner's name …): a staff account named after its unit, made by an
            admin who says so. It must still not look like another account's name.

    Raises:
        ValidationFailed: bad display name (see :func:`_check_display_name`), password or
            role, or a reserved name for a citizen account.
        Conflict: an account with this e-mail (in any case) exists.
    """
    role_value = Role(role).value if not isinstance(role, Role) else role.value
    if allow_reserved_name and role_value == Role.CITIZEN.value:
        raise ValidationFailed(_l("Only staff accounts may have a reserved name."))
    name = _check_display_name(display_name, allow_reserved=allow_reserved_name)
    email = normalize_email(email)
    check_password_rules(password, email, name)
    if find_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    user = User(email=email, display_name=name, password_hash=hash_password(password), role=role_value,
                email_verified_at=utcnow() if verified else None)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Someone took the address, or a name that looks the same, a moment ago.
        db.session.rollback()
        if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
            raise ValidationFailed(NAME_TAKEN, field="display_name") from None
        raise Conflict(_l("An account with this e-mail address already exists."), field="email") from None
    return user


def check_password_rules(password: str, email: str | None, display_name: str | None) -> None:
    """The password rules: at least :data:`PASSWORD_MIN_LENGTH` characters, and not the
    e-mail address, its name part or the display name (in any case).

    Raises:
        ValidationFailed: with the rule broken.
    """
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed(_l("The password must be at least %(min)d characters.", min=PASSWORD_MIN_LENGTH),
                               field="password")
    folded = password.strip().casefold()
    taken = {(email or "").casefold(), (email or "").split("@")[0].casefold(), (display_name or "").strip().casefold()}
    if folded in taken - {""}:
        raise ValidationFailed(_l("The password cannot be your e-mail address or your display name."),
                               field="password")


def end_sessions(user: User) -> None:
    """Raise ``user``'s session version (no commit): every login cookie of the user, and
    every copy of one (the session and the remember-me cookie both hold the version, see
    :meth:`User.get_id`), stops loading the user. The increment is done by the database,
    so two requests doing it at once both count. Logging out, a password change or reset,
    two-factor changes and deleting the account call it (OWASP Session Management Cheat
    Sheet: invalidate the session server-side on logout and on privilege changes)."""
    user.session_version = User.session_version + 1


def log_out_everywhere(user: User) -> None:
    """Logging out: every session of ``user`` ends, on this device and every other, copies
    included (:func:`end_sessions`; commits). Sessions are signed cookies, so one session
    cannot be ended alone; ending them all is what makes a copied cookie useless."""
    end_sessions(user)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; every other session of the
    user ends (their login cookies no longer load).

    Raises:
        PermissionDenied: the current password is wrong.
        ValidationFailed: the new password breaks :func:`check_password_rules`.
    """
    if not user.password_hash or not check_password_hash(user.password_hash, current or ""):
        raise PermissionDenied(_l("The current password is not right."))
    check_password_rules(new, user.email, user.display_name)
    user.password_hash = hash_password(new)
    end_sessions(user)
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or ``None``."""
    user = find_by_email(email)
    if user is None or not user.is_active:
        # Hash anyway, so the answer takes as long as for a real account and does not
        # reveal which addresses have one.
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user


@functools.cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash("not-a-password", method=method)


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_METHOD"])


def change_display_name(user: User, display_name: str) -> User:
    """Change and commit ``user``'s display name. Staff (whose comments carry a badge
    with their role) may use reserved words; nobody may take a name that looks like
    another account's.

    Raises:
        ValidationFailed: see :func:`_check_display_name`.
    """
    name = _check_display_name(display_name, user, allow_reserved=user.is_staff)
    if name != user.display_name:
        user.display_name = name
        announce(UserRenamed(user.id))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # someone chose a name that looks the same a moment ago
        raise ValidationFailed(NAME_TAKEN, field="display_name") from None
    return user


def export_data(user: User) -> dict:
    """Everything stored about ``user`` that they can be given (GDPR art. 15 and 20):
    account, comments, supports, reports, follows. Times are ISO 8601 UTC."""
    def iso(moment):
        return moment.isoformat() if moment else None

    slugs = dict(db.session.execute(sa.select(Consultation.id, Consultation.slug)).all())
    comments = db.session.scalars(sa.select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    return {
        "account": {"email": user.email, "display_name": user.display_name, "role": user.role,
                    "created_at": iso(user.created_at), "email_verified_at": iso(user.email_verified_at),
                    "publication_consent_at": iso(user.publication_consent_at),
                    "two_factor_login": user.has_two_factor, "language": user.language,
                    "password_guessing_warned_at": iso(user.password_guessing_warned_at)},
        "comments": [{"id": c.id, "consultation": slugs.get(c.consultation_id), "parent_id": c.parent_id,
                      "state": c.state, "text": c.body_text, "created_at": iso(c.created_at),
                      "edited_at": iso(c.edited_at)} for c in comments],
        "supports": [{"comment_id": s.comment_id, "created_at": iso(s.created_at)} for s in db.session.scalars(
            sa.select(Support).where(Support.user_id == user.id).order_by(Support.comment_id))],
        "reports": [{"comment_id": r.comment_id, "reason": r.reason, "text": r.text, "created_at": iso(r.created_at)}
                    for r in db.session.scalars(sa.select(Report).where(Report.reporter_id == user.id)
                                                .order_by(Report.id))],
        "following": [slugs.get(s.consultation_id) for s in db.session.scalars(
            sa.select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id))],
    }


def delete_account(user: User, password: str) -> None:
    """Delete an account after checking the password: the e-mail address, password,
    name and two-factor secret are erased, follows end, mails not yet sent to it are
    dropped and sent ones erased from the outbox, and the comments are anonymized (signed
    "Slettet bruker" in the reader's language) or removed, as ``ACCOUNT_DELETION_COMMENTS``
    says. The row stays so that threads and the moderation log keep their shape.

    Staff accounts become citizen accounts; the last administrator cannot delete the
    account before someone else has the role.

    Raises:
        PermissionDenied: the password is wrong, or this is the last administrator.
    """
    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise PermissionDenied(_l("The password is not right."))
    if user.role == Role.ADMIN.value:
        # One statement gives up the role only if another administrator remains (rows
        # locked on PostgreSQL; SQLite has one writer at a time), so two administrators
        # deleting their accounts at once cannot both succeed.
        db.session.execute(sa.select(User.id).where(User.role == Role.ADMIN.value).with_for_update())
        others = (sa.select(sa.func.count(User.id)).where(
            User.role == Role.ADMIN.value, User.id != user.id, User.deleted_at.is_(None),
            User.is_pseudonymous.is_(False)).scalar_subquery())
        demoted = db.session.execute(sa.update(User).where(User.id == user.id, User.role == Role.ADMIN.value,
                                                           others >= 1)
                                     .values(role=Role.CITIZEN.value).execution_options(synchronize_session=False))
        if demoted.rowcount != 1:
            db.session.rollback()
            raise PermissionDenied(_l("You are the last administrator. Give someone else the role first."))
    if current_app.config["ACCOUNT_DELETION_COMMENTS"] == "remove":
        db.session.execute(sa.update(Comment).where(
            Comment.author_id == user.id, Comment.state != CommentState.REMOVED.value).values(
            state=CommentState.REMOVED.value, body_text="", body_html="", removed_at=utcnow()))
    elif needs_email_verification(user):
        # An address never confirmed: nothing of the account was ever published, and its
        # comments (waiting, or hidden or rejected by a moderator) go with it.
        db.session.execute(sa.update(Comment).where(
            Comment.author_id == user.id, Comment.state != CommentState.REMOVED.value).values(
            state=CommentState.REMOVED.value, body_text="", body_html="", removed_at=utcnow()))
    db.session.execute(sa.delete(Subscription).where(Subscription.user_id == user.id))
    db.session.execute(sa.delete(MailOptOut).where(MailOptOut.user_id == user.id))
    db.session.execute(sa.delete(OutboxMail).where(OutboxMail.user_id == user.id))
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.email, user.password_hash, user.chosen_name = None, None, ""
    user.totp_secret = user.totp_last_step = None
    user.password_guessing_warned_at = None
    user.deleted_at = utcnow()
    user.role = Role.CITIZEN.value
    user.wants_digest = False
    end_sessions(user)
    announce(UserDeleted(user.id))
    db.session.commit()


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


def needs_email_verification(user) -> bool:
    """True for a person whose comments wait for a verified e-mail address: an account
    with an address never confirmed, also after it is deleted (imported participants have
    no address and are not asked)."""
    has_address = getattr(user, "email", None) is not None or getattr(user, "deleted_at", None) is not None
    return (current_app.config["EMAIL_VERIFICATION_REQUIRED"] and has_address
            and getattr(user, "email_verified_at", True) is None)


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
        how many went to the moderation queue (both 0 when the address was confirmed before).

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
    announce(EmailConfirmed(user_id))
    db.session.commit()  # the comments feature releases the waiting comments (a subscriber)
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
    if user is None or not user.is_active:
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
    if not user.is_active or fingerprint != _fingerprint(user.password_hash):
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
    if user is None or not user.is_active or fingerprint != _fingerprint(user.password_hash) \
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
