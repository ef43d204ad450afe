"""Screening a formal response before publication (case officers).

Decisions (docs/CASE_OFFICERS.md, "Høringssvar"):

* ``published``: the whole text and every attachment are public.
* ``redacted``: published with parts removed: the case officer writes the public version
  of the text and may withhold single attachments; the legal ground for what was removed
  is required and shown.
* ``held_back``: nothing of the response is public but that it exists, its reference
  number and the legal ground (offentleglova; the grounds come from ``RESPONSE_LEGAL_GROUNDS``).

A sender who did not consent to publication is never published under their name: such a
response can be held back, or published (whole or with parts removed) without the
sender's name and organisation. Every decision adds a line to the append-only
:class:`~hoering.responses.models.ScreeningEntry` log with who decided, when and on which
ground; a response can be screened again (a new line), never silently changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.events import ResponseScreened, announce
from hoering.exceptions import PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.responses.models import FormalResponse, ResponseState, ScreeningEntry
from hoering.sanitize import has_visible_text, normalize_line, normalize_text
from hoering.timeutil import utcnow

#: The decisions a case officer can make.
DECISIONS = (ResponseState.PUBLISHED.value, ResponseState.REDACTED.value, ResponseState.HELD_BACK.value)


def legal_grounds() -> list[str]:
    """The legal grounds to choose from (``RESPONSE_LEGAL_GROUNDS``)."""
    return [str(ground) for ground in current_app.config["RESPONSE_LEGAL_GROUNDS"]]


def screen_response(response: FormalResponse, officer, decision: str, legal_ground: str = "",
                    public_text: str | None = None, withheld_attachment_ids: set[int] | None = None,
                    note: str = "") -> ScreeningEntry:
    """Decide whether and how ``response`` is published, log the decision and announce
    :class:`hoering.events.ResponseScreened`; commits.

    Args:
        decision: one of :data:`DECISIONS`.
        legal_ground: one of :func:`legal_grounds`; required to hold back or to remove parts.
        public_text: for ``redacted``, the text to publish (the original when ``None``).
        withheld_attachment_ids: for ``redacted``, the attachments kept back.
        note: an internal note for the log (not public).

    Raises:
        PermissionDenied: not a case officer.
        ValidationFailed: an unknown decision or ground, a missing ground, or an empty
            public version with no attachment left to publish.
    """
    if not permissions.can_screen_responses(officer):
        raise PermissionDenied(_l("Only case officers screen responses."))
    if decision not in DECISIONS:
        raise ValidationFailed(_l("Choose a decision."), field="decision")
    legal_ground = normalize_line(legal_ground or "")
    if legal_ground and legal_ground not in legal_grounds():
        raise ValidationFailed(_l("Choose a legal ground from the list."), field="legal_ground")
    if decision != ResponseState.PUBLISHED.value and not legal_ground:
        raise ValidationFailed(_l("Choose the legal ground for what is kept from publication."), field="legal_ground")
    withheld = withheld_attachment_ids or set()
    if decision == ResponseState.REDACTED.value:
        text = normalize_text(public_text if public_text is not None else response.text)
        left = [a for a in response.attachments if a.id not in withheld]
        if not has_visible_text(text) and not left:
            raise ValidationFailed(_l("Nothing would be published: write the public version of the text, or hold "
                                      "the response back."), field="public_text")
    elif decision == ResponseState.PUBLISHED.value:
        text, withheld = response.text, set()
    else:
        text, withheld = "", {a.id for a in response.attachments}
    response.state = decision
    response.public_text = text
    response.legal_ground = "" if decision == ResponseState.PUBLISHED.value else legal_ground
    response.name_withheld = not response.consent_to_publication  # documented above: never under their name
    for item in response.attachments:
        item.withheld = item.id in withheld
    response.screened_by_id, response.screened_at = officer.id, utcnow()
    entry = ScreeningEntry(response_id=response.id, actor_id=officer.id, decision=decision,
                           legal_ground=response.legal_ground, note=normalize_text(note or "")[:5000])
    db.session.add(entry)
    announce(ResponseScreened(response_id=response.id, consultation_id=response.consultation_id, decision=decision))
    db.session.commit()
    return entry


def screening_log(response_id: int) -> list[ScreeningEntry]:
    """The screening log of a response, oldest first."""
    return list(db.session.scalars(sa.select(ScreeningEntry).where(ScreeningEntry.response_id == response_id)
                                   .order_by(ScreeningEntry.id)))
