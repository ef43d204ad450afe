"""Agenda items of a meeting and the documents of meetings and agenda items.

An agenda item may name the consultation whose case it decides. The agenda item's
decision is then the source of the consultation's decision: the consultations feature
copies it (with the body, the meeting time and a link to the meeting) when it hears
:class:`hoering.events.AgendaItemSaved` or :class:`hoering.events.MeetingSaved`
(``hoering/consultations/subscribers.py``; docs/CASE_OFFICERS.md, "Political bodies and
meetings").
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from hoering.consultations.documents import ACCEPTED_TYPES, clean_filename, hash_in_use, store_upload
from hoering.consultations.models import Consultation
from hoering.events import AgendaItemSaved, MeetingSaved, announce
from hoering.exceptions import Conflict, ValidationFailed
from hoering.extensions import db
from hoering.meetings.models import AgendaItem, Meeting, MeetingDocument
from hoering.meetings.services import _check_allowed, _line, _text
from hoering.sanitize import contains_bidi_controls, normalize_line
from hoering.storage import StorageError, get_storage
from hoering.timeutil import utcnow

#: Longest description or decision of an agenda item, in characters.
ITEM_TEXT_MAX_LENGTH = 20_000


def save_item(user, meeting: Meeting, item: AgendaItem | None, *, title: str, number: str = "",
              case_number: str = "", description: str = "", decision_text: str = "",
              consultation_id: int | None = None, position: int | None = None) -> AgendaItem:
    """Create (``item`` None) or change an agenda item of ``meeting``.

    Args:
        number: the item's number on the agenda, e.g. "PS 12/26".
        case_number: the archive's case number, e.g. "2026/1234".
        decision_text: what was decided (plain text), once decided.
        consultation_id: the consultation whose case this item decides, or None.
        position: its place on the agenda; after the others when None.

    Raises:
        PermissionDenied, ValidationFailed: no title, texts too long, an unknown
            consultation, or a decision on a meeting not yet held.
        Conflict: the consultation is linked to another agenda item already.
    """
    _check_allowed(user)
    title = _line(title, 300, _l("Enter the title of the agenda item."))
    decision_text = _text(decision_text, ITEM_TEXT_MAX_LENGTH)
    if consultation_id is not None:
        if db.session.get(Consultation, consultation_id) is None:
            raise ValidationFailed(_l("Choose a consultation from the list."))
        taken = db.session.scalar(sa.select(AgendaItem.id).where(AgendaItem.consultation_id == consultation_id,
                                                                  AgendaItem.id != (item.id if item else 0)))
        if taken is not None:
            raise Conflict(_l("This consultation is already linked to another agenda item."))
    if decision_text and meeting.starts_at > utcnow():
        raise ValidationFailed(_l("A decision can be recorded once the meeting has started."))
    previous = item.consultation_id if item is not None else None
    if item is None:
        last = db.session.scalar(sa.select(sa.func.max(AgendaItem.position)).where(AgendaItem.meeting_id == meeting.id))
        item = AgendaItem(meeting_id=meeting.id, position=(last or 0) + 1)
        db.session.add(item)
    if position is not None:
        item.position = position
    item.title, item.number = title, _line(number, 40)
    item.case_number = _line(case_number, 40)
    item.description = _text(description, ITEM_TEXT_MAX_LENGTH)
    item.decision_text, item.consultation_id = decision_text, consultation_id
    db.session.flush()
    announce(AgendaItemSaved(item.id, meeting.id, consultation_id, previous))
    announce(MeetingSaved(meeting.id, meeting.body_id, meeting.is_public))
    db.session.commit()
    return item


def remove_item(user, item: AgendaItem) -> None:
    """Take an item off the agenda (with its documents).

    Raises:
        PermissionDenied: ``user`` may not manage meetings.
    """
    _check_allowed(user)
    meeting = item.meeting
    hashes = [d.content_hash for d in db.session.scalars(
        sa.select(MeetingDocument).where(MeetingDocument.agenda_item_id == item.id))]
    announce(AgendaItemSaved(item.id, meeting.id, None, item.consultation_id, removed=True))
    announce(MeetingSaved(meeting.id, meeting.body_id, meeting.is_public))
    db.session.execute(sa.delete(MeetingDocument).where(MeetingDocument.agenda_item_id == item.id))
    db.session.delete(item)
    db.session.commit()
    _drop_unused(hashes)


def linkable_consultations(item: AgendaItem | None) -> list[Consultation]:
    """Consultations an agenda item may be linked to: those not linked to another item,
    newest first."""
    taken = sa.select(AgendaItem.consultation_id).where(AgendaItem.consultation_id.is_not(None))
    if item is not None:
        taken = taken.where(AgendaItem.id != item.id)
    return list(db.session.scalars(sa.select(Consultation).where(Consultation.id.not_in(taken))
                                   .order_by(Consultation.created_at.desc(), Consultation.id.desc())))


# --- documents ---------------------------------------------------------------------------------

def documents_of(meeting_id: int) -> list[MeetingDocument]:
    """The meeting's documents and its items' documents, oldest first."""
    return list(db.session.scalars(sa.select(MeetingDocument).where(MeetingDocument.meeting_id == meeting_id)
                                   .order_by(MeetingDocument.id)))


def add_document(user, meeting: Meeting, item: AgendaItem | None, stream, filename: str,
                 title: str = "") -> MeetingDocument:
    """Store an uploaded file (checked as a consultation's document is:
    :func:`hoering.consultations.documents.store_upload`) and attach it to the meeting or
    to one of its agenda items.

    Raises:
        PermissionDenied, ValidationFailed: a title with direction controls, or a file that
            is empty, too large or of a type not accepted.
        Unavailable: the document store cannot take it just now.
    """
    _check_allowed(user)
    title = normalize_line(title or "")[:200]
    if contains_bidi_controls(title):
        raise ValidationFailed(_l("The title cannot contain characters that reverse the direction of text."))
    if item is not None and item.meeting_id != meeting.id:
        raise ValidationFailed(_l("Choose an agenda item of this meeting."))
    content_hash, size, mime = store_upload(stream)
    name = clean_filename(filename, ACCEPTED_TYPES[mime])
    document = MeetingDocument(meeting_id=meeting.id, agenda_item_id=item.id if item else None,
                               title=title or name.rsplit(".", 1)[0], filename=name, content_hash=content_hash,
                               size=size, mime=mime, uploaded_by_id=user.id)
    db.session.add(document)
    db.session.flush()
    announce(MeetingSaved(meeting.id, meeting.body_id, meeting.is_public))
    db.session.commit()
    return document


def remove_document(user, document: MeetingDocument) -> None:
    """Detach a document; the stored file goes when no document uses it any more.

    Raises:
        PermissionDenied: ``user`` may not manage meetings.
    """
    _check_allowed(user)
    content_hash = document.content_hash
    meeting = db.session.get(Meeting, document.meeting_id)
    db.session.delete(document)
    announce(MeetingSaved(meeting.id, meeting.body_id, meeting.is_public))
    db.session.commit()
    _drop_unused([content_hash])


def _drop_unused(hashes: list[str]) -> None:
    for content_hash in set(hashes):
        if not hash_in_use(content_hash):
            try:
                get_storage().delete(content_hash)
            except StorageError as error:
                current_app.logger.warning("stored document left behind, unused: %s", error)
