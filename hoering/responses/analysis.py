"""The analysis of formal responses: tagging them with their consultation's themes (the
themes moderators made for the comments, :mod:`hoering.summaries.themes`), and counting
them by theme for the report and the exports."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.consultations import versions
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.responses.models import FormalResponse, ResponseTheme
from hoering.summaries.models import Theme


def themes_for(consultation_id: int) -> list[Theme]:
    """The consultation's themes, by name."""
    return list(db.session.scalars(sa.select(Theme).where(Theme.consultation_id == consultation_id)
                                   .order_by(sa.func.lower(Theme.name))))


def theme_ids_of(response_id: int) -> set[int]:
    """The ids of the themes ``response_id`` is tagged with."""
    return set(db.session.scalars(sa.select(ResponseTheme.theme_id).where(ResponseTheme.response_id == response_id)))


def set_response_themes(response: FormalResponse, officer, theme_ids: set[int]) -> None:
    """Tag ``response`` with exactly ``theme_ids`` (tags not named are removed); commits.

    Raises:
        PermissionDenied: not a case officer.
        ValidationFailed: a theme of another consultation, or none.
    """
    if not permissions.can_screen_responses(officer):
        raise PermissionDenied(_l("Only case officers screen responses."))
    known = {theme.id for theme in themes_for(response.consultation_id)}
    if not theme_ids <= known:
        raise ValidationFailed(_l("Choose themes of this consultation."))
    current = theme_ids_of(response.id)
    if current - theme_ids:
        db.session.execute(sa.delete(ResponseTheme).where(ResponseTheme.response_id == response.id,
                                                          ResponseTheme.theme_id.in_(current - theme_ids)))
    db.session.add_all(ResponseTheme(response_id=response.id, theme_id=theme_id, tagged_by_id=officer.id)
                       for theme_id in sorted(theme_ids - current))
    if current != theme_ids:  # a response quoted under a theme is shown while it has the theme
        versions.bump(consultation_ids=[response.consultation_id])
    db.session.commit()


def theme_names_by_response(consultation_id: int) -> dict[int, list[str]]:
    """``{response id: [theme names, by name]}`` of the consultation's tagged responses."""
    rows = db.session.execute(
        sa.select(ResponseTheme.response_id, Theme.name).join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(Theme.consultation_id == consultation_id).order_by(sa.func.lower(Theme.name)))
    found: dict[int, list[str]] = {}
    for response_id, name in rows:
        found.setdefault(response_id, []).append(name)
    return found
