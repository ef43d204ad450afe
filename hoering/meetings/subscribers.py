"""Mail to the followers of a political body (:mod:`hoering.events`): its meeting's agenda
is published, its minutes are approved."""

from __future__ import annotations

from hoering.events import AgendaPublished, MinutesApproved, subscriber
from hoering.meetings import following
from hoering.meetings.services import get_meeting


@subscriber(AgendaPublished)
def tell_of_agenda(event: AgendaPublished) -> None:
    """The body's followers are told that the meeting's agenda is out."""
    meeting = get_meeting(event.meeting_id)
    if meeting is not None and meeting.is_public:
        following.agenda_published(meeting)


@subscriber(MinutesApproved)
def tell_of_minutes(event: MinutesApproved) -> None:
    """The body's followers are told that the meeting's minutes are approved."""
    meeting = get_meeting(event.meeting_id)
    if meeting is not None and meeting.minutes_public:
        following.minutes_approved(meeting)
