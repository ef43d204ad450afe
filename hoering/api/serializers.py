"""JSON shapes of the public API (documented in docs/API.md)."""

from __future__ import annotations

from flask import url_for

from hoering.comments.models import Comment
from hoering.consultations.models import Consultation
from hoering.consultations.services import ParticipationCounts


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def consultation_json(consultation: Consultation, counts: ParticipationCounts, detail: bool = False) -> dict:
    """A published consultation. Times are ISO 8601 in UTC; ``deadline`` is the Oslo date."""
    data = {
        "slug": consultation.slug,
        "title": consultation.title,
        "summary": consultation.summary,
        "language": consultation.language,
        "status": consultation.status().value,
        "opens_at": _iso(consultation.opens_at),
        "closes_at": _iso(consultation.closes_at),
        "deadline": consultation.deadline.isoformat(),
        "responsible_unit": consultation.responsible_unit or None,
        "comment_count": counts.comments,
        "participant_count": counts.participants,
        "url": url_for("consultations.detail", slug=consultation.slug, _external=True),
        "comments_url": url_for("api.consultation_comments", slug=consultation.slug, _external=True),
    }
    if detail:
        data["body_markdown"] = consultation.body_markdown
        data["body_html"] = consultation.body_html
        data["source_url"] = consultation.source_url
        data["questions"] = [{"id": q.id, "text": q.text} for q in consultation.questions]
    return data


def comment_json(comment: Comment) -> dict:
    """A comment; non-published ones are placeholders without author or text."""
    published = comment.state == "published"
    return {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "thread_id": comment.thread_id,
        "depth": comment.depth,
        "state": comment.state,
        "author": comment.author.display_name if published else None,
        "text": comment.body_text if published else None,
        "html": comment.body_html if published else None,
        "question_id": comment.question_id,
        # an official reply on behalf of the municipality: the unit's name
        "official_unit": (comment.official_unit or None) if published else None,
        # why a hidden comment is hidden: a house-rule code, or "pending_review"
        "hidden_reason": comment.hidden_reason if comment.state == "hidden" else None,
        "support_count": comment.support_count,
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
        "url": url_for("comments.permalink", comment_id=comment.id, _external=True),
        "replies": [],
    }
