"""The summary ("Dette har vi hørt"): its draft, its versions, its publication and the view
of it that pages and reports show. Themes and tags are in :mod:`hoering.summaries.themes`.

Who may do what is checked by the views (:mod:`hoering.permissions`); these functions
check that the objects belong together (a theme and the comments tagged with it are of
the same consultation; a quoted comment is published and of the consultation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation, Status
from hoering.events import SummaryPublished, announce
from hoering.exceptions import Conflict, ValidationFailed
from hoering.extensions import db
from hoering.responses.models import PUBLIC_STATES, FormalResponse, ResponseTheme
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
    """A posted summary: Markdown texts, quoted comment ids and quoted formal response ids.

    Attributes:
        overview: the overall text.
        sections: ``{theme id: text}``.
        overview_quotes: comment ids quoted in the overall part.
        theme_quotes: ``{theme id: [comment ids]}``.
        overview_responses: formal response ids quoted in the overall part.
        theme_responses: ``{theme id: [formal response ids]}``.
    """

    overview: str
    sections: dict[int, str]
    overview_quotes: list[int]
    theme_quotes: dict[int, list[int]]
    overview_responses: list[int] = field(default_factory=list)
    theme_responses: dict[int, list[int]] = field(default_factory=dict)


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
        ValidationFailed: a text too long, a theme of another consultation, a quoted
            comment that is not a published comment of this consultation, or a quoted
            formal response that is not a published response of it (named in the message,
            so nothing typed is lost).
    """
    if loaded_version is not None and loaded_version != summary_version(summary_of(consultation.id)):
        raise Conflict(_SAVED_MEANWHILE)
    themes = {theme.id: theme for theme in themes_of(consultation.id)}
    if any(theme_id not in themes for theme_id in [*data.sections, *data.theme_quotes, *data.theme_responses]):
        raise ValidationFailed(_l("A theme in the form does not belong to this consultation."))
    _check_responses(consultation, [data.overview_responses, *data.theme_responses.values()])
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
        for theme_id, ids in [(None, data.overview_responses), *data.theme_responses.items()]:
            for response_id in dict.fromkeys(ids):
                summary.quotes.append(SummaryQuote(theme_id=theme_id, response_id=response_id, position=position))
                position += 1
        db.session.commit()
    except sa.exc.IntegrityError:
        if loaded_version is None:
            raise
        db.session.rollback()  # another moderator started the summary at the same moment
        raise Conflict(_SAVED_MEANWHILE) from None
    return summary


def _check_responses(consultation: Consultation, id_lists: list[list[int]]) -> None:
    """Raise :class:`ValidationFailed` naming the quoted formal responses that are not
    published responses of ``consultation`` (held back, unscreened, of another one)."""
    quoted = {response_id for ids in id_lists for response_id in ids}
    if not quoted:
        return
    valid = set(db.session.scalars(sa.select(FormalResponse.id).where(
        FormalResponse.id.in_(quoted), FormalResponse.consultation_id == consultation.id,
        FormalResponse.state.in_(PUBLIC_STATES))))
    invalid = sorted(quoted - valid)
    if invalid:
        known = dict(db.session.execute(sa.select(FormalResponse.id, FormalResponse.reference)
                                        .where(FormalResponse.id.in_(invalid))).all())
        raise ValidationFailed(_l("Only published formal responses of this consultation can be quoted; not: "
                                  "%(refs)s.", refs=", ".join(known.get(i, f"#{i}") for i in invalid)))


def response_references(response_ids: list[int]) -> list[str]:
    """The reference numbers ("HS-2026-0042") of ``response_ids``, in order, each once."""
    found = {response_id: reference for response_id, reference in db.session.execute(
        sa.select(FormalResponse.id, FormalResponse.reference).where(FormalResponse.id.in_(response_ids)))}
    return [found[i] for i in dict.fromkeys(response_ids) if i in found]


def published_response_ids(response_ids: list[int]) -> set[int]:
    """Those of ``response_ids`` that are published formal responses (in full or with
    parts removed) of a consultation that is not a draft."""
    if not response_ids:
        return set()
    return set(db.session.scalars(sa.select(FormalResponse.id).join(Consultation).where(
        FormalResponse.id.in_(response_ids), FormalResponse.state.in_(PUBLIC_STATES),
        Consultation.published_at.is_not(None))))


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
    """A quoted comment, or a quoted formal response, as shown (exactly one is set): only
    published comments, and only the public version of published responses, are shown."""

    comment: Comment | None = None
    response: FormalResponse | None = None

    @property
    def response_excerpt(self) -> str:
        """The quoted response's public text, cut at a word after at most
        :data:`RESPONSE_QUOTE_CHARS` characters (with "…"); the whole is on the public list."""
        return response_excerpt(self.response.public_text) if self.response is not None else ""


