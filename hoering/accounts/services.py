"""Account services: the only code that creates or changes users."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from hoering.accounts.models import Role, User
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.sanitize import contains_bidi_controls, has_visible_text

#: Display names: 1 to 80 characters after trimming.
DISPLAY_NAME_MAX_LENGTH = 80
#: Minimum password length, in characters.
PASSWORD_MIN_LENGTH = 10


def normalize_email(email: str) -> str:
    """Trim and lower-case an e-mail address; uniqueness ignores case."""
    return (email or "").strip().lower()


def normalize_display_name(name: str) -> str:
    """Trim a display name and drop NUL characters; everything else is kept as typed."""
    return (name or "").replace("\x00", "").strip()


def find_by_email(email: str) -> User | None:
    """Return the user with ``email`` (any case), or ``None``."""
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def _check_display_name(name: str) -> str:
    name = normalize_display_name(name)
    if not has_visible_text(name):
        raise ValidationFailed(_l("Enter a display name."))
    if contains_bidi_controls(name):
        raise ValidationFailed(_l("The display name contains invisible characters that change the reading "
                                  "direction. Remove them and try again."))
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        raise ValidationFailed(_l("The display name can be at most %(max)d characters.", max=DISPLAY_NAME_MAX_LENGTH))
    return name


def hash_password(password: str) -> str:
    """Hash ``password`` with ``PASSWORD_HASH_METHOD`` (werkzeug; scrypt by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(email: str, display_name: str, password: str, role: Role | str = Role.CITIZEN) -> User:
    """Create and commit an account.

    Args:
        email: address; stored lower-cased and unique.
        display_name: the public name, 1–80 characters.
        password: at least :data:`PASSWORD_MIN_LENGTH` characters.
        role: a :class:`Role` or its value.

    Raises:
        ValidationFailed: bad display name, password or role.
        Conflict: an account with this e-mail (in any case) exists.
    """
    role_value = Role(role).value if not isinstance(role, Role) else role.value
    name = _check_display_name(display_name)
    email = normalize_email(email)
    check_password_rules(password, email, name)
    if find_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists."))
    user = User(email=email, display_name=name, password_hash=hash_password(password), role=role_value)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("An account with this e-mail address already exists.")) from None
    return user


def check_password_rules(password: str, email: str | None, display_name: str | None) -> None:
    """The password rules: at least :data:`PASSWORD_MIN_LENGTH` characters, and not the
    e-mail address, its name part or the display name (in any case).

    Raises:
        ValidationFailed: with the rule broken.
    """
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed(_l("The password must be at least %(min)d characters.", min=PASSWORD_MIN_LENGTH))
    folded = password.strip().casefold()
    taken = {(email or "").casefold(), (email or "").split("@")[0].casefold(), (display_name or "").strip().casefold()}
    if folded in taken - {""}:
        raise ValidationFailed(_l("The password cannot be your e-mail address or your display name."))


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
    user.session_version = (user.session_version or 0) + 1
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
    """Change and commit ``user``'s display name.

    Raises:
        ValidationFailed: empty or longer than 80 characters.
    """
    from hoering.search.services import enqueue

    name = _check_display_name(display_name)
    if name != user.display_name:
        user.display_name = name
        enqueue("user_comments", user.id)  # the comments are indexed under the author's name
    db.session.commit()
    return user


#: The name shown for a deleted account's comments.
DELETED_USER_NAME = "Slettet bruker"


def export_data(user: User) -> dict:
    """Everything stored about ``user`` that they can be given (GDPR art. 15 and 20):
    account, comments, supports, reports, follows. Times are ISO 8601 UTC."""
    from hoering.comments.models import Comment, Support
    from hoering.consultations.models import Consultation
    from hoering.moderation.models import Report
    from hoering.notifications.models import Subscription

    def iso(moment):
        return moment.isoformat() if moment else None

    slugs = dict(db.session.execute(sa.select(Consultation.id, Consultation.slug)).all())
    comments = db.session.scalars(sa.select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    return {
        "account": {"email": user.email, "display_name": user.display_name, "role": user.role,
                    "created_at": iso(user.created_at)},
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
    """Delete an account after checking the password: the e-mail address, password and
    name are erased, follows end, and the comments are anonymized (signed "Slettet
    bruker") or removed, as ``ACCOUNT_DELETION_COMMENTS`` says. The row stays so that
    threads and the moderation log keep their shape.

    Raises:
        PermissionDenied: the password is wrong.
    """
    from flask import current_app

    from hoering.comments.models import Comment, CommentState
    from hoering.notifications.models import MailOptOut, Subscription
    from hoering.search.services import enqueue
    from hoering.timeutil import utcnow

    if not user.password_hash or not check_password_hash(user.password_hash, password or ""):
        raise PermissionDenied(_l("The password is not right."))
    if current_app.config["ACCOUNT_DELETION_COMMENTS"] == "remove":
        db.session.execute(sa.update(Comment).where(
            Comment.author_id == user.id, Comment.state != CommentState.REMOVED.value).values(
            state=CommentState.REMOVED.value, body_text="", body_html="", removed_at=utcnow()))
    db.session.execute(sa.delete(Subscription).where(Subscription.user_id == user.id))
    db.session.execute(sa.delete(MailOptOut).where(MailOptOut.user_id == user.id))
    user.email, user.password_hash, user.display_name = None, None, DELETED_USER_NAME
    user.wants_digest = False
    user.session_version = (user.session_version or 0) + 1
    enqueue("user_comments", user.id)
    db.session.commit()
