"""Keeping consultations' content versions in step with what happens to them
(:mod:`hoering.events`, :mod:`hoering.consultations.versions`).

Each is a transaction subscriber: the version rises in the transaction that makes the
change, so the next view after the commit never finds the page cached before it. Changes
without an event (documents, themes and tags, a summary's text, a thread locked) raise it
through :func:`hoering.consultations.versions.watch`, switched on here.
"""

from __future__ import annotations

from hoering.consultations import versions
from hoering.events import (
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
    ResponseScreened,
    SummaryPublished,
    UserDeleted,
    UserRenamed,
    transaction_subscriber,
)

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
