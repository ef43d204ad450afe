"""Keeping the search index in step (:mod:`hoering.events`): each change of searchable
content queues an index task (:func:`hoering.search.services.enqueue`), applied after the
request or the sweep that delivered the event, or by ``flask hoering index-worker``."""

from __future__ import annotations

from hoering.events import (
    CommentDeleted,
    CommentEdited,
    CommentModerated,
    CommentPosted,
    CommentPublished,
    ConsultationSaved,
    UserDeleted,
    UserRenamed,
    subscriber,
)
from hoering.search.services import enqueue


@subscriber(CommentPosted, CommentPublished, CommentModerated, CommentEdited, CommentDeleted)
def index_comment(event) -> None:
    """The comment's text, state or visibility changed: index it again (or drop it)."""
    enqueue("comment", event.comment_id)


@subscriber(ConsultationSaved)
def index_consultation(event: ConsultationSaved) -> None:
    """The consultation is indexed again; its comments too when their language or the
    title shown with them changed."""
    enqueue("consultation", event.consultation_id)
    if event.comments_affected:
        enqueue("consultation_comments", event.consultation_id)


@subscriber(UserRenamed, UserDeleted)
def index_comments_of_user(event) -> None:
    """The author's comments are indexed under their name (or their erasure): index them again."""
    enqueue("user_comments", event.user_id)
