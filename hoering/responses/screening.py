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
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.responses.models import FormalResponse, ResponseAttachment, ResponseState, ScreeningEntry
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
        Conflict: another case officer screened it after it was loaded here.
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
    # One statement writes the whole decision, and only if nobody screened the response since
    # it was loaded here: two case officers deciding at once never mix their decisions (the
    # second is refused), whatever columns each of them changed.
    loaded_at = response.screened_at
    ground = "" if decision == ResponseState.PUBLISHED.value else legal_ground
    written = db.session.execute(
        sa.update(FormalResponse)
        .where(FormalResponse.id == response.id,
               FormalResponse.screened_at.is_(None) if loaded_at is None else FormalResponse.screened_at == loaded_at)
        .values(state=decision, public_text=text, legal_ground=ground,
                name_withheld=not response.consent_to_publication,  # documented above: never under their name
                screened_by_id=officer.id, screened_at=utcnow())
        .execution_options(synchronize_session=False))
    if written.rowcount != 1:
        db.session.rollback()
        raise Conflict(_l("Another case officer screened this response a moment ago. Look at their decision "
                          "and decide again if needed."))
    for item in response.attachments:
        db.session.execute(sa.update(ResponseAttachment).where(ResponseAttachment.id == item.id)
                           .values(withheld=item.id in withheld).execution_options(synchronize_session=False))
    if response in db.session:
        db.session.expire(response)  # read back as written
    entry = ScreeningEntry(response_id=response.id, actor_id=officer.id, decision=decision,
                           legal_ground=ground, note=normalize_text(note or "")[:5000])
    db.session.add(entry)
    announce(ResponseScreened(response_id=response.id, consultation_id=response.consultation_id, decision=decision))
    db.session.commit()
    return entry


def screening_log(response_id: int) -> list[ScreeningEntry]:
    """The screening log of a response, oldest first."""
    return list(db.session.scalars(sa.select(ScreeningEntry).where(ScreeningEntry.response_id == response_id)
                                   .order_by(ScreeningEntry.id)))
