"""Themes, tagging, the summary and its publication.

Who may do what is checked by the views (:mod:`hoering.permissions`); these functions
check that the objects belong together (a theme and the comments tagged with it are of
the same consultation; a quoted comment is published and of the consultation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering.comments.models import Comment, CommentState, count_participants
from hoering.consultations.models import Consultation, Status
from hoering.database import insert_unless_present
from hoering.events import SummaryPublished, announce
from hoering.exceptions import Conflict, ValidationFailed
from hoering.extensions import db
from hoering.sanitize import contains_bidi_controls, has_visible_text, markdown_html, normalize_line, normalize_text
from hoering.summaries.models import (
    SUMMARY_TEXT_MAX_LENGTH,
    THEME_DESCRIPTION_MAX_LENGTH,
    THEME_NAME_MAX_LENGTH,
    CommentTheme,
    Summary,
    SummaryQuote,
    SummarySection,
    Theme,
)
from hoering.timeutil import utcnow

# --- themes --------------------------------------------------------------------------------------

def themes_of(consultation_id: int) -> list[Theme]:
    """The consultation's themes, by name."""
    return list(db.session.scalars(
        sa.select(Theme).where(Theme.consultation_id == consultation_id).order_by(sa.func.lower(Theme.name))))


def theme_groups(consultation_ids) -> list[tuple[str, list[Theme]]]:
    """``[(consultation title, [themes])]`` for the given consultations that have themes,
    by title (for theme pickers on pages that span consultations); one query."""
    ids = set(consultation_ids)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(Consultation.title, Theme).join(Theme, Theme.consultation_id == Consultation.id)
        .where(Consultation.id.in_(ids)).order_by(Consultation.title, Consultation.id, sa.func.lower(Theme.name))).all()
    groups: dict[int, tuple[str, list[Theme]]] = {}
    for title, theme in rows:
        groups.setdefault(theme.consultation_id, (title, []))[1].append(theme)
    return list(groups.values())


def check_theme_text(name: str, description: str = "") -> tuple[str, str]:
    """The cleaned theme name and description.

    Raises:
        ValidationFailed: empty name, too long, or text-direction control characters.
    """
    name = normalize_line(name or "")
    description = normalize_text(description or "").strip()
    if not has_visible_text(name):
        raise ValidationFailed(_l("Give the theme a name."))
    if contains_bidi_controls(name) or contains_bidi_controls(description):
        raise ValidationFailed(_l("Theme names and descriptions cannot contain characters that reverse the "
                                  "direction of text."))
    if len(name) > THEME_NAME_MAX_LENGTH:
        raise ValidationFailed(_l("A theme name can be at most %(n)d characters.", n=THEME_NAME_MAX_LENGTH))
    if len(description) > THEME_DESCRIPTION_MAX_LENGTH:
        raise ValidationFailed(_l("A theme description can be at most %(n)d characters.",
                                  n=THEME_DESCRIPTION_MAX_LENGTH))
    return name, description


def _check_name_free(consultation_id: int, name: str, except_id: int | None = None) -> None:
    clash = db.session.scalar(sa.select(Theme.id).where(
        Theme.consultation_id == consultation_id, sa.func.lower(Theme.name) == name.lower(),
        Theme.id != (except_id or 0)))
    if clash is not None:
        raise Conflict(_l("This consultation already has a theme called “%(name)s”.", name=name))


def create_theme(consultation: Consultation, user, name: str, description: str = "") -> Theme:
    """Add a theme to ``consultation``.

    Raises:
        ValidationFailed: empty or too long name or description.
        Conflict: the consultation has a theme of that name (case-insensitive).
    """
    name, description = check_theme_text(name, description)
    _check_name_free(consultation.id, name)
    theme = Theme(consultation_id=consultation.id, name=name, description=description,
                  created_by_id=user.id if user else None)
    db.session.add(theme)
    db.session.commit()
    return theme


def update_theme(theme: Theme, name: str, description: str) -> Theme:
    """Rename or describe a theme.

    Raises:
        ValidationFailed, Conflict: as :func:`create_theme`.
    """
    name, description = check_theme_text(name, description)
    _check_name_free(theme.consultation_id, name, except_id=theme.id)
    theme.name, theme.description = name, description
    db.session.commit()
    return theme


