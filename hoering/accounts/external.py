"""Accounts behind logins at OpenID Connect providers (:mod:`hoering.accounts.oidc`): finding
the account linked to an ID-porten or staff login, making one at the first ID-porten login,
linking a login to an existing account, and setting a staff account's role from the staff
provider's role claim at every login.

Only the issuer and the subject (``sub``) are written (:class:`ExternalIdentity`); for staff
also the name and e-mail address the municipality's directory gives, as any staff account
has. Role changes are logged in the audit log as an administrator's change is.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from hoering.accounts.models import ExternalIdentity, Role, User
from hoering.accounts.oidc import IDPORTEN, STAFF, Assertion
from hoering.accounts.services import NAME_TAKEN, _check_display_name, end_sessions, find_by_email, normalize_email
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.moderation.audit import record
from hoering.moderation.models import ActionType
from hoering.timeutil import utcnow

#: Staff roles from the highest: a person whose claim maps to several gets the first.
ROLE_ORDER = (Role.ADMIN.value, Role.CASE_OFFICER.value, Role.MODERATOR.value)
#: The audit log's reason for a role set by the staff login.
STAFF_LOGIN_REASON = "staff_login"


def linked_user(issuer: str, subject: str) -> User | None:
    """The account linked to the login (``issuer``, ``subject``), or ``None`` (none, or the
    account is deleted)."""
    identity = db.session.scalar(sa.select(ExternalIdentity).where(
        ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject))
    if identity is None:
        return None
    user = db.session.get(User, identity.user_id)
    return user if user is not None and user.is_active else None


def linked_providers(user: User) -> set[str]:
    """The providers (``"idporten"``, ``"staff"``) linked to ``user``."""
    return set(db.session.scalars(sa.select(ExternalIdentity.provider).where(ExternalIdentity.user_id == user.id)))


def _touch(user: User, assertion: Assertion) -> None:
    db.session.execute(sa.update(ExternalIdentity).where(
        ExternalIdentity.user_id == user.id, ExternalIdentity.issuer == assertion.issuer,
        ExternalIdentity.subject == assertion.subject).values(last_login_at=utcnow()))


def sign_in_citizen(assertion: Assertion) -> User | None:
    """The account linked to an ID-porten login, its last login noted (commits); ``None``
    when none is: the person is asked for a display name first (:func:`create_citizen`)."""
    user = linked_user(assertion.issuer, assertion.subject)
    if user is not None:
        _touch(user, assertion)
        db.session.commit()
    return user


def create_citizen(issuer: str, subject: str, display_name: str, email: str | None) -> User:
    """Make a citizen account for an ID-porten login that has none, linked to it (commits).
    The account has no password: it logs in with ID-porten. An e-mail address, if given,
    is for notifications and is confirmed the usual way (the caller sends the link).

    Args:
        issuer: ID-porten's configured issuer.
        subject: the ``sub`` claim (pseudonymous).
        display_name: the public name (the rules of :func:`hoering.accounts.services.create_user`).
        email: an address, or ``None``/"".

    Raises:
        ValidationFailed: a bad display name.
        Conflict: the address has an account (``field="email"``), or the login was linked
            to an account a moment ago.
    """
    name = _check_display_name(display_name)
    email = normalize_email(email or "") or None
    if email is not None and find_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists. Log in with it and link ID-porten "
                          "from My page, or leave the address out."), field="email")
    if linked_user(issuer, subject) is not None:
        raise Conflict(_l("This ID-porten login already has an account. Log in again."))
    user = User(email=email, display_name=name, password_hash=None, role=Role.CITIZEN.value)
    db.session.add(user)
    db.session.flush()
    db.session.add(ExternalIdentity(user_id=user.id, provider=IDPORTEN, issuer=issuer, subject=subject,
                                    last_login_at=utcnow()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if email is not None and find_by_email(email) is not None:
            raise Conflict(_l("An account with this e-mail address already exists."), field="email") from None
        if linked_user(issuer, subject) is not None:
            raise Conflict(_l("This ID-porten login already has an account. Log in again.")) from None
        raise ValidationFailed(NAME_TAKEN, field="display_name") from None
    return user


def link(user: User, assertion: Assertion) -> None:
    """Link the login of ``assertion`` to the logged-in ``user`` (commits), so that it logs
    in to this account from now on.

    Raises:
        Conflict: the login is linked to another account, or the account has another
            login of this provider.
        PermissionDenied: a staff login whose roles map to no role here.
    """
    if assertion.provider == STAFF and role_for(assertion.roles) is None:
        raise PermissionDenied(_no_role_message())
    other = db.session.scalar(sa.select(ExternalIdentity).where(
        ExternalIdentity.issuer == assertion.issuer, ExternalIdentity.subject == assertion.subject))
    if other is not None and other.user_id != user.id:
        raise Conflict(_l("This login is already linked to another account."))
    if other is None and assertion.provider in linked_providers(user):
        raise Conflict(_l("Your account is already linked to another login of this kind."))
    if other is None:
        db.session.add(ExternalIdentity(user_id=user.id, provider=assertion.provider, issuer=assertion.issuer,
                                        subject=assertion.subject, last_login_at=utcnow()))
    if assertion.provider == STAFF:
        _set_role(user, role_for(assertion.roles))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_l("This login is already linked to another account.")) from None


def role_for(values: tuple[str, ...]) -> str | None:
    """The Hoering role that the staff provider's role claim values map to by
    ``STAFF_OIDC_ROLE_MAP`` (the highest when several do), or ``None``."""
    mapping = current_app.config["STAFF_OIDC_ROLE_MAP"] or {}
    mapped = {mapping.get(value) for value in values}
    return next((role for role in ROLE_ORDER if role in mapped), None)


def _no_role_message():
    return _l("Your account at the municipality gives you no role in this service. Ask the administrators of "
              "the municipality's user directory for access, or log in as a citizen.")


def _set_role(user: User, role: str) -> None:
    """Give ``user`` the role the staff provider says (no commit), logged in the audit log;
    a change of role ends the account's other sessions (as a new password does)."""
    before = user.role
    if before == role:
        return
    user.role = role
    record(ActionType.ROLE_CHANGE, target_user=user, before=before, after=role, reason=STAFF_LOGIN_REASON,
           automatic=True)
    end_sessions(user)


