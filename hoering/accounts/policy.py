"""Account rules read from the database without changing it: whether admins require
two-factor login for staff roles, and which accounts lack it.

Only the foundation and the account models are imported here, so permission checks and
error pages can ask these rules without importing the account services.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context, session

from hoering.accounts.models import SiteSetting
from hoering.extensions import db

#: The :class:`SiteSetting` key of "staff must use two-factor login".
REQUIRE_FOR_STAFF = "require_two_factor_for_staff"
#: Session key naming the account (its Flask-Login id) whose login an identity provider
#: confirmed with a second factor (:func:`hoering.accounts.oidc.remember_for_logout`).
PROVIDER_SECOND_FACTOR_KEY = "oidc_mfa"


def required_for_staff() -> bool:
    """True when admins require two-factor login for moderators, case officers and
    admins (read once per request, kept in ``g.two_factor_required``).

    Needs an application context; raises nothing of its own.
    """
    if "two_factor_required" not in g:
        g.two_factor_required = db.session.scalar(
            sa.select(SiteSetting.value).where(SiteSetting.key == REQUIRE_FOR_STAFF)) == "1"
    return g.two_factor_required


def lacks_required_two_factor(user) -> bool:
    """True for a staff account without two-factor login while admins require it: it has
    only a citizen's powers until it switches it on.

    Args:
        user: a :class:`hoering.accounts.models.User` or Flask-Login's anonymous user.
    """
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False)
                and not user.has_two_factor and not second_factor_at_provider(user) and required_for_staff())


def second_factor_at_provider(user) -> bool:
    """True when this session's login came from ID-porten or the staff login and the
    provider said a second factor was used (its ``acr``/``amr``, docs/SECURITY.md): that
    counts as two-factor login for the requirement above."""
    return bool(has_request_context() and hasattr(user, "get_id")
                and session.get(PROVIDER_SECOND_FACTOR_KEY) == user.get_id())
