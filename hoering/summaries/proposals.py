"""The proposals page ("Foreslåtte temaer") as a service: the proposals of the comments
not analysed yet grouped by proposed theme and paged, the comments without a proposal,
and settling a group (accept, change, read, decline) or everything above a confidence.

The proposals themselves come from :func:`hoering.summaries.suggestions.proposed_themes`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.database import insert_unless_present
from hoering.exceptions import ValidationFailed
from hoering.extensions import db
from hoering.summaries import coding, suggestions
from hoering.summaries import themes as theme_services
from hoering.summaries.models import DeclinedProposal, ReadWithoutTheme, TagSource, Theme
from hoering.timeutil import utcnow

#: Proposals shown on one page of "Foreslåtte temaer" (the groups continue on the next).
PROPOSALS_PER_PAGE = 100


@dataclass
class ProposalGroup:
    """The proposals of one theme on a page: ``rows`` most confident first; ``total`` is
    the group's size on every page, ``first`` the 1-based position of its first row
    shown."""

    theme: Theme
    rows: list[suggestions.ProposedTheme]
    total: int
    first: int


@dataclass
class ProposalPage:
    """A page of proposals grouped by proposed theme (largest group first)."""

    groups: list[ProposalGroup]
    themes: dict[int, Theme]
    untagged: int
    proposed: int
    page: int
    pages: int
    #: On the last page: comments not analysed yet that have no proposal (no theme is close
    #: enough), oldest first, at most a page of them; ``without_total`` counts them all.
    without: list[Comment] = field(default_factory=list)
    without_total: int = 0


def _ordered(consultation: Consultation, themes: dict[int, Theme]) -> tuple[list[tuple[int, int, float]], int]:
    """Every current proposal as ``(comment id, theme id, confidence)``, grouped by theme
    (largest group first, ties by theme name), most confident first within a group (ties
    by comment id); and the number of published comments not analysed yet."""
    proposals = suggestions.proposed_themes(consultation)
    uncovered = set(db.session.scalars(sa.select(Comment.id).where(
        Comment.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value,
        Comment.id.not_in(suggestions.covered_query(consultation.id)))))
    unanalysed = len(uncovered - suggestions.read_ids(consultation.id))
    rows = [(c, t, confidence) for c, (t, confidence) in proposals.items() if c in uncovered and t in themes]
    sizes = Counter(t for _, t, _ in rows)
    rows.sort(key=lambda r: (-sizes[r[1]], themes[r[1]].name.casefold(), r[1], -r[2], r[0]))
    return rows, unanalysed


def proposal_page(consultation: Consultation, page: int = 1, per_page: int | None = None) -> ProposalPage:
    """One page of the proposals, grouped by proposed theme, largest group first and most
    confident first within a group; a page holds at most ``per_page`` proposals (a large
    group continues on the next page), and only the page's comments are loaded.

    Args:
        page: 1-based; a page past the last shows the last.
        per_page: proposals a page (default :data:`PROPOSALS_PER_PAGE`).
    """
    per_page = per_page or PROPOSALS_PER_PAGE
    themes = {t.id: t for t in theme_services.themes_of(consultation.id)}
    rows, unanalysed = _ordered(consultation, themes)
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * per_page:page * per_page]
    comments = {c.id: c for c in db.session.scalars(
        sa.select(Comment).where(Comment.id.in_([c for c, _, _ in shown])))} if shown else {}
    sizes = Counter(t for _, t, _ in rows)
    before = Counter(t for _, t, _ in rows[:(page - 1) * per_page])
    groups: list[ProposalGroup] = []
    for comment_id, theme_id, confidence in shown:
        if not groups or groups[-1].theme.id != theme_id:
            groups.append(ProposalGroup(themes[theme_id], [], sizes[theme_id], before[theme_id] + 1))
        groups[-1].rows.append(suggestions.ProposedTheme(comments[comment_id], themes[theme_id], confidence))
    listing = ProposalPage(groups, themes, unanalysed, len(rows), page, pages)
    if page == pages and themes:
        proposed = {c for c, _, _ in rows}
        left = sa.select(Comment).where(
            Comment.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value,
            Comment.id.not_in(suggestions.covered_query(consultation.id)), Comment.id.not_in(
                sa.select(ReadWithoutTheme.comment_id))).order_by(Comment.created_at, Comment.id)
        # Ids first (thousands may be left), then only the page's comments are loaded.
        without = [i for i in db.session.scalars(left.with_only_columns(Comment.id)) if i not in proposed]
        shown_ids = without[:per_page]
        loaded = {c.id: c for c in db.session.scalars(sa.select(Comment).where(Comment.id.in_(shown_ids)))} \
            if shown_ids else {}
        listing.without, listing.without_total = [loaded[i] for i in shown_ids], len(without)
    return listing


def proposals_above(consultation: Consultation, percent: int, excluded: set[int] = frozenset()
                    ) -> list[tuple[int, int, float]]:
    """The current proposals with a confidence of at least ``percent`` (0 to 100), except
    the comments in ``excluded`` (ids the moderator unticked): ``[(comment id, theme id,
    confidence)]`` in the page's order."""
    themes = {t.id: t for t in theme_services.themes_of(consultation.id)}
    return [row for row in _ordered(consultation, themes)[0] if row[2] * 100 >= percent and row[0] not in excluded]


