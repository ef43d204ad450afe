"""Themes of a consultation: creating, renaming, merging and deleting them, tagging comments
with them, and counting what each covers.

Who may do what is checked by the views (:mod:`hoering.permissions`); these functions
check that the objects belong together (a theme and the comments tagged with it are of
the same consultation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering.comments.models import Comment, CommentState, count_participants
from hoering.consultations import versions
from hoering.consultations.models import Consultation
from hoering.database import insert_unless_present
from hoering.exceptions import Conflict, ValidationFailed
from hoering.extensions import db
from hoering.names import fold_name
from hoering.sanitize import contains_bidi_controls, has_visible_text, markdown_html, normalize_line, normalize_text
from hoering.stances import Tally, tally
from hoering.summaries.models import (
    THEME_DESCRIPTION_MAX_LENGTH,
    THEME_NAME_MAX_LENGTH,
    CommentTheme,
    ReadWithoutTheme,
    Summary,
    SummaryQuote,
    SummarySection,
    TagSource,
    Theme,
    ThemeSeed,
)


def themes_of(consultation_id: int) -> list[Theme]:
    """The consultation's themes, by name."""
    return list(db.session.scalars(
        sa.select(Theme).where(Theme.consultation_id == consultation_id).order_by(sa.func.lower(Theme.name))))


def themes_by_size(consultation_id: int) -> list[tuple[Theme, int]]:
    """The consultation's themes with the number of published comments tagged with each,
    largest first, ties by name (case-insensitive) then id: ``[(theme, count)]``; one query."""
    count = sa.func.count(Comment.id)
    rows = db.session.execute(
        sa.select(Theme, count).select_from(Theme)
        .outerjoin(CommentTheme, CommentTheme.theme_id == Theme.id)
        .outerjoin(Comment, sa.and_(Comment.id == CommentTheme.comment_id,
                                    Comment.state == CommentState.PUBLISHED.value))
        .where(Theme.consultation_id == consultation_id)
        .group_by(Theme.id).order_by(count.desc(), sa.func.lower(Theme.name), Theme.id)).all()
    return [(theme, int(n)) for theme, n in rows]


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


def check_name_free(consultation_id: int, name: str, except_id: int | None = None) -> None:
    """Refuse a name that looks like another theme's of the consultation: the same letters
    in another case, or look-alike letters from another script, invisible characters or
    marks below letters (compared folded as display names are, :func:`hoering.names.fold_name`),
    so that the moderators never have two themes they cannot tell apart.

    Raises:
        Conflict: names the theme it looks like.
    """
    folded = fold_name(name)
    for other in db.session.scalars(sa.select(Theme.name).where(
            Theme.consultation_id == consultation_id, Theme.id != (except_id or 0))):
        if other.lower() == name.lower() or fold_name(other) == folded:
            raise Conflict(_l("This consultation already has a theme called “%(name)s”.", name=other))


def create_theme(consultation: Consultation, user, name: str, description: str = "", *,
                 commit: bool = True) -> Theme:
    """Add a theme to ``consultation`` (flushed, not committed, with ``commit=False``:
    inside a larger transaction).

    Raises:
        ValidationFailed: empty or too long name or description.
        Conflict: the consultation has a theme of that name (case-insensitive).
    """
    name, description = check_theme_text(name, description)
    check_name_free(consultation.id, name)
    theme = Theme(consultation_id=consultation.id, name=name, description=description,
                  created_by_id=user.id if user else None)
    db.session.add(theme)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return theme


def update_theme(theme: Theme, name: str, description: str) -> Theme:
    """Rename or describe a theme.

    Raises:
        ValidationFailed, Conflict: as :func:`create_theme`.
    """
    name, description = check_theme_text(name, description)
    check_name_free(theme.consultation_id, name, except_id=theme.id)
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
                                        tagged_by_id=link.tagged_by_id, tagged_at=link.tagged_at,
                                        source=link.source, confidence=link.confidence))
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
    summary = db.session.scalar(sa.select(Summary).where(Summary.consultation_id == target.consultation_id))
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
    quoted = {(q.comment_id, q.response_id) for q in summary.quotes if q.theme_id == target.id}
    for quote in summary.quotes:
        if quote.theme_id in other_ids and (quote.comment_id, quote.response_id) not in quoted:
            quote.theme_id = target.id
            quoted.add((quote.comment_id, quote.response_id))
    db.session.flush()


def delete_theme_without_commit(theme: Theme) -> None:
    """:func:`delete_theme` inside a larger transaction."""
    db.session.execute(sa.delete(CommentTheme).where(CommentTheme.theme_id == theme.id))
    db.session.execute(sa.delete(ThemeSeed).where(ThemeSeed.theme_id == theme.id))
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


