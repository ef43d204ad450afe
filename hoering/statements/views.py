"""The accessibility statement (``/tilgjengelighet``), set by configuration.

Its parts follow the statements uustatus.no publishes for Norwegian public websites (the EU
Web Accessibility Directive 2016/2102 art. 7, in Norway through forskrift om universell
utforming av IKT-løsninger): the status against WCAG 2.1 AA, the known breaches with their
success criteria and plans, how the statement was made and when, where to give feedback,
and the supervisory authority (Tilsynet for universell utforming av ikt, Digdir).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _

from hoering.statements import bp

#: The supervisory authority for accessible ICT in Norway, where anyone may complain.
UU_AUTHORITY_URL = "https://www.uutilsynet.no/"
#: The WCAG 2.1 quick reference, for the success criteria named.
WCAG_URL = "https://www.w3.org/TR/WCAG21/"


@dataclass(frozen=True)
class Breach:
    """One known breach: a WCAG 2.1 success criterion (``"1.1.1"``), what fails, and what
    is done about it (both plain text, in the site's language)."""

    criterion: str
    text: str
    plan: str


def platform_breaches() -> list[Breach]:
    """The breaches the platform itself knows of (translated), listed unless the
    municipality sets ``ACCESSIBILITY_NONCONFORMITIES``."""
    return [
        Breach("1.1.1", _("Documents that case officers attach (PDF, Word, OpenDocument) may lack text "
                          "alternatives and structure; the platform cannot check them."),
               _("Case officers are asked to attach accessible documents; ask for another format and we will "
                 "send it.")),
        Breach("3.1.2", _("Comments written in another language than the consultation's are not marked with "
                          "their language, so screen readers may read them with the wrong voice."),
               _("Marking the language of comments is planned.")),
    ]


def breaches() -> list[Breach]:
    """The breaches to list: ``ACCESSIBILITY_NONCONFORMITIES`` when set (a list of
    ``{"criterion", "text", "plan"}``; missing keys are empty), else :func:`platform_breaches`."""
    configured = current_app.config.get("ACCESSIBILITY_NONCONFORMITIES")
    if configured is None:
        return platform_breaches()
    return [Breach(str(item.get("criterion", "")), str(item.get("text", "")), str(item.get("plan", "")))
            for item in configured if isinstance(item, dict)]


def _assessed_on() -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(current_app.config.get("ACCESSIBILITY_ASSESSED_ON") or ""))
    except ValueError:
        return None


@bp.get("/tilgjengelighet")
def accessibility():
    """The accessibility statement, for everyone."""
    config = current_app.config
    feedback = config.get("ACCESSIBILITY_FEEDBACK") or config.get("PRIVACY_CONTACT") or ""
    return render_template(
        "statements/accessibility.html", breaches=breaches(), assessed_on=_assessed_on(),
        status=config.get("ACCESSIBILITY_STATUS", "partial"), method=config.get("ACCESSIBILITY_METHOD", "self"),
        feedback=feedback, feedback_is_mail="@" in feedback and not feedback.startswith("http"),
        uustatus_url=config.get("ACCESSIBILITY_UUSTATUS_URL") or "", authority_url=UU_AUTHORITY_URL,
        wcag_url=WCAG_URL,
    )
