"""One row per comment, as every export format writes it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering.accounts.models import User
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation, Question, Section
from hoering.extensions import db
from hoering.moderation.labels import STATE_LABELS
from hoering.stances import is_contested
from hoering.summaries.models import CommentTheme, Theme

#: Column names, in order (English, stable: scripts read them).
COLUMNS = ("id", "thread", "parent", "depth", "author", "created", "state", "moderation_reason", "themes",
           "agree", "disagree", "pass", "contested", "duplicate_group", "question", "section", "text")

#: Column headings for people (the XLSX file and the CSV file downloaded from the site, in
#: the reader's language); JSON, the CLI's export and the report's appendix keep :data:`COLUMNS`.
COLUMN_LABELS = {
    "id": _l("Number"), "thread": _l("Thread"), "parent": _l("Reply to"), "depth": _l("Depth"),
    "author": _l("Author"), "created": _l("Created"), "state": _l("State"),
    "moderation_reason": _l("Moderation reason"), "themes": _l("Themes"), "agree": _l("Agree"),
    "disagree": _l("Disagree"), "pass": _l("Passed"), "contested": _l("Contested"),
    "duplicate_group": _l("Near-duplicate group"), "question": _l("Question"),
    "section": _l("Section of the draft"), "text": _l("Text"),
}

def column_labels() -> dict[str, str]:
    """:data:`COLUMN_LABELS` in the current language, as plain strings (for a child process)."""
    return {name: str(label) for name, label in COLUMN_LABELS.items()}


def value_labels() -> dict[str, dict[str, str]]:
    """``{column: {stable value: label}}`` in the current language: what the XLSX file
    shows people in place of a stable value ("published" → "Publisert"); CSV and JSON keep
    the stable values, which scripts filter on."""
    return {"state": {state: str(label) for state, label in STATE_LABELS.items()}}


@dataclass
class CommentRow:
    """A comment as exported. ``text`` is empty for comments their authors removed."""

    id: int
    thread: int
    parent: int | None
    depth: int
    author: str
    created: dt.datetime
    state: str
    moderation_reason: str
    themes: list[str]
    #: People who agree, disagree, passed (imported data), and whether the comment is
    #: contested (:func:`hoering.stances.is_contested`; 1 or 0 in CSV and XLSX).
    agree: int
    disagree: int
    passes: int
    duplicate_group: int | None
    question: str
    text: str
    #: The section of the draft text a top-level comment is about, as cited ("§ 2 Virkeområde"), or "".
    section: str = ""
    #: How each theme came to be on the comment, in the order of :attr:`themes`:
    #: ``[{"theme": name, "source": TagSource value, "confidence": 0 to 1 or None}]``
    #: (JSON only: CSV and XLSX keep one cell of theme names).
    theme_tags: list[dict] = field(default_factory=list)

    @property
    def contested(self) -> bool:
        return is_contested(self.agree, self.disagree)
    def values(self) -> list:
        """Cell values in :data:`COLUMNS` order (themes joined with "; ", time as ISO 8601 UTC)."""
        return [self.id, self.thread, self.parent, self.depth, self.author, self.created.isoformat(), self.state,
                self.moderation_reason, "; ".join(self.themes), self.agree, self.disagree, self.passes,
                int(self.contested), self.duplicate_group, self.question, self.section, self.text]

    def as_dict(self) -> dict:
        """The row for JSON: themes as a list, ``contested`` true or false, and
        ``theme_tags`` (:attr:`theme_tags`: how each tag came to be, by the stable names of
        :class:`hoering.summaries.models.TagSource`)."""
        values = self.values()
        values[8], values[COLUMNS.index("contested")] = self.themes, self.contested
        return {**dict(zip(COLUMNS, values, strict=True)), "theme_tags": self.theme_tags}


def exported_states(full: bool) -> tuple[str, ...]:
    """Published comments for everyone; with ``full`` (moderators) every state."""
    if full:
        return tuple(state.value for state in CommentState)
    return (CommentState.PUBLISHED.value,)


def comment_rows(consultation: Consultation, *, full: bool, duplicate_groups: dict[int, int] | None = None,
                 batch: int = 1000) -> Iterator[CommentRow]:
    """The consultation's comments in thread order (oldest thread first), streamed.

    Args:
        consultation: whose comments.
        full: moderators' export: hidden, rejected, pending and removed comments too
            (marked by their state); otherwise published comments only.
        duplicate_groups: ``{comment id: group number}`` of near-duplicate groups.
        batch: rows read from the database at a time.

    Never includes e-mail addresses or any other account data than the display name.
    """
    duplicate_groups = duplicate_groups or {}
    themes: dict[int, list[str]] = {}
    tags: dict[int, list[dict]] = {}
    for comment_id, name, source, confidence in db.session.execute(
            sa.select(CommentTheme.comment_id, Theme.name, CommentTheme.source, CommentTheme.confidence)
            .join(Theme, Theme.id == CommentTheme.theme_id)
            .where(Theme.consultation_id == consultation.id).order_by(sa.func.lower(Theme.name))):
        themes.setdefault(comment_id, []).append(name)
        tags.setdefault(comment_id, []).append({"theme": name, "source": source, "confidence": confidence})
    questions = dict(db.session.execute(
        sa.select(Question.id, Question.text).where(Question.consultation_id == consultation.id)).all())
    sections = {row.id: row.label for row in db.session.scalars(
        sa.select(Section).where(Section.consultation_id == consultation.id))}
    in_export = sa.and_(Comment.consultation_id == consultation.id, Comment.state.in_(exported_states(full)))
    # Authors once each, named by the model (a deleted account's label); comments as plain
    # columns: building 10,000 ORM objects with their authors took a second.
    authors = {user.id: user.display_name for user in db.session.scalars(
        sa.select(User).where(User.id.in_(sa.select(Comment.author_id).where(in_export))))}
    query = (sa.select(Comment.id, Comment.thread_id, Comment.parent_id, Comment.depth, Comment.author_id,
                       Comment.created_at, Comment.state, Comment.hidden_reason, Comment.support_count,
                       Comment.disagree_count, Comment.pass_count, Comment.question_id, Comment.section_id,
                       Comment.body_text)
             .where(in_export).order_by(Comment.thread_id, Comment.path, Comment.id).execution_options(yield_per=batch))
    for (comment_id, thread_id, parent_id, depth, author_id, created_at, state, hidden_reason, support_count,
         disagree_count, pass_count, question_id, section_id, body_text) in db.session.execute(query):
        yield CommentRow(
            id=comment_id, thread=thread_id or comment_id, parent=parent_id, depth=depth,
            author=authors[author_id], created=created_at, state=state,
            moderation_reason=hidden_reason or "", themes=themes.get(comment_id, []),
            agree=support_count, disagree=disagree_count, passes=pass_count,
            duplicate_group=duplicate_groups.get(comment_id),
            question=questions.get(question_id, "") if question_id else "",
            section=sections.get(section_id, "") if section_id else "",
            text="" if state == CommentState.REMOVED.value else body_text, theme_tags=tags.get(comment_id, []),
        )