def tag_comments(theme: Theme, comment_ids: list[int], user, *, remove: bool = False,
                 source: TagSource = TagSource.MANUAL, confidences: dict[int, float] | None = None,
                 commit: bool = True) -> TagResult:
    """Tag (or with ``remove`` untag) comments with ``theme``; one commit for all (none with
    ``commit=False``: inside a larger transaction).

    ``source`` says how the tags came to be and ``confidences`` (``{comment id: 0 to 1}``)
    the accepted proposals' confidences; both are recorded with each new tag
    (:class:`hoering.summaries.models.CommentTheme`) for the report's method section.

    Only comments of the theme's consultation that are not removed can be tagged; the
    others are listed in ``refused``. Tagging takes away a comment's "read, no theme" mark
    (:mod:`hoering.summaries.coding`). Each tag is added or taken away by one statement the
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
                               "tagged_by_id": user.id if user else None, "source": TagSource(source).value,
                               "confidence": (confidences or {}).get(comment_id)},
                unique=("comment_id", "theme_id"))
        (result.changed if changed else result.unchanged).append(comment_id)
    if result.changed and not remove:
        # A tagged comment is analysed by its theme: its "read, no theme" mark goes.
        db.session.execute(sa.delete(ReadWithoutTheme).where(ReadWithoutTheme.comment_id.in_(result.changed)))
        # An INSERT flushes no object, so the content version is raised here (a quote
        # under a theme is shown while its comment has the theme).
        versions.bump(consultation_ids=[theme.consultation_id])
    if commit:
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
    """A theme's published comments, distinct participants, and the agree (``supports``),
    disagree and pass votes on them, summed."""

    theme: Theme
    comments: int
    participants: int
    supports: int
    disagree: int = 0
    passes: int = 0

    @property
    def tally(self) -> Tally:
        """The theme's votes and whether they split (:func:`hoering.stances.is_contested`
        of the sums: a theme whose comments divide is contested as a whole)."""
        return tally(self.supports, self.disagree, self.passes)


@dataclass
class ThemeOverview:
    """Every theme with its counts, and the published comments no theme covers yet."""

    themes: list[ThemeCount]
    uncovered: list[Comment]
    uncovered_total: int
    published_total: int


def theme_overview(consultation: Consultation, uncovered_limit: int = 50) -> ThemeOverview:
    """Counts per theme (published comments only), the largest theme first (ties by name),
    as the report orders them, and the first uncovered comments, oldest first; a constant
    number of queries."""
    published = sa.and_(Comment.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value)
    rows = db.session.execute(
        sa.select(Theme, sa.func.count(Comment.id), count_participants(),
                  sa.func.coalesce(sa.func.sum(Comment.support_count), 0),
                  sa.func.coalesce(sa.func.sum(Comment.disagree_count), 0),
                  sa.func.coalesce(sa.func.sum(Comment.pass_count), 0))
        .select_from(Theme)
        .outerjoin(CommentTheme, CommentTheme.theme_id == Theme.id)
        .outerjoin(Comment, sa.and_(Comment.id == CommentTheme.comment_id, published))
        .where(Theme.consultation_id == consultation.id)
        .group_by(Theme.id).order_by(sa.func.count(Comment.id).desc(), sa.func.lower(Theme.name), Theme.id)).all()
    covered = sa.select(CommentTheme.comment_id).join(Theme, Theme.id == CommentTheme.theme_id).where(
        Theme.consultation_id == consultation.id)
    uncovered_query = sa.select(Comment).where(published, Comment.id.not_in(covered))
    uncovered_total = db.session.scalar(sa.select(sa.func.count()).select_from(uncovered_query.subquery()))
    uncovered = list(db.session.scalars(uncovered_query.order_by(Comment.created_at, Comment.id)
                                        .limit(uncovered_limit)))
    published_total = db.session.scalar(sa.select(sa.func.count(Comment.id)).where(published))
    return ThemeOverview([ThemeCount(theme, comments, participants, int(supports), int(disagree), int(passes))
                          for theme, comments, participants, supports, disagree, passes in rows],
                         uncovered, uncovered_total, published_total)


def theme_comments(theme: Theme, states: tuple[str, ...] | None = None) -> list[Comment]:
    """Comments tagged with ``theme`` (optionally only in ``states``), oldest first."""
    query = sa.select(Comment).join(CommentTheme, CommentTheme.comment_id == Comment.id).where(
        CommentTheme.theme_id == theme.id)
    if states:
        query = query.where(Comment.state.in_(states))
    return list(db.session.scalars(query.order_by(Comment.created_at, Comment.id)))


#: Themes the keyboard reaches with the digits 1–9 ("Én og én", "Foreslåtte temaer").
DIGIT_THEMES = 9
#: Keys for the themes after the digits 1–9: the letters the page
#: uses for nothing else ("j" accepts the proposal, "l" marks read without a theme, "n"
#: goes on, "s" skips). Themes past these get no key, only their button.
THEME_LETTERS = "abcdefghikmopqrtuvwxyz"


def theme_keys(count: int) -> list[str | None]:
    """The keys of ``count`` themes in the order of their buttons: ``"1"``–``"9"``, then the
    letters of :data:`THEME_LETTERS`, then ``None`` (no key)."""
    keys = [str(n) for n in range(1, DIGIT_THEMES + 1)] + list(THEME_LETTERS)
    return [keys[i] if i < len(keys) else None for i in range(count)]


def key_ranges(keys: list[str | None]) -> str:
    """The keys given, runs of neighbours shortened: ``"1–9, a–f"``, ``"1–9, a–i, k, m"``."""
    order = [str(n) for n in range(1, DIGIT_THEMES + 1)] + list(THEME_LETTERS)
    runs: list[list[str]] = []
    for key in (k for k in keys if k):
        if runs and order.index(key) == order.index(runs[-1][-1]) + 1 and key.isdigit() == runs[-1][-1].isdigit() \
                and ord(key) == ord(runs[-1][-1]) + 1:
            runs[-1].append(key)
        else:
            runs.append([key])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}, {run[1]}" if len(run) == 2 else f"{run[0]}–{run[-1]}"
                     for run in runs)
