"""Keeping the search index in step (:mod:`hoering.events`).

Whoosh: after the commit, each change of searchable content queues an index task
(:func:`hoering.search.services.enqueue`), applied after the request or by
``flask hoering index-worker``. PostgreSQL: the ``write_*`` transaction subscribers have
the search documents written inside the transaction that made the change."""

from __future__ import annotations

from hoering.events import (
    CommentDeleted,
    CommentEdited,
    CommentModerated,
    CommentPosted,
    CommentPublished,
    ConsultationSaved,
    MeetingSaved,
    ResponseReceived,
    ResponseScreened,
    UserDeleted,
    UserRenamed,
    subscriber,
    transaction_subscriber,
)
from hoering.search.services import enqueue, in_database

COMMENT_EVENTS = (CommentPosted, CommentPublished, CommentModerated, CommentEdited, CommentDeleted)


def _comment(event) -> None:
    # A posted comment was inserted by the posting transaction: its document is written
    # from the session's object (hoering.search.services.enqueue).
    enqueue("comment", event.comment_id, inserted=isinstance(event, CommentPosted))


def _consultation(event: ConsultationSaved) -> None:
    enqueue("consultation", event.consultation_id)
    if event.comments_affected:
        enqueue("consultation_comments", event.consultation_id)


def _comments_of_user(event) -> None:
    enqueue("user_comments", event.user_id)


@subscriber(*COMMENT_EVENTS)
def index_comment(event) -> None:
    """The comment's text, state or visibility changed: index it again (or drop it)."""
    if not in_database():
        _comment(event)


@subscriber(ConsultationSaved)
def index_consultation(event: ConsultationSaved) -> None:
    """The consultation is indexed again; its comments too when their language or the
    title shown with them changed."""
    if not in_database():
        _consultation(event)


@subscriber(UserRenamed, UserDeleted)
def index_comments_of_user(event) -> None:
    """The author's comments are indexed under their name (or their erasure): index them again."""
    if not in_database():
        _comments_of_user(event)


@transaction_subscriber(*COMMENT_EVENTS)
def write_comment_document(event) -> None:
    """PostgreSQL backend: the comment's search document, written in the same transaction."""
    if in_database():
        _comment(event)


@transaction_subscriber(ConsultationSaved)
def write_consultation_documents(event: ConsultationSaved) -> None:
    """PostgreSQL backend: the consultation's search document (and its comments' when their
    language or title changed), written in the same transaction."""
    if in_database():
        _consultation(event)


@transaction_subscriber(UserRenamed, UserDeleted)
def write_comment_documents_of_user(event) -> None:
    """PostgreSQL backend: the author's comments' search documents, written in the same
    transaction."""
    if in_database():
        _comments_of_user(event)


@subscriber(MeetingSaved)
def index_meeting(event: MeetingSaved) -> None:
    """A meeting, its agenda or its minutes changed: index it again (or drop it while its
    agenda is not published)."""
    if not in_database():
        enqueue("meeting", event.meeting_id)


@transaction_subscriber(MeetingSaved)
def write_meeting_document(event: MeetingSaved) -> None:
    """PostgreSQL backend: the meeting's search document, written in the same transaction."""
    if in_database():
        enqueue("meeting", event.meeting_id)


@subscriber(ResponseReceived, ResponseScreened)
def index_response(event) -> None:
    """A formal response arrived or was screened: index it (its public version once published)."""
    if not in_database():
        enqueue("response", event.response_id)


@transaction_subscriber(ResponseReceived, ResponseScreened)
def write_response_document(event) -> None:
    """PostgreSQL backend: the response's search document, written in the same transaction."""
    if in_database():
        enqueue("response", event.response_id)