def delete_theme(theme: Theme) -> None:
    """Delete a theme, its tags, its summary text and the quotes under it."""
    delete_theme_without_commit(theme)
    db.session.commit()


def merge_themes(target: Theme, others: list[Theme]) -> Theme:
    """Move every tag of ``others`` to ``target`` and delete ``others`` (same consultation).

    Raises:
        ValidationFailed: a theme of another consultation.
    """
    if any(other.consultation_id != target.consultation_id for other in others):
        raise ValidationFailed(_l("Only themes of the same consultation can be merged."))
    others = [other for other in others if other.id != target.id]
    if not others:
        return target
    other_ids = [other.id for other in others]
    tagged = set(db.session.scalars(sa.select(CommentTheme.comment_id).where(CommentTheme.theme_id == target.id)))
    for link in db.session.scalars(sa.select(CommentTheme).where(CommentTheme.theme_id.in_(other_ids))).all():
        if link.comment_id not in tagged:
            db.session.add(CommentTheme(comment_id=link.comment_id, theme_id=target.id,
                                        tagged_by_id=link.tagged_by_id, tagged_at=link.tagged_at))
            tagged.add(link.comment_id)
    db.session.flush()
    _move_summary_parts(target, others)
    for other in others:
        delete_theme_without_commit(other)
    db.session.commit()
    return target


def _move_summary_parts(target: Theme, others: list[Theme]) -> None:
    """Merging keeps what the summary says: the merged themes' texts are appended to the
    target's, and their quotes move to it."""
    summary = summary_of(target.consultation_id)
    if summary is None:
        return
    other_ids = {other.id for other in others}
    texts = [s.text_markdown for s in summary.sections if s.theme_id in other_ids and s.text_markdown.strip()]
    if texts:
        section = next((s for s in summary.sections if s.theme_id == target.id), None)
        if section is None:
            section = SummarySection(theme_id=target.id, text_markdown="", text_html="")
            summary.sections.append(section)
        section.text_markdown = "\n\n".join(t for t in [section.text_markdown.strip(), *texts] if t)
        section.text_html = markdown_html(section.text_markdown)
    quoted = {q.comment_id for q in summary.quotes if q.theme_id == target.id}
    for quote in summary.quotes:
        if quote.theme_id in other_ids and quote.comment_id not in quoted:
            quote.theme_id = target.id
            quoted.add(quote.comment_id)
    db.session.flush()


def delete_theme_without_commit(theme: Theme) -> None:
    """:func:`delete_theme` inside a larger transaction."""
    db.session.execute(sa.delete(CommentTheme).where(CommentTheme.theme_id == theme.id))
    db.session.execute(sa.delete(SummaryQuote).where(SummaryQuote.theme_id == theme.id))
    db.session.execute(sa.delete(SummarySection).where(SummarySection.theme_id == theme.id))
    db.session.delete(theme)


@dataclass
class TagResult:
    """What a tagging request did: ids changed, ids already so, ids refused (not found,
    another consultation, removed)."""

    changed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


def tag_comments(theme: Theme, comment_ids: list[int], user, *, remove: bool = False) -> TagResult:
    """Tag (or with ``remove`` untag) comments with ``theme``; one commit for all.

    Only comments of the theme's consultation that are not removed can be tagged; the
    others are listed in ``refused``. Each tag is added or taken away by one statement the
    database decides (a tag exists once, by the table's primary key), so moderators tagging
    the same comments at the same moment each keep their other tags, and ``changed`` lists
    only what this call changed.
    """
    result = TagResult()
    wanted = list(dict.fromkeys(comment_ids))
    comments = {c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(wanted)))}
    for comment_id in wanted:
        comment = comments.get(comment_id)
        if comment is None or comment.consultation_id != theme.consultation_id or (
                not remove and comment.state == CommentState.REMOVED.value):
            result.refused.append(comment_id)
            continue
        if remove:
            changed = db.session.execute(sa.delete(CommentTheme).where(
                CommentTheme.theme_id == theme.id, CommentTheme.comment_id == comment_id)).rowcount == 1
        else:
            changed = insert_unless_present(
                CommentTheme, {"comment_id": comment_id, "theme_id": theme.id,
                               "tagged_by_id": user.id if user else None},
                unique=("comment_id", "theme_id"))
        (result.changed if changed else result.unchanged).append(comment_id)
    db.session.commit()
    return result


