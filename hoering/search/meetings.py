"""The search documents of meetings: a meeting whose agenda is published is found by its
body, its agenda items (number, title, case number, description, decision) and, once
approved, its minutes. It belongs to no consultation (:data:`NO_CONSULTATION`)."""

from __future__ import annotations

import sqlalchemy as sa
from babel.dates import format_date as babel_format_date
from flask import current_app
from sqlalchemy.orm import selectinload

from hoering.extensions import db
from hoering.i18n import babel_locale
from hoering.meetings.models import Meeting
from hoering.sanitize import text_of_html
from hoering.search.backend import IndexDocument
from hoering.timeutil import OSLO

#: The ``consultation_id`` of a meeting's search document.
NO_CONSULTATION = 0


def meeting_document(meeting: Meeting) -> IndexDocument:
    """The index document of a meeting whose agenda is published: the body's name and the
    Oslo date as title, the agenda and the approved minutes as plain text (never HTML)."""
    lines = []
    for item in meeting.items:
        lines.append(" ".join(p for p in (item.number, item.title, item.case_number) if p))
        lines.extend(p for p in (item.description, item.decision_text) if p)
    if meeting.minutes_public:
        lines.append(text_of_html(meeting.minutes_html))
    language = current_app.config.get("BABEL_DEFAULT_LOCALE", "nb")
    day = babel_format_date(meeting.starts_at.astimezone(OSLO).date(), "long", locale=babel_locale(language))
    return IndexDocument(
        doc_type="meeting", doc_id=meeting.id, consultation_id=NO_CONSULTATION, state="published",
        language=language, author=meeting.body.name,
        title=f"{meeting.body.name} {day}", body="\n\n".join(line for line in lines if line),
        created_at=meeting.starts_at,
    )


def public_meetings(ids=None) -> list[Meeting]:
    """The meetings whose agenda is published (of ``ids``, when given), read afresh from
    the database with their items and body."""
    query = sa.select(Meeting).where(Meeting.agenda_published_at.is_not(None)).order_by(Meeting.id) \
        .options(selectinload(Meeting.items)).execution_options(populate_existing=True)
    if ids is not None:
        query = query.where(Meeting.id.in_(list(ids)))
    return list(db.session.scalars(query))


def resolve(meeting_ids: set[int]) -> tuple[list[IndexDocument], list[str]]:
    """``(documents to write, keys to delete)`` for the meetings ``meeting_ids``."""
    found = {meeting.id: meeting for meeting in public_meetings(meeting_ids)} if meeting_ids else {}
    upserts = [meeting_document(found[i]) for i in sorted(meeting_ids) if i in found]
    return upserts, [f"meeting:{i}" for i in sorted(meeting_ids) if i not in found]
