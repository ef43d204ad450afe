"""Administrators invite colleagues with a staff role (docs/CONFIGURATION.md, "Inviting staff").

The invitation is mailed through the outbox with a link holding a random token of 256
bits; only the token's SHA-256 is stored. The link works once, until
``INVITATION_MAX_AGE_DAYS`` have passed, and not after the invitation is revoked. The
invitee chooses a name and password and gets the role; where admins require two-factor
login for staff (:mod:`hoering.accounts.policy`) she is asked to switch it on before the
role's powers are hers. Sending, revoking and accepting are logged in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.accounts.models import Invitation, Role, User
from hoering.accounts.services import create_user, find_by_email, normalize_email
from hoering.exceptions import Conflict, PermissionDenied, ServiceError, ValidationFailed
from hoering.extensions import db
from hoering.i18n import in_language
from hoering.moderation.audit import record
from hoering.moderation.labels import ROLE_LABELS
from hoering.moderation.models import ActionType
from hoering.notifications.outbox import add_to_outbox_for_address
from hoering.timeutil import utcnow
from hoering.urls import site_url_for

#: The roles an invitation can give.
STAFF_ROLES = (Role.MODERATOR.value, Role.CASE_OFFICER.value, Role.ADMIN.value)


class InvitationGone(ServiceError):
    """The invitation link was used, has expired or was revoked (410 Gone)."""

    status = 410


def token_hash(token: str) -> str:
    """Hex SHA-256 of an invitation token (what is stored)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invite(admin, email: str, role: str, language: str, now: dt.datetime | None = None) -> tuple[Invitation, str]:
    """Invite ``email`` to join with ``role`` and mail the link (commits).

    Args:
        admin: the inviting administrator (a ``User``).
        email: the colleague's address (validated by the form).
        role: one of :data:`STAFF_ROLES`.
        language: the language of the mail (``nb``, ``nn``, ``en``).
        now: the moment of inviting (aware UTC; default now).

    Returns:
        ``(the invitation, the token of its link)``: the token is not kept anywhere.

    Raises:
        PermissionDenied: ``admin`` is not an administrator.
        ValidationFailed: a role that is not a staff role.
        Conflict: an account has the address already (change its role on its page), or an
            invitation to it is still open.
    """
    if not permissions.can_invite_staff(admin):
        raise PermissionDenied(_l("Only administrators can invite staff."))
    if role not in STAFF_ROLES:
        raise ValidationFailed(_l("Choose a staff role."), field="role")
    email, now = normalize_email(email), now or utcnow()
    if find_by_email(email) is not None:
        raise Conflict(_l("An account with this e-mail address already exists: change its role on its page."),
                       field="email")
    if db.session.scalar(sa.select(Invitation.id).where(
            Invitation.email == email, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
            Invitation.expires_at > now)) is not None:
        raise Conflict(_l("An invitation to this address is still open. Revoke it first to send a new one."),
                       field="email")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(email=email, role=role, token_hash=token_hash(token), invited_by_id=admin.id,
                            created_at=now,
                            expires_at=now + dt.timedelta(days=current_app.config["INVITATION_MAX_AGE_DAYS"]))
    db.session.add(invitation)
    db.session.flush()
    link = site_url_for("accounts.accept_invitation", token=token)
    site = current_app.config["SITE_OWNER"]
    with in_language(language):
        add_to_outbox_for_address(email, "staff_invitation", _("You are invited to %(site)s", site=site), "\n\n".join([
            _("Hello,"),
            _("%(name)s invites you to %(site)s as %(role)s. Open the link to choose your name and password:",
              name=admin.display_name, site=site, role=str(ROLE_LABELS[role]).lower()),
            link,
            _("The link works once, for %(days)d days. If you did not expect it, ignore this mail.",
              days=current_app.config["INVITATION_MAX_AGE_DAYS"])]) + "\n", send_after_response=True)
    record(ActionType.INVITATION_SENT, actor=admin, note=f"#{invitation.id} {email}", after=role, at=now)
    db.session.commit()
    return invitation, token


def revoke(invitation: Invitation, admin) -> None:
    """Revoke an invitation that is still open (commits); its link stops working.

    Raises:
        PermissionDenied: ``admin`` is not an administrator.
        InvitationGone: it was accepted or revoked already.
    """
    if not permissions.can_invite_staff(admin):
        raise PermissionDenied(_l("Only administrators can invite staff."))
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise InvitationGone(_l("The invitation was accepted or revoked already."))
    invitation.revoked_at, invitation.revoked_by_id = utcnow(), admin.id
    record(ActionType.INVITATION_REVOKED, actor=admin, note=f"#{invitation.id} {invitation.email}",
           before=invitation.role)
    db.session.commit()


def invitation_for_token(token: str, now: dt.datetime | None = None) -> Invitation:
    """The open invitation a link's token is for.

    Raises:
        InvitationGone: no invitation has the token (a mistyped or forged link), or it was
            accepted, revoked or has expired; the message says which.
    """
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == token_hash(token or "")))
    state = invitation.state(now) if invitation is not None else None
    if state == "pending":
        return invitation
    raise InvitationGone({
        "accepted": _l("This invitation has been used. Log in with the account it made."),
        "revoked": _l("This invitation was withdrawn. Ask an administrator for a new one."),
        "expired": _l("This invitation has expired. Ask an administrator for a new one."),
    }.get(state, _l("The invitation link is not valid. Ask an administrator for a new one.")))


def accept(token: str, display_name: str, password: str, now: dt.datetime | None = None) -> User:
    """Make the invitee's account with the invitation's role (commits): the address is
    verified (the link reached it) and the invitation is used up.

    Raises:
        InvitationGone: see :func:`invitation_for_token`.
        ValidationFailed: the name or password breaks the account rules
            (:func:`hoering.accounts.services.check_new_account`).
        Conflict: an account with the address was made meanwhile.
    """
    invitation = invitation_for_token(token, now)
    user = create_user(invitation.email, display_name, password, role=invitation.role, verified=True)
    # Used up in one conditional statement: two tabs accepting at once cannot both get through
    # (the second already failed above on the taken address).
    used = db.session.execute(
        sa.update(Invitation).where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now or utcnow(), accepted_user_id=user.id).execution_options(synchronize_session=False))
    if used.rowcount != 1:
        db.session.rollback()
        raise InvitationGone(_l("This invitation has been used. Log in with the account it made."))
    record(ActionType.INVITATION_ACCEPTED, actor=user, target_user=user, note=f"#{invitation.id}",
           after=invitation.role)
    db.session.commit()
    return user


def invitations(limit: int = 200) -> list[Invitation]:
    """The latest invitations, newest first, with who sent them."""
    return list(db.session.scalars(sa.select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())
                                   .limit(limit)))
