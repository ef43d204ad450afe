"""Keeping the comment vectors (:mod:`hoering.summaries.vectors`) in step with the
comments (:mod:`hoering.events`).

* A comment posted or edited: with jobs in Redis, the ``refresh_vectors`` job is queued
  after the commit (coalesced: one job embeds what the commits of half a second left
  without a vector), and the RQ worker makes the vectors, so the analyses find them made.
  Without Redis (the embedded default) nothing is done here: the model would load NumPy
  into the web worker; the analysis pages (in their child process) and
  ``flask hoering vectors`` make the missing vectors.
* A comment removed, or its author's account deleted (the comments blanked as removed):
  its vector, made from the text, is deleted with the delivery of the event, in every
  set-up (a vector is derived from the text and goes with it).
"""

from __future__ import annotations

import sqlalchemy as sa

from hoering import jobs
from hoering.comments.models import Comment, CommentState
from hoering.events import CommentDeleted, CommentEdited, CommentPosted, UserDeleted, subscriber
from hoering.extensions import db
from hoering.summaries.models import CommentVector


@subscriber(CommentPosted, CommentEdited)
def queue_comment_vectors(event) -> None:
    """A comment's text is new: have the worker embed it (only with jobs in Redis)."""
    jobs.after_commit("refresh_vectors")


@subscriber(CommentDeleted)
def drop_comment_vector(event: CommentDeleted) -> None:
    """The comment was removed (its text blanked): its vector goes too."""
    db.session.execute(sa.delete(CommentVector).where(CommentVector.comment_id == event.comment_id))


@subscriber(UserDeleted)
def drop_vectors_of_user(event: UserDeleted) -> None:
    """The account was deleted and its comments blanked: their vectors go too."""
    removed = sa.select(Comment.id).where(Comment.author_id == event.user_id,
                                          Comment.state == CommentState.REMOVED.value)
    db.session.execute(sa.delete(CommentVector).where(CommentVector.comment_id.in_(removed)))