def themes_by_comment(comment_ids: list[int]) -> dict[int, list[Theme]]:
    """``{comment id: [themes]}`` for the given comments, in one query."""
    if not comment_ids:
        return {}
    rows = db.session.execute(
        sa.select(CommentTheme.comment_id, Theme).join(Theme, Theme.id == CommentTheme.theme_id)
        .where(CommentTheme.comment_id.in_(comment_ids)).order_by(sa.func.lower(Theme.name))).all()
    found: dict[int, list[Theme]] = {}
    for comment_id, theme in rows:
        found.setdefault(comment_id, []).append(theme)
    return found


@dataclass
class ThemeCount:
    """A theme's published comments, distinct participants and supports."""

    theme: Theme
    comments: int
    participants: int
    supports: int


@dataclass
class ThemeOverview:
    """Every theme with its counts, and the published comments no theme covers yet."""

    themes: list[ThemeCount]
    uncovered: list[Comment]
    uncovered_total: int
    published_total: int


def theme_overview(consultation: Consultation, uncovered_limit: int = 50) -> ThemeOverview:
    """Counts per theme (published comments only) and the first uncovered comments, oldest
    first; a constant number of queries."""
    published = sa.and_(Comment.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value)
    rows = db.session.execute(
        sa.select(Theme, sa.func.count(Comment.id), count_participants(),
                  sa.func.coalesce(sa.func.sum(Comment.support_count), 0))
        .select_from(Theme)
        .outerjoin(CommentTheme, CommentTheme.theme_id == Theme.id)
        .outerjoin(Comment, sa.and_(Comment.id == CommentTheme.comment_id, published))
        .where(Theme.consultation_id == consultation.id)
        .group_by(Theme.id).order_by(sa.func.lower(Theme.name))).all()
    covered = sa.select(CommentTheme.comment_id).join(Theme, Theme.id == CommentTheme.theme_id).where(
        Theme.consultation_id == consultation.id)
    uncovered_query = sa.select(Comment).where(published, Comment.id.not_in(covered))
    uncovered_total = db.session.scalar(sa.select(sa.func.count()).select_from(uncovered_query.subquery()))
    uncovered = list(db.session.scalars(uncovered_query.order_by(Comment.created_at, Comment.id)
                                        .limit(uncovered_limit)))
    published_total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(published))
    return ThemeOverview([ThemeCount(theme, comments, participants, int(supports))
                          for theme, comments, participants, supports in rows],
                         uncovered, uncovered_total, published_total)


def theme_comments(theme: Theme, states: tuple[str, ...] | None = None) -> list[Comment]:
    """Comments tagged with ``theme`` (optionally only in ``states``), oldest first."""
    query = sa.select(Comment).join(CommentTheme, CommentTheme.comment_id == Comment.id).where(
        CommentTheme.theme_id == theme.id)
    if states:
        query = query.where(Comment.state.in_(states))
    return list(db.session.scalars(query.order_by(Comment.created_at, Comment.id)))


# --- the summary -----------------------------------------------------------------------------------

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
        raise Conflict(_l("Someone else saved the summary while you were writing. Your text is kept below: "
                          "copy what you need, then open the summary again to see theirs."))
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
    db.session.flush()
    position = 0
    for theme_id, ids in [(None, data.overview_quotes), *data.theme_quotes.items()]:
        for comment_id in dict.fromkeys(ids):
            summary.quotes.append(SummaryQuote(theme_id=theme_id, comment_id=comment_id, position=position))
            position += 1
    db.session.commit()
    return summary


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
    counts = {count.theme.id: count for count in theme_overview(consultation, uncovered_limit=0).themes}
    sections = [SummarySectionView(theme, texts.get(theme.id, ""), by_theme.get(theme.id, []), counts.get(theme.id))
                for theme in themes_of(consultation.id)
                if texts.get(theme.id) or by_theme.get(theme.id)]
    return SummaryView(summary, summary.overview_html, by_theme.get(None, []), sections, summary.published_at)
