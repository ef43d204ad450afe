"""The language switch: the visitor's choice in a cookie, and on a logged-in user's account
(mails written to her alone go out in it)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, has_request_context, redirect, request, url_for
from flask_login import current_user, user_logged_in

from hoering.accounts.models import User
from hoering.extensions import db
from hoering.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_MAX_AGE, safe_next_url

#: Named ``i18n``, as the language switch's endpoint has always been (``i18n.set_language``).
bp = Blueprint("i18n", __name__)


@bp.post("/sprak")
def set_language():
    """Remember the chosen language in a cookie and go back to where the visitor was."""
    lang = request.form.get("lang", "")
    target = safe_next_url(request.form.get("next"), url_for("consultations.index"))
    response = redirect(target, code=303)
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(
            LANGUAGE_COOKIE, lang, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax", httponly=True,
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
        if current_user.is_authenticated:
            remember_language(current_user, lang)
    return response


def remember_language(user, language: str | None) -> None:
    """Store ``language`` (an interface language code) as ``user``'s language, for mails
    written to her alone; unknown codes and anonymous users are ignored. Commits."""
    if language not in current_app.config["LANGUAGES"] or not getattr(user, "id", None):
        return
    if getattr(user, "language", None) == language:
        return
    db.session.execute(sa.update(User).where(User.id == user.id).values(language=language)
                       .execution_options(synchronize_session=False))
    db.session.commit()


@user_logged_in.connect
def _remember_language_at_login(sender, user, **extra) -> None:
    """Flask-Login ``user_logged_in`` receiver: the language chosen before logging in is hers."""
    if has_request_context():
        remember_language(user, request.cookies.get(LANGUAGE_COOKIE))
