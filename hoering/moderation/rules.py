"""House rules (ordensregler): the published rules a moderator cites when she hides or
rejects a comment, and the check that a cited rule exists and is in force."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext as _l

from hoering.exceptions import ValidationFailed
from hoering.extensions import db
from hoering.moderation.models import HouseRule


def house_rules(active_only: bool = True) -> list[HouseRule]:
    """The house rules in their published order; with ``active_only`` (the default) only
    those in force."""
    query = sa.select(HouseRule).order_by(HouseRule.position, HouseRule.id)
    if active_only:
        query = query.where(HouseRule.is_active.is_(True))
    return list(db.session.scalars(query))


def house_rule_titles(language: str = "nb") -> dict[str, str]:
    """``{code: title}`` of every house rule in ``language`` (``nb``, ``nn`` or ``en``;
    the bokmål title where that version is not written), cached for the request."""
    key = f"house_rule_titles_{language}"
    if has_request_context() and key in g:
        return g.get(key)
    titles = {rule.code: rule.text_in(language)[0] for rule in db.session.scalars(sa.select(HouseRule))}
    if has_request_context():
        setattr(g, key, titles)
    return titles


def _check_rule(code: str | None) -> str:
    """``code`` itself if it names a house rule in force.

    Raises:
        ValidationFailed: no code, or not the code of an active house rule.
    """
    if not code or code not in {rule.code for rule in house_rules()}:
        raise ValidationFailed(_l("Choose the house rule the comment breaks."))
    return code
