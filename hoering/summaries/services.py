"""The summary ("Dette har vi hørt"): its draft, its versions, its publication and the view
of it that pages and reports show. Themes and tags are in :mod:`hoering.summaries.themes`.

Who may do what is checked by the views (:mod:`hoering.permissions`); these functions
check that the objects belong together (a theme and the comments tagged with it are of
the same consultation; a quoted comment is published and of the consultation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation, Status
from hoering.events import SummaryPublished, announce
from hoering.exceptions import Conflict, ValidationFailed
from hoering.extensions import db
from hoering.sanitize import has_visible_text, markdown_html, normalize_text
from hoering.summaries.models import (
    SUMMARY_TEXT_MAX_LENGTH,
    CommentTheme,
    Summary,
    SummaryQuote,
    SummarySection,
    Theme,
)
from hoering.summaries.themes import ThemeCount, theme_overview, themes_of
from hoering.timeutil import utcnow


def summary_of(consultation_id: int) -> Summary | None:
    """The consultation's summary (draft or published), if one was started."""
    return db.session.scalar(sa.select(Summary).where(Summary.consultation_id == consultation_id))


@dataclass
class SummaryInput:
    """A posted summary: Markdown texts and quoted comment ids.

    Attributes:
        overview: the overall text.
        sections: ``{theme id: text}``.
        overview_quotes: comment ids quoted in the overall part.
        theme_quotes: ``{theme id: [comment ids]}``.
    """

    overview: str
    sections: dict[int, str]
    overview_quotes: list[int]
    theme_quotes: dict[int, list[int]]


def _check_text(text: str) -> str:
    text = normalize_text(text or "").strip()
    if len(text) > SUMMARY_TEXT_MAX_LENGTH:
        raise ValidationFailed(_l("A summary text can be at most %(n)d characters.", n=SUMMARY_TEXT_MAX_LENGTH))
    return text


def save_summary(consultation: Consultation, user, data: SummaryInput, *, loaded_version: str | None = None) -> Summary:
    """Store the summary texts and quotes (a published summary stays published).

    Args:
        loaded_version: :func:`summary_version` of the summary the form was loaded with
            (``""`` for none yet); when another moderator saved since, nothing is saved.

    Raises:
        Conflict: someone else saved the summary after this form was loaded.
        ValidationFailed: a text too long, a theme of another consultation, or a quoted
            comment that is not a published comment of this consultation (named in the
            message, so nothing typed is lost).
    """
    if loaded_version is not None and loaded_version != summary_version(summary_of(consultation.id)):
        raise Conflict(_SAVED_MEANWHILE)
    themes = {theme.id: theme for theme in themes_of(consultation.id)}
    if any(theme_id not in themes for theme_id in [*data.sections, *data.theme_quotes]):
        raise ValidationFailed(_l("A theme in the form does not belong to this consultation."))
    quoted = {comment_id for ids in [data.overview_quotes, *data.theme_quotes.values()] for comment_id in ids}
    valid = set(db.session.scalars(sa.select(Comment.id).where(
        Comment.id.in_(quoted), Comment.consultation_id == consultation.id,
        Comment.state == CommentState.PUBLISHED.value))) if quoted else set()
    invalid = sorted(quoted - valid)
    if invalid:
        raise ValidationFailed(_l("Only published comments of this consultation can be quoted; not: %(ids)s.",
                                  ids=", ".join(f"#{i}" for i in invalid)))
    overview = _check_text(data.overview)
    texts = {theme_id: _check_text(text) for theme_id, text in data.sections.items()}
    summary = summary_of(consultation.id)
    if summary is None:
        summary = Summary(consultation_id=consultation.id)
        db.session.add(summary)
    elif loaded_version is not None and not _claim(summary):
        raise Conflict(_SAVED_MEANWHILE)
    summary.overview_markdown, summary.overview_html = overview, markdown_html(overview)
    summary.updated_by_id = user.id if user else None
    summary.updated_at = utcnow()
    by_theme = {section.theme_id: section for section in summary.sections}
    for theme_id, text in texts.items():
        section = by_theme.get(theme_id)
        if section is None:
            section = SummarySection(theme_id=theme_id)
            summary.sections.append(section)
        section.text_markdown, section.text_html = text, markdown_html(text)
    summary.quotes.clear()
    try:
        db.session.flush()
        position = 0
        for theme_id, ids in [(None, data.overview_quotes), *data.theme_quotes.items()]:
            for comment_id in dict.fromkeys(ids):
                summary.quotes.append(SummaryQuote(theme_id=theme_id, comment_id=comment_id, position=position))
                position += 1
        db.session.commit()
    except sa.exc.IntegrityError:
        if loaded_version is None:
            raise
        db.session.rollback()  # another moderator started the summary at the same moment
        raise Conflict(_SAVED_MEANWHILE) from None
    return summary


_SAVED_MEANWHILE = _l("Someone else saved the summary while you were writing. Your text is kept below: "
                      "copy what you need, then open the summary again to see theirs.")