#: Characters of a quoted formal response shown in the summary and the report: a response
#: may run to pages, and the whole public version is one link away on the public list.
RESPONSE_QUOTE_CHARS = 600


def response_excerpt(text: str, limit: int = RESPONSE_QUOTE_CHARS) -> str:
    """``text`` (a response's public version) up to ``limit`` characters, cut after the
    last whole word with "…" when it is longer."""
    text = (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def quotable_responses(consultation_id: int) -> tuple[list[FormalResponse], dict[int, list[FormalResponse]]]:
    """The formal responses the summary editor offers to quote: every published one (for
    the overall part), and ``{theme id: those tagged with the theme}``, by reference."""
    published = list(db.session.scalars(
        sa.select(FormalResponse).where(FormalResponse.consultation_id == consultation_id,
                                        FormalResponse.state.in_(PUBLIC_STATES))
        .order_by(FormalResponse.year, FormalResponse.number)))
    by_id = {r.id: r for r in published}
    by_theme: dict[int, list[FormalResponse]] = {}
    if by_id:
        for theme_id, response_id in db.session.execute(
                sa.select(ResponseTheme.theme_id, ResponseTheme.response_id)
                .where(ResponseTheme.response_id.in_(by_id))):
            by_theme.setdefault(theme_id, []).append(by_id[response_id])
    for items in by_theme.values():
        items.sort(key=lambda r: (r.year, r.number))
    return published, by_theme


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
    ids = [quote.comment_id for quote in summary.quotes if quote.comment_id is not None]
    comments = {c.id: c for c in db.session.scalars(sa.select(Comment).where(
        Comment.id.in_(ids), Comment.state == CommentState.PUBLISHED.value))} if ids else {}
    tags = {(link.theme_id, link.comment_id) for link in db.session.scalars(
        sa.select(CommentTheme).where(CommentTheme.comment_id.in_(ids)))} if ids else set()
    responses, response_tags = _quoted_responses(consultation, summary)
    by_theme: dict[int | None, list[Quote]] = {}
    for quote in summary.quotes:
        # A quote under a theme is shown while its comment (or response) is published and
        # still has the theme; a response held back later, or of a consultation taken back
        # to draft, drops out (the editor says so).
        if quote.comment_id in comments and (quote.theme_id is None or (quote.theme_id, quote.comment_id) in tags):
            by_theme.setdefault(quote.theme_id, []).append(Quote(comments[quote.comment_id]))
        elif quote.response_id in responses and (quote.theme_id is None
                                                 or (quote.theme_id, quote.response_id) in response_tags):
            by_theme.setdefault(quote.theme_id, []).append(Quote(response=responses[quote.response_id]))
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

    Quoted comments and formal responses that are not published ones of this consultation
    are left out (saving names them). ``summary`` and ``published_at`` of the result are ``None``.

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
    response_ids = [*data.overview_responses, *(i for quoted in data.theme_responses.values() for i in quoted)]
    shown = published_response_ids(response_ids)
    responses = {r.id: r for r in db.session.scalars(sa.select(FormalResponse).where(
        FormalResponse.id.in_(shown), FormalResponse.consultation_id == consultation.id))} if shown else {}
    for theme_id, quoted in [(None, data.overview_responses), *data.theme_responses.items()]:
        by_theme.setdefault(theme_id, []).extend(Quote(response=responses[i]) for i in dict.fromkeys(quoted)
                                                 if i in responses)
    return SummaryView(None, overview, by_theme.get(None, []), _section_views(consultation, texts, by_theme), None)


def _quoted_responses(consultation: Consultation, summary: Summary):
    """``({response id: response}, {(theme id, response id)})``: the summary's quoted
    formal responses that may be shown (:func:`published_response_ids`) and their themes."""
    ids = published_response_ids([q.response_id for q in summary.quotes if q.response_id is not None])
    if not ids or consultation.published_at is None:
        return {}, set()
    responses = {r.id: r for r in db.session.scalars(sa.select(FormalResponse).where(FormalResponse.id.in_(ids)))}
    tags = {(theme_id, response_id) for theme_id, response_id in db.session.execute(
        sa.select(ResponseTheme.theme_id, ResponseTheme.response_id).where(ResponseTheme.response_id.in_(ids)))}
    return responses, tags
