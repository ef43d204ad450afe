"""Sections of the draft text (the draft regulation or plan put out for consultation):
case officers add, change, reorder and remove them; citizens comment on one
(``Comment.section_id``, checked in :func:`hoering.comments.services.post_comment`).

A section's text is Markdown, kept for editing and rendered through
:func:`hoering.sanitize.markdown_html`. A section that comments are about is never
deleted (the comments would lose what they answer): its wording may be corrected instead,
as with guiding questions.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering import permissions
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import (
    SECTION_HEADING_MAX_LENGTH,
    SECTION_NUMBER_MAX_LENGTH,
    Consultation,
    Section,
)
from hoering.exceptions import Conflict, PermissionDenied, ValidationFailed
from hoering.extensions import db
from hoering.sanitize import contains_bidi_controls, has_visible_text, markdown_html, normalize_line

#: Longest text of one section, in characters.
SECTION_TEXT_MAX_LENGTH = 50_000
#: Most sections a consultation can have.
MAX_SECTIONS = 300
#: Times a section is added again when another was added at the same moment and took its
#: position (``uq_consultation_section_consultation_id_position``).
ADD_ATTEMPTS = 5

_CHANGED_MEANWHILE = _l("Someone else changed the sections at the same moment. Open the draft text again and "
                        "repeat your change.")


@dataclass
class SectionData:
    """What a case officer enters for a section: its number as cited ("§ 2",
    "Kapittel 3.2"), heading, Markdown text, and its place (1 = first; ``None`` = last)."""

    number: str
    heading: str
    text_markdown: str
    place: int | None = None


def _check(user, data: SectionData) -> None:
    if not permissions.can_manage_consultations(user):
        raise PermissionDenied(_l("Only case officers can edit the draft text."))
    if not has_visible_text(normalize_line(data.number)):
        raise ValidationFailed(_l("Enter the section's number, e.g. § 2 or Kapittel 3.2."))
    if len(normalize_line(data.number)) > SECTION_NUMBER_MAX_LENGTH \
            or len(normalize_line(data.heading)) > SECTION_HEADING_MAX_LENGTH:
        raise ValidationFailed(_l("The number or heading is too long."))
    if contains_bidi_controls(data.number) or contains_bidi_controls(data.heading):
        raise ValidationFailed(_l("The number and heading cannot contain characters that reverse the direction "
                                  "of text."))
    if len(data.text_markdown or "") > SECTION_TEXT_MAX_LENGTH:
        raise ValidationFailed(_l("The text can be at most %(max)d characters.", max=SECTION_TEXT_MAX_LENGTH))


def _apply(section: Section, data: SectionData) -> None:
    section.number = normalize_line(data.number)
    section.heading = normalize_line(data.heading)
    section.text_markdown = (data.text_markdown or "").strip()
    section.text_html = markdown_html(section.text_markdown)


def _renumber(ordered: list[Section]) -> None:
    """Give the sections in ``ordered`` the positions 0, 1, 2 … and flush. Positions are
    unique per consultation, so the rows that move first step aside to negative positions:
    both databases check the constraint after each statement, and a shift by one would
    otherwise collide with its neighbour."""
    moving = [(item, position) for position, item in enumerate(ordered) if item.position != position]
    for item, position in moving:
        item.position = -1 - position
    db.session.flush()
    for item, position in moving:
        item.position = position
    db.session.flush()


def _place(consultation: Consultation, section: Section, place: int | None) -> None:
    """Put ``section`` at ``place`` (1-based; ``None`` or past the end: last) and number
    the positions of all sections 0, 1, 2 … (flushes)."""
    ordered = [s for s in consultation.sections if s is not section]
    index = len(ordered) if place is None else max(0, min(place - 1, len(ordered)))
    ordered.insert(index, section)
    _renumber(ordered)


def add_section(user, consultation: Consultation, data: SectionData) -> Section:
    """Add a section to ``consultation`` and commit.

    Two case officers adding at the same moment both succeed: the one whose position was
    taken meanwhile (a unique constraint per consultation) reads the sections again and
    adds once more, up to :data:`ADD_ATTEMPTS` times.

    Raises:
        PermissionDenied: ``user`` is not a case officer.
        ValidationFailed: no number, too long number, heading or text, too many sections.
        Conflict: the sections kept changing under every attempt (HTTP 409).
    """
    _check(user, data)
    consultation_id = consultation.id
    for _attempt in range(ADD_ATTEMPTS):
        consultation = db.session.get(Consultation, consultation_id)
        if len(consultation.sections) >= MAX_SECTIONS:
            raise ValidationFailed(_l("A consultation can have at most %(max)d sections.", max=MAX_SECTIONS))
        section = Section(consultation_id=consultation_id)
        _apply(section, data)
        consultation.sections.append(section)
        try:
            _place(consultation, section, data.place)
            db.session.commit()
        except (sa.exc.IntegrityError, sa.exc.OperationalError) as error:
            db.session.rollback()  # another case officer's section took the place: read again
            if isinstance(error, sa.exc.OperationalError) and "locked" not in str(error.orig).lower():
                raise
            continue
        return section
    raise Conflict(_CHANGED_MEANWHILE)


def _commit_or_conflict() -> None:
    """Commit a change of the sections' order; a clash with a change made at the same
    moment becomes :class:`Conflict` (409) with nothing saved."""
    try:
        db.session.flush()
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(_CHANGED_MEANWHILE) from None


def change_section(user, section: Section, data: SectionData) -> Section:
    """Change a section's number, heading, text or place, and commit (errors as
    :func:`add_section`)."""
    _check(user, data)
    _apply(section, data)
    try:
        _place(section.consultation, section, data.place)
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(_CHANGED_MEANWHILE) from None
    _commit_or_conflict()
    return section


def remove_section(user, section: Section) -> None:
    """Delete a section no comment is about, and commit.

    Raises:
        PermissionDenied: ``user`` is not a case officer.
        ValidationFailed: comments are about the section.
    """
    if not permissions.can_manage_consultations(user):
        raise PermissionDenied(_l("Only case officers can edit the draft text."))
    if db.session.scalar(sa.select(sa.func.count(Comment.id)).where(Comment.section_id == section.id)):
        raise ValidationFailed(_l("Comments are about “%(section)s”, so it cannot be removed. Correct its wording "
                                  "instead.", section=section.label))
    consultation = section.consultation
    consultation.sections.remove(section)
    db.session.delete(section)
    try:
        db.session.flush()  # the row goes before the others move up into its place
        _renumber(list(consultation.sections))
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise Conflict(_CHANGED_MEANWHILE) from None
    _commit_or_conflict()


def published_comment_counts(consultation_id: int) -> dict[int, int]:
    """``{section id: published top-level comments about it}`` for one consultation."""
    return dict(db.session.execute(
        sa.select(Comment.section_id, sa.func.count(Comment.id))
        .where(Comment.consultation_id == consultation_id, Comment.section_id.is_not(None),
               Comment.parent_id.is_(None), Comment.state == CommentState.PUBLISHED.value)
        .group_by(Comment.section_id)).all())


def published_comments_by_section(consultation_id: int, per_section: int | None = None,
                                  section_id: int | None = None) -> dict[int, list[Comment]]:
    """``{section id: published top-level comments about it, oldest first}``, at most
    ``per_section`` of each (the newest kept); only of ``section_id`` if given."""
    query = (sa.select(Comment).where(Comment.consultation_id == consultation_id, Comment.parent_id.is_(None),
                                      Comment.section_id.is_not(None),
                                      Comment.state == CommentState.PUBLISHED.value)
             .order_by(Comment.created_at, Comment.id))
    if section_id is not None:
        query = query.where(Comment.section_id == section_id)
    grouped: dict[int, list[Comment]] = {}
    for comment in db.session.scalars(query):
        grouped.setdefault(comment.section_id, []).append(comment)
    if per_section is not None:
        grouped = {key: items[-per_section:] for key, items in grouped.items()}
    return grouped