def _claim(summary: Summary) -> bool:
    """Move ``summary``'s save time on only if it is still the one it was read with (one
    conditional ``UPDATE``), so that of two moderators saving from the same version at the
    same moment only one gets through; the other's transaction sees no row changed (on
    PostgreSQL it waits for the first's commit and then finds the time moved on)."""
    claimed = db.session.execute(
        sa.update(Summary).where(Summary.id == summary.id, Summary.updated_at == summary.updated_at)
        .values(updated_at=utcnow()).execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def published_ids(comment_ids: list[int]) -> set[int]:
    """Those of ``comment_ids`` that are published comments."""
    if not comment_ids:
        return set()
    return set(db.session.scalars(sa.select(Comment.id).where(
        Comment.id.in_(comment_ids), Comment.state == CommentState.PUBLISHED.value)))


def summary_version(summary: Summary | None) -> str:
    """A token that changes with every save of the summary (its last save time)."""
    return summary.updated_at.isoformat() if summary is not None and summary.updated_at else ""


def publish_summary(consultation: Consultation, user, *, publish: bool = True) -> Summary:
    """Publish the summary ("Dette har vi hørt"): the consultation's status becomes
    *summarized*; or take it back to draft (``publish=False``).

    Raises:
        ValidationFailed: the consultation has not closed yet (publishing sets the status
            *summarized*, which ends commenting), there is no summary, or it has no text.
    """
    summary = summary_of(consultation.id)
    if publish:
        if consultation.status() not in (Status.CLOSED, Status.SUMMARIZED):
            raise ValidationFailed(_l("A summary can be published once the consultation has closed; until then "
                                      "citizens may still comment. It is saved as a draft."))
        if summary is None or not (has_visible_text(summary.overview_markdown)
                                   or any(has_visible_text(s.text_markdown) for s in summary.sections)):
            raise ValidationFailed(_l("Write the summary before publishing it."))
        now = utcnow()
        if summary.published_at is None:
            announce(SummaryPublished(consultation.id))
        summary.published_at = summary.published_at or now
        consultation.summarized_at = consultation.summarized_at or now
    elif summary is not None:
        summary.published_at = None
        consultation.summarized_at = None
    db.session.commit()
    return summary


@dataclass
class Quote:
    """A quoted comment as shown: only published comments are ever shown."""

    comment: Comment


@dataclass
class SummarySectionView:
    """One theme's part of a summary."""

    theme: Theme
    text_html: str
    quotes: list[Quote]
    count: ThemeCount | None


@dataclass
class SummaryView:
    """A summary ready to show: overall text, quotes, and per theme text and quotes."""

    summary: Summary
    overview_html: str
    quotes: list[Quote]
    sections: list[SummarySectionView]
    published_at: dt.datetime | None


def summary_view(consultation: Consultation, *, include_draft: bool = False) -> SummaryView | None:
    """The summary as the page and the reports show it: ``None`` if there is none, or if
    it is a draft and ``include_draft`` is false. Quotes of comments that are no longer
    published are left out."""
    summary = summary_of(consultation.id)
    if summary is None or (summary.published_at is None and not include_draft):
        return None
    ids = [quote.comment_id for quote in summary.quotes]
    comments = {c.id: c for c in db.session.scalars(sa.select(Comment).where(
        Comment.id.in_(ids), Comment.state == CommentState.PUBLISHED.value))} if ids else {}
    tags = {(link.theme_id, link.comment_id) for link in db.session.scalars(
        sa.select(CommentTheme).where(CommentTheme.comment_id.in_(ids)))} if ids else set()
    by_theme: dict[int | None, list[Quote]] = {}
    for quote in summary.quotes:
        # A quote under a theme is shown while its comment is published and still has the theme.
        if quote.comment_id in comments and (quote.theme_id is None or (quote.theme_id, quote.comment_id) in tags):
            by_theme.setdefault(quote.theme_id, []).append(Quote(comments[quote.comment_id]))
    texts = {section.theme_id: section.text_html for section in summary.sections}
    return SummaryView(summary, summary.overview_html, by_theme.get(None, []),
                       _section_views(consultation, texts, by_theme), summary.published_at)


def _section_views(consultation: Consultation, texts: dict[int, str],
                   by_theme: dict[int | None, list[Quote]]) -> list[SummarySectionView]:
    """The themes with a text or a quote, the largest theme first (as in the report and
    the statistics)."""
    counts = {count.theme.id: count for count in theme_overview(consultation, uncovered_limit=0).themes}
    return [SummarySectionView(count.theme, texts.get(theme_id, ""), by_theme.get(theme_id, []), count)
            for theme_id, count in counts.items()
            if texts.get(theme_id) or by_theme.get(theme_id)]


def summary_preview(consultation: Consultation, data: SummaryInput) -> SummaryView:
    """The summary as the consultation page would show it with the texts and quotes of
    ``data``, rendered by the same renderer (:func:`hoering.sanitize.markdown_html`) and
    shown through the same template; nothing is written.

    Quoted comments that are not published comments of this consultation are left out
    (saving names them). ``summary`` and ``published_at`` of the result are ``None``.

    Raises:
        ValidationFailed: a text longer than :data:`SUMMARY_TEXT_MAX_LENGTH`.
    """
    overview = markdown_html(_check_text(data.overview))
    texts = {theme_id: markdown_html(_check_text(text)) for theme_id, text in data.sections.items()}
    ids = [*data.overview_quotes, *(i for quoted in data.theme_quotes.values() for i in quoted)]
    comments = {c.id: c for c in db.session.scalars(sa.select(Comment).where(
        Comment.id.in_(ids), Comment.consultation_id == consultation.id,
        Comment.state == CommentState.PUBLISHED.value))} if ids else {}
    by_theme: dict[int | None, list[Quote]] = {
        theme_id: [Quote(comments[i]) for i in dict.fromkeys(quoted) if i in comments]
        for theme_id, quoted in [(None, data.overview_quotes), *data.theme_quotes.items()]}
    return SummaryView(None, overview, by_theme.get(None, []), _section_views(consultation, texts, by_theme), None)