def decline_proposals(consultation: Consultation, user, pairs: list[tuple[int, int]], *,
                      commit: bool = True) -> int:
    """Record that a moderator declined these proposals (``[(comment id, theme id)]``):
    the theme is not proposed for the comment again (:func:`proposed_themes` proposes the
    next best theme, or none). A pair declined before is left as it was (the primary key
    decides). Commits, unless ``commit=False`` (inside a larger transaction).

    Returns:
        The number of pairs newly declined.

    Raises:
        ValidationFailed: a theme that is not one of the consultation's, or a comment that is
            not a published comment of it; then nothing is recorded.
    """
    suggestions.check_pairs(consultation, pairs)
    added = 0
    for comment_id, theme_id in dict.fromkeys(pairs):
        added += insert_unless_present(DeclinedProposal, {
            "comment_id": comment_id, "theme_id": theme_id, "declined_by_id": user.id if user else None,
            "declined_at": utcnow()}, unique=("comment_id", "theme_id"))
    if commit:
        db.session.commit()
    return added


#: The choice "read, no theme" in a row of a group of proposals.
READ_WITHOUT_THEME = "read"


@dataclass
class GroupResult:
    """What accepting a group of proposals did: comments tagged with the proposed theme,
    tagged with another theme, marked "read, no theme", and proposals declined."""

    accepted: int = 0
    changed: int = 0
    read: int = 0
    declined: int = 0


def accept_group(consultation: Consultation, user, theme_id: int | None, rows: list[int],
                 choices: dict[int, int | str]) -> GroupResult:
    """Settle one group of proposals (the rows of one proposed theme on the page).

    Each ticked row (a key of ``choices``) is tagged with the theme chosen for it: the
    proposed theme ``theme_id`` as an accepted proposal (:attr:`TagSource.PROPOSAL`, with
    its confidence), another theme of the consultation as the moderator's own choice
    (:attr:`TagSource.MANUAL`), or :data:`READ_WITHOUT_THEME` marks it "read, no theme"
    (:func:`hoering.summaries.coding.mark_read_without_theme`). Every row whose proposal was
    not taken as it stood (unticked, another theme, or read) is recorded as declined
    (:func:`decline_proposals`), so that theme is not proposed for it again. All of it is
    one transaction: the group is settled whole or not at all.

    Args:
        theme_id: the group's proposed theme; ``None`` for the comments shown without a
            proposal (:attr:`ProposalPage.without`): a theme chosen for one is the
            moderator's own (:attr:`TagSource.MANUAL`), and nothing is declined.
        rows: the comment ids shown in the group.
        choices: ``{ticked comment id: theme id or READ_WITHOUT_THEME}``; its keys are among
            ``rows``.

    Raises:
        ValidationFailed: a theme that is not the consultation's, a comment that is not a
            published comment of it, or a choice for a comment not in the group; then
            nothing is written.
    """
    if set(choices) - set(rows):
        raise ValidationFailed(_l("A proposal was not understood; reload the page and try again."))
    chosen_pairs = [(c, t) for c, t in choices.items() if t != READ_WITHOUT_THEME]
    if theme_id is None:  # the comments with no proposal: nothing to decline
        themes = suggestions.check_pairs(consultation, chosen_pairs)
        suggestions.check_published(consultation, set(rows))
    else:
        themes = suggestions.check_pairs(consultation, [(c, theme_id) for c in rows] + chosen_pairs)
    if not rows:
        raise ValidationFailed(_l("A proposal was not understood; reload the page and try again."))
    result = GroupResult()
    by_theme: dict[int, list[int]] = {}
    for comment_id, chosen in choices.items():
        if chosen != READ_WITHOUT_THEME:
            by_theme.setdefault(int(chosen), []).append(comment_id)
    # Read before anything is written (it may run a child process, which must not wait for
    # this transaction); the rows accepted are not among those declined here.
    proposals = suggestions.proposed_themes(consultation)
    try:
        # In the order of the ids, so that two moderators settling the same group at once
        # take the rows' locks in the same order (no deadlock on PostgreSQL).
        declined = sorted(c for c in rows if choices.get(c) != theme_id) if theme_id is not None else []
        if declined:
            result.declined = decline_proposals(consultation, user, [(c, theme_id) for c in declined], commit=False)
        for target, ids in sorted(by_theme.items()):
            same = target == theme_id
            confidences = {c: proposals[c][1] for c in ids if same and c in proposals and proposals[c][0] == target}
            tagged = theme_services.tag_comments(themes[target], sorted(ids), user, confidences=confidences,
                                                 source=TagSource.PROPOSAL if same else TagSource.MANUAL,
                                                 commit=False)
            if same:
                result.accepted += len(tagged.changed)
            else:
                result.changed += len(tagged.changed)
        read = sorted(c for c, chosen in choices.items() if chosen == READ_WITHOUT_THEME)
        if read:
            result.read = len(coding.mark_read_without_theme(consultation.id, read, user, commit=False).changed)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result
