"""The search index's documents of comments and consultations: plain text, never HTML
(DESIGN §4)."""

from __future__ import annotations

from hoering.comments.models import Comment
from hoering.consultations.models import Consultation
from hoering.sanitize import markdown_html, text_of_html
from hoering.search.backend import IndexDocument


def plain_text_of_markdown(text: str) -> str:
    """Markdown as plain text: rendered, then every tag stripped (never index HTML)."""
    return text_of_html(markdown_html(text or ""))


def comment_document(comment: Comment) -> IndexDocument:
    """The index document of a comment (its raw text, never its HTML)."""
    return IndexDocument(
        doc_type="comment", doc_id=comment.id, consultation_id=comment.consultation_id, state=comment.state,
        language=comment.consultation.language, author=comment.author.chosen_name,
        title=comment.consultation.title, body=comment.body_text, created_at=comment.created_at,
    )


def consultation_document(consultation: Consultation) -> IndexDocument:
    """The index document of a consultation: title, summary, case text and questions."""
    parts = [consultation.summary, plain_text_of_markdown(consultation.body_markdown),
             *(q.text for q in consultation.questions)]
    return IndexDocument(
        doc_type="consultation", doc_id=consultation.id, consultation_id=consultation.id,
        state="published" if consultation.published_at else "draft", language=consultation.language,
        author=consultation.responsible_unit or "", title=consultation.title,
        body="\n\n".join(p for p in parts if p), created_at=consultation.opens_at,
    )
