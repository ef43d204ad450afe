"""JSON shapes of the public API (documented in docs/API.md)."""

from __future__ import annotations

from hoering.comments.models import Comment
from hoering.consultations.documents import documents_of
from hoering.consultations.lifecycle import public_events
from hoering.consultations.models import Consultation
from hoering.consultations.services import ParticipationCounts
from hoering.consultations.topics import area_label, topic_label
from hoering.stances import tally_of
from hoering.urls import site_url_for


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
        "political_body": consultation.political_body or None,
        "meeting_at": _iso(consultation.meeting_at),
        "hashtag": consultation.hashtag or None,
        "topic": consultation.topic or None,
        "topic_label": topic_label(consultation.topic) or None,
        "area": consultation.area or None,
        "area_label": area_label(consultation.area) or None,
        "archived": consultation.archived_at is not None,
        "comment_count": counts.comments,
        "participant_count": counts.participants,
        "url": site_url_for("consultations.detail", slug=consultation.slug),
        "comments_url": site_url_for("api.consultation_comments", slug=consultation.slug),
    }
    if detail:
        data["body_markdown"] = consultation.body_markdown
        data["body_html"] = consultation.body_html
        data["source_url"] = consultation.source_url
        data["period_days"] = consultation.period_days
        data["short_period_reason"] = consultation.short_period_reason or None
        data["questions"] = [{"id": q.id, "text": q.text} for q in consultation.questions]
        data["sections"] = [{"id": s.id, "number": s.number, "heading": s.heading, "text_markdown": s.text_markdown,
                             "text_html": s.text_html,
                             "url": site_url_for("consultations.draft_section", slug=consultation.slug, section_id=s.id)}
                            for s in consultation.sections]
        data["decision"] = {"text": consultation.decision_text, "url": consultation.decision_url or None,
                            "decided_at": _iso(consultation.decided_at)} if consultation.decision_text else None
        data["documents"] = [{"title": d.title, "filename": d.filename, "type": d.mime, "size": d.size,
                              "url": site_url_for("consultations.document", document_id=d.id, filename=d.filename)}
                             for d in documents_of(consultation.id)]
        data["deadline_changes"] = [{"kind": e.kind, "from": e.old_value, "to": e.new_value, "reason": e.reason,
                                     "at": _iso(e.created_at)} for e in public_events(consultation)]
    return data


def _stance_counts(comment: Comment) -> dict:
    counts = tally_of(comment)
    return {"support_count": counts.agree, "agree_count": counts.agree, "disagree_count": counts.disagree,
            "pass_count": counts.passes, "contested": counts.contested}


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
        "section_id": comment.section_id,
        # an official reply on behalf of the municipality: the unit's name
        "official_unit": (comment.official_unit or None) if published else None,
        # why a hidden comment is hidden: a house-rule code, or "pending_review"
        "hidden_reason": comment.hidden_reason if comment.state == "hidden" else None,
        # agree ("enig", also as support_count, its older name), disagree, passes (imported)
        **_stance_counts(comment),
        "created_at": _iso(comment.created_at),
        "edited_at": _iso(comment.edited_at),
        "url": site_url_for("comments.permalink", comment_id=comment.id),
        "replies": [],
    }


def body_json(body, detail: bool = False) -> dict:
    """A political body; with ``detail``, its members (name, role, party)."""
    data = {
        "slug": body.slug,
        "name": body.name,
        "kind": body.kind,
        "description": body.description or None,
        "portal_url": body.portal_url or None,
        "url": site_url_for("meetings.body", slug=body.slug),
        "meetings_url": site_url_for("api.body_meetings", slug=body.slug),
    }
    if detail:
        data["members"] = [{"name": m.name, "role": m.role, "party": m.party or None} for m in body.members]
    return data


def meeting_json(meeting, documents=(), detail: bool = False) -> dict:
    """A meeting whose agenda is published. Times are ISO 8601 in UTC; with ``detail``,
    its agenda items (with their documents, linked consultation and decision), documents
    and the minutes once approved (``minutes_html``, sanitized)."""
    data = {
        "id": meeting.id,
        "body": meeting.body.slug,
        "starts_at": _iso(meeting.starts_at),
        "place": meeting.place or None,
        "status": meeting.status,
        "agenda_published_at": _iso(meeting.agenda_published_at),
        "minutes_approved_on": meeting.minutes_approved_on.isoformat() if meeting.minutes_public else None,
        "url": site_url_for("meetings.meeting", meeting_id=meeting.id),
        "api_url": site_url_for("api.meeting", meeting_id=meeting.id),
    }
    if detail:
        def document(d) -> dict:
            return {"title": d.title, "filename": d.filename, "mime": d.mime, "size": d.size,
                    "url": site_url_for("meetings.document", document_id=d.id, filename=d.filename)}

        data["documents"] = [document(d) for d in documents if d.agenda_item_id is None]
        data["items"] = [{
            "id": item.id, "number": item.number or None, "title": item.title,
            "case_number": item.case_number or None, "description": item.description or None,
            "decision": item.decision_text or None,
            "consultation": site_url_for("api.consultation", slug=item.consultation.slug)
            if item.consultation is not None and item.consultation.published_at is not None else None,
            "documents": [document(d) for d in documents if d.agenda_item_id == item.id],
        } for item in meeting.items]
        data["minutes_html"] = meeting.minutes_html if meeting.minutes_public else None
    return data


def response_json(response) -> dict:
    """A published formal response (:class:`hoering.responses.models.FormalResponse`): only
    its public version (never the text as received), the sender as the public list names
    them (``null`` when the name is withheld), and its published attachments."""
    return {
        "reference": response.reference,
        "received_at": _iso(response.received_at),
        "sender": response.public_sender or None,
        "organisation_number": response.organisation_number or None
        if response.on_behalf_of_organisation and not response.name_withheld else None,
        "on_behalf_of_organisation": bool(response.on_behalf_of_organisation and not response.name_withheld),
        "parts_removed": response.state == "redacted",
        "legal_ground": response.legal_ground or None,
        "text": response.public_text,
        "attachments": [{"filename": a.filename, "mime": a.mime, "size": a.size,
                         "url": site_url_for("responses.attachment", attachment_id=a.id, filename=a.filename)}
                        for a in response.public_attachments()],
    }
