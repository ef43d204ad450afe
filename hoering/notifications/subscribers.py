"""Mail about what happened (:mod:`hoering.events`): replies, official replies, deadlines,
decisions and summaries, queued in the outbox for the people who follow or are answered."""

from __future__ import annotations

from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.events import (
    CommentPosted,
    CommentPublished,
    ConsultationClosed,
    ConsultationDecided,
    DeadlineExtended,
    SummaryPublished,
    subscriber,
)
from hoering.extensions import db
from hoering.notifications.services import comment_published, deadline_changed, decision_recorded, summary_published


@subscriber(CommentPosted, CommentPublished)
def tell_of_published_comment(event: CommentPosted | CommentPublished) -> None:
    """A reply is told to the author of the comment it answers; an official reply also to
    the consultation's followers; once the comment is visible (posted so, or approved)."""
    comment = db.session.get(Comment, event.comment_id)
    if comment is not None and comment.state == CommentState.PUBLISHED.value:
        comment_published(comment)


@subscriber(SummaryPublished)
def tell_of_summary(event: SummaryPublished) -> None:
    """Followers are told that "Dette har vi hørt" is out."""
    consultation = db.session.get(Consultation, event.consultation_id)
    if consultation is not None:
        summary_published(consultation)


@subscriber(ConsultationDecided)
def tell_of_decision(event: ConsultationDecided) -> None:
    """Followers are told what was decided."""
    consultation = db.session.get(Consultation, event.consultation_id)
    if consultation is not None and consultation.decision_text:
        decision_recorded(consultation)


@subscriber(DeadlineExtended)
def tell_of_new_deadline(event: DeadlineExtended) -> None:
    """Followers are told of the new deadline and why."""
    consultation = db.session.get(Consultation, event.consultation_id)
    if consultation is not None:
        deadline_changed(consultation, event.reason, extended=True)


@subscriber(ConsultationClosed)
def tell_of_early_close(event: ConsultationClosed) -> None:
    """Followers are told that the consultation closed early and why."""
    consultation = db.session.get(Consultation, event.consultation_id)
    if consultation is not None:
        deadline_changed(consultation, event.reason, extended=False)
