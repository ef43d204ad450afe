"""Administrators' actions on accounts: changing a user's role (logged in the audit log)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.accounts.models import Role, User
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.moderation.audit import record
from hoering.moderation.models import ActionType


def change_role(user: User, admin, role: str) -> User:
    """An admin changes a user's role; logged in the audit log. Commits.

    Args:
        user: the ``User`` whose role changes.
        admin: the acting ``User``.
        role: a :class:`~hoering.accounts.models.Role` value.

    Returns:
        ``user``, reloaded after the change (as it was if it had the role already).

    Raises:
        PermissionDenied: not an admin; the user is an imported participant or a deleted
            account; or the last admin would lose the role.
        ValidationFailed: unknown role.
    """
    if not permissions.can_administer(admin):
        raise PermissionDenied(_l("Only administrators can change roles."))
    if role not in {r.value for r in Role}:
        raise ValidationFailed(_l("Unknown role."))
    if user.is_pseudonymous:
        raise PermissionDenied(_l("Imported participants cannot log in and cannot have a role."))
    if user.is_deleted:
        raise PermissionDenied(_l("The account is deleted and cannot have a role."))
    before = user.role
    if role == before:
        return user
    # Lock the administrators' rows (PostgreSQL; SQLite serializes writers anyway), then
    # change the role only if another real administrator remains: one statement, so two
    # admins demoting each other at once cannot both succeed.
    db.session.execute(sa.select(User.id).where(User.role == Role.ADMIN.value).with_for_update())
    statement = sa.update(User).where(User.id == user.id, User.role == before).values(role=role)
    if before == Role.ADMIN.value:
        others = (sa.select(sa.func.count(User.id))
                  .where(User.role == Role.ADMIN.value, User.id != user.id, User.is_pseudonymous.is_(False),
                         User.deleted_at.is_(None))
                  .scalar_subquery())
        statement = statement.where(others >= 1)
    updated = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
    if updated != 1:
        db.session.rollback()
        raise PermissionDenied(_l("The last administrator cannot lose the role."))
    record(ActionType.ROLE_CHANGE, actor=admin, target_user=user, before=before, after=role)
    db.session.commit()
    db.session.refresh(user)
    return user
