"""Account services: registration, sign-in, passwords, the display name, the data export and
deletion of an account. With :mod:`hoering.accounts.verification` (e-mail verification, password
reset and sign-in links) the only code that creates or changes users."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from hoering.accounts.models import ExternalIdentity, RecoveryCode, Role, User
from hoering.comments.models import Comment, CommentState, Support
from hoering.consultations.models import Consultation
from hoering.events import UserDeleted, UserRenamed, announce
from hoering.exceptions import Conflict, ErrorCollector, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.moderation.models import Report
from hoering.names import name_skeleton, reserved_word_in
from hoering.notifications.models import MailOptOut, OutboxMail, Subscription
from hoering.sanitize import contains_bidi_controls, has_visible_text, normalize_line
from hoering.timeutil import utcnow

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
            call :func:`hoering.accounts.verification.send_verification_mail`.
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
    name = check_new_account(email, display_name, password, allow_reserved_name=allow_reserved_name)
    email = normalize_email(email)
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


def check_new_account(email: str, display_name: str, password: str, allow_reserved_name: bool = False) -> str:
    """Check a new account's display name, password and e-mail address all at once, so a
    form can show every mistake together; writes nothing.

    Returns:
        The display name as it will be stored (:func:`normalize_display_name`).

    Raises:
        ValidationFailed: the display name (:func:`_check_display_name`) or the password
            (:func:`check_password_rules`) breaks a rule; the other mistakes found ride
            along in its ``more`` (:class:`hoering.exceptions.ErrorCollector`).
        Conflict: only the e-mail address is taken by another account.
    """
    errors = ErrorCollector()
    name = None
    with errors.check():
        name = _check_display_name(display_name, allow_reserved=allow_reserved_name)
    email = normalize_email(email)
    with errors.check():
        check_password_rules(password, email, name or display_name)
    with errors.check():
        if find_by_email(email) is not None:
            raise Conflict(_l("An account with this e-mail address already exists."), field="email")
    errors.raise_any()
    return name


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
    if user is None or not user.is_active or not user.password_hash:
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
        "supports": [{"comment_id": s.comment_id, "stance": s.stance, "created_at": iso(s.created_at)}
                     for s in db.session.scalars(
                         sa.select(Support).where(Support.user_id == user.id).order_by(Support.comment_id))],
        "reports": [{"comment_id": r.comment_id, "reason": r.reason, "text": r.text, "created_at": iso(r.created_at)}
                    for r in db.session.scalars(sa.select(Report).where(Report.reporter_id == user.id)
                                                .order_by(Report.id))],
        "linked_logins": [{"provider": e.provider, "issuer": e.issuer, "subject": e.subject,
                           "linked_at": iso(e.created_at), "last_login_at": iso(e.last_login_at)}
                          for e in db.session.scalars(sa.select(ExternalIdentity).where(
                              ExternalIdentity.user_id == user.id).order_by(ExternalIdentity.id))],
        "following": [slugs.get(s.consultation_id) for s in db.session.scalars(
            sa.select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id))],
    }


def delete_account(user: User, password: str, confirmed: bool = False) -> None:
    """Delete an account after checking the password: the e-mail address, password,
    name and two-factor secret are erased, logins linked at ID-porten or the staff login
    are unlinked (their rows deleted), follows end, mails not yet sent to it are
    dropped and sent ones erased from the outbox, and the comments are anonymized (signed
    "Slettet bruker" in the reader's language) or removed, as ``ACCOUNT_DELETION_COMMENTS``
    says. The row stays so that threads and the moderation log keep their shape.

    Staff accounts become citizen accounts; the last administrator cannot delete the
    account before someone else has the role.

    Args:
        user: the account.
        password: its password, for an account that has one.
        confirmed: for an account without a password (made by logging in with ID-porten
            or the staff login): the owner ticked the box that confirms it.

    Raises:
        PermissionDenied: the password is wrong (or, without a password, not confirmed),
            or this is the last administrator.
    """
    if user.password_hash:
        if not check_password_hash(user.password_hash, password or ""):
            raise PermissionDenied(_l("The password is not right."))
    elif not confirmed:
        raise PermissionDenied(_l("Tick the box to confirm that the account is to be deleted."))
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
    db.session.execute(sa.delete(ExternalIdentity).where(ExternalIdentity.user_id == user.id))
    user.email, user.password_hash, user.chosen_name = None, None, ""
    user.totp_secret = user.totp_last_step = None
    user.password_guessing_warned_at = None
    user.deleted_at = utcnow()
    user.role = Role.CITIZEN.value
    user.wants_digest = False
    end_sessions(user)
    announce(UserDeleted(user.id))
    db.session.commit()


def needs_email_verification(user) -> bool:
    """True for a person whose comments wait for a verified e-mail address: an account
    with an address never confirmed, also after it is deleted (imported participants have
    no address and are not asked)."""
    has_address = getattr(user, "email", None) is not None or getattr(user, "deleted_at", None) is not None
    return bool(current_app.config["EMAIL_VERIFICATION_REQUIRED"] and has_address
                and getattr(user, "email_verified_at", True) is None and not identified_by_idporten(user))


def identified_by_idporten(user) -> bool:
    """True for an account with a linked ID-porten login: ID-porten has identified the
    person, so the comments do not wait for the e-mail address (kept for notifications
    only) to be confirmed."""
    user_id = getattr(user, "id", None)
    if not isinstance(user_id, int) or getattr(user, "deleted_at", None) is not None:
        return False
    return db.session.scalar(sa.select(ExternalIdentity.id).where(
        ExternalIdentity.user_id == user_id, ExternalIdentity.provider == "idporten").limit(1)) is not None