def sign_in_staff(assertion: Assertion) -> User:
    """Log a member of staff in with the staff login (commits): the account linked to the
    login, or a new one made from the directory's name and e-mail address; its role is
    set from the role claim at every login.

    Raises:
        PermissionDenied: the role claim maps to no role (``STAFF_OIDC_ROLE_MAP``). An
            account linked to the login loses its staff role then (logged, its sessions
            ended), and no account is made.
    """
    role = role_for(assertion.roles)
    user = linked_user(assertion.issuer, assertion.subject)
    if role is None:
        if user is not None and user.role != Role.CITIZEN.value:
            _set_role(user, Role.CITIZEN.value)
            db.session.commit()
        raise PermissionDenied(_no_role_message())
    if user is None:
        user = _new_staff_account(assertion, role)
    else:
        _set_role(user, role)
        _touch(user, assertion)
    db.session.commit()
    return user


def _new_staff_account(assertion: Assertion, role: str) -> User:
    """A staff account for a first staff login (flushed, not committed): named as the
    directory names the person (a number added when another account has a name that looks
    the same), with the directory's e-mail address unless another account has it."""
    base = (assertion.name or assertion.email or "").split("@")[0] or str(_l("Staff member"))
    name = None
    for attempt in range(1, 50):
        candidate = base if attempt == 1 else f"{base} ({attempt})"
        try:
            name = _check_display_name(candidate[:80], allow_reserved=True)
            break
        except ValidationFailed:
            continue
    if name is None:
        raise PermissionDenied(_l("No display name could be made for your account. Ask an administrator."))
    email = normalize_email(assertion.email or "") or None
    if email is not None and find_by_email(email) is not None:
        email = None
    user = User(email=email, display_name=name, password_hash=None, role=Role.CITIZEN.value,
                email_verified_at=utcnow() if email else None)
    db.session.add(user)
    db.session.flush()
    db.session.add(ExternalIdentity(user_id=user.id, provider=STAFF, issuer=assertion.issuer,
                                    subject=assertion.subject, last_login_at=utcnow()))
    _set_role(user, role)
    return user
