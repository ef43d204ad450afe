"""Keeping consultations' content versions in step with what happens to them
(:mod:`hoering.events`, :mod:`hoering.consultations.versions`).

Each is a transaction subscriber: the version rises in the transaction that makes the
change, so the next view after the commit never finds the page cached before it. Changes
without an event (documents, themes and tags, a summary's text, a thread locked) raise it
through :func:`hoering.consultations.versions.watch`, switched on here.
"""

from __future__ import annotations

from hoering.consultations import lifecycle, versions
from hoering.consultations.models import Consultation
from hoering.events import (
    AgendaItemSaved,
    CommentDeleted,
    CommentEdited,
    CommentModerated,
    CommentPosted,
    CommentPublished,
    CommentSupported,
    ConsultationClosed,
    ConsultationDecided,
    ConsultationSaved,
    DeadlineExtended,
    MeetingSaved,
    ResponseScreened,
    SummaryPublished,
    UserDeleted,
    UserRenamed,
    subscriber,
    transaction_subscriber,
)
from hoering.extensions import db
from hoering.meetings import services as meeting_services
from hoering.urls import site_url_for

versions.watch()


@transaction_subscriber(CommentPosted, CommentPublished, CommentModerated, CommentEdited, CommentDeleted,
                        CommentSupported, ConsultationSaved, DeadlineExtended, ConsultationClosed,
                        ConsultationDecided, SummaryPublished, ResponseScreened)
def raise_content_version(event) -> None:
    """What readers of the event's consultation see changed: raise its content version."""
    versions.bump(consultation_ids=[event.consultation_id])


@transaction_subscriber(UserRenamed, UserDeleted)
def raise_content_versions_of_author(event) -> None:
    """An author's name (or their erasure) shows on every consultation they commented on."""
    versions.bump(author_ids=[event.user_id])


@subscriber(AgendaItemSaved, MeetingSaved)
def take_decision_from_agenda_item(event) -> None:
    """The agenda item that decides a consultation's case (or its meeting) changed: the
    consultation's body, meeting time and decision follow it (the agenda item is the
    source). A consultation unlinked from its item keeps what it had."""
    previous = getattr(event, "previous_consultation_id", None)
    if previous is not None and previous != event.consultation_id:
        versions.bump(consultation_ids=[previous])  # its page no longer links to the item
    meeting = meeting_services.get_meeting(event.meeting_id)
    if meeting is None:
        return
    for item in meeting.items:
        if item.consultation_id is None or (isinstance(event, AgendaItemSaved) and item.id != event.agenda_item_id):
            continue
        consultation = db.session.get(Consultation, item.consultation_id)
        if consultation is None:
            continue
        url = site_url_for("meetings.meeting", meeting_id=meeting.id) + f"#sak-{item.id}"
        decided = item.decision_text if meeting.status != "cancelled" else ""
        lifecycle.take_from_meeting(consultation, body_name=meeting.body.name,
                                    meeting_at=meeting.starts_at if meeting.status != "cancelled" else None,
                                    decision_text=decided, decision_url=url)
        versions.bump(consultation_ids=[consultation.id])
