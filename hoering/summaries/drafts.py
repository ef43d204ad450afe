"""Drafting help without invention: for each theme, a draft paragraph built only from its
comments, for the moderator to edit.

A draft holds what the comments themselves say and what can be counted, never prose no
citizen wrote (the "We asked, you said" reports of Citizen Space and Consul hold the same
line): the number of comments and people, the agree and disagree votes, the comments that
represent the theme best, quoted word for word, and its contested comments
(:func:`hoering.stances.is_contested`) named with both counts. Every sentence cites the
comments it rests on by their numbers (#id).

*Most representative* is by meaning, not by support: a comment's centrality is the cosine
similarity of its vector (:mod:`hoering.summaries.vectors`) to the mean vector of the
theme's published comments; the quotes are then picked by maximal marginal relevance
(Carbonell and Goldstein, 1998, "The use of MMR, diversity-based reranking for reordering
documents and producing summaries"), so that three quotes are not three ways of saying the
same thing. Picking by support favoured the statements a conversation opened with, which
everyone voted on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _

from hoering import isolation
from hoering.comments.models import Comment, CommentState, count_participants
from hoering.consultations.models import Consultation
from hoering.consultations.pagecache import per_version
from hoering.consultations.versions import head_of
from hoering.extensions import db
from hoering.i18n import ngettext
from hoering.stances import is_contested, stance_counts_text, tally
from hoering.summaries.models import CommentTheme, Theme
from hoering.summaries.services import SummaryInput, published_response_ids, save_summary, summary_of
from hoering.summaries.vectors import comment_vectors

log = logging.getLogger(__name__)

#: Quotes in a draft.
REPRESENTATIVES = 3
#: Weight of centrality against difference from the quotes already picked (MMR's λ).
MMR_LAMBDA = 0.7
#: Characters of a comment quoted in a draft; a longer one ends in "…" (the moderator sees
#: the whole comment behind its number).
QUOTE_CHARACTERS = 400
#: Comment numbers cited after the count sentence before "and N more".
CITED_IN_COUNT = 5


@dataclass
class ThemeDraft:
    """The material of one theme's draft.

    Attributes:
        theme: the theme.
        comments: its published comments.
        people: their distinct authors.
        agree, disagree: the votes on them, summed.
        order: the comments' ids, most central first.
        representatives: the quotes' comment ids, in the order to quote them.
        contested: ``[(comment id, agree, disagree)]`` of its contested comments, most votes first.
        texts: ``{comment id: text}`` of the quoted and contested comments.
        by_meaning: False when the ranking by meaning was not ready (:func:`ranked_themes`):
            then the draft has no quotes and cites the oldest comments.
    """

    theme: Theme
    comments: int
    people: int
    agree: int
    disagree: int
    order: list[int]
    representatives: list[int]
    contested: list[tuple[int, int, int]]
    texts: dict[int, str]
    by_meaning: bool = True

    @property
    def markdown(self) -> str:
        """The draft paragraph as Markdown, in the current language."""
        if not self.comments:
            return ""
        cited = ", ".join(f"#{i}" for i in self.order[:CITED_IN_COUNT])
        more = len(self.order) - CITED_IN_COUNT
        if more > 0:
            cited = _("%(ids)s and %(num)s more", ids=cited, num=format_decimal(more))
        lines = [ngettext("%(count)s comment from %(people)s tagged with this theme (%(ids)s).",
                          "%(count)s comments from %(people)s tagged with this theme (%(ids)s).", self.comments,
                          count=format_decimal(self.comments), ids=cited,
                          people=ngettext("%(count)s person", "%(count)s people", self.people,
                                          count=format_decimal(self.people)))]
        if self.agree or self.disagree:
            lines[0] += " " + _("Votes on them: %(votes)s.", votes=stance_counts_text(tally(self.agree, self.disagree)))
        if self.representatives:
            # Quoted once, under the text (the summary's quotes, with their author and a
            # link), not again inside it.
            lines.append("")
            lines.append(_("The comments that represent the theme best are quoted under this text (%(ids)s).",
                           ids=", ".join(f"#{i}" for i in self.representatives)))
        if self.contested:
            lines.append("")
            shown = self.contested[:REPRESENTATIVES]
            lines.append(_("Contested, the votes split (%(ids)s):", ids=", ".join(f"#{c[0]}" for c in shown)))
            lines.append("")
            for comment_id, agree, disagree in shown:
                lines.append(f"- {_quote(self.texts[comment_id])} (#{comment_id}): "
                             + stance_counts_text(tally(agree, disagree)))
        return "\n".join(lines)


def _quote(text: str) -> str:
    """``text`` on one line, in quotation marks, cut at :data:`QUOTE_CHARACTERS`."""
    flat = " ".join((text or "").split())
    if len(flat) > QUOTE_CHARACTERS:
        flat = flat[:QUOTE_CHARACTERS].rsplit(" ", 1)[0] + " …"
    return _("“%(text)s”", text=flat)


def _members(consultation: Consultation) -> dict[int, list[int]]:
    """``{theme id: [published comment ids]}`` of the consultation's themes."""
    members: dict[int, list[int]] = {}
    for theme_id, comment_id in db.session.execute(
            sa.select(CommentTheme.theme_id, CommentTheme.comment_id)
            .join(Theme, Theme.id == CommentTheme.theme_id)
            .join(Comment, Comment.id == CommentTheme.comment_id)
            .where(Theme.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value)
            .order_by(CommentTheme.comment_id)).all():
        members.setdefault(theme_id, []).append(comment_id)
    return members


def rank_by_meaning(consultation_id: int, members: dict[int, list[int]],
                    picks: int = REPRESENTATIVES) -> dict[int, tuple[list[int], list[int]]]:
    """For each theme, its comments by centrality and the quotes picked by MMR.

    Runs in a child process (:mod:`hoering.isolation`: NumPy and the vectors), so returns
    plain lists.

    Args:
        consultation_id: the consultation.
        members: ``{theme id: [comment ids]}``.
        picks: quotes per theme.

    Returns:
        ``{theme id: (ids most central first, quote ids)}``; a comment without a vector (an
        empty text) comes last and is never quoted.
    """
    import numpy as np

    everyone = sorted({i for ids in members.values() for i in ids})
    ids, matrix = comment_vectors(consultation_id, comment_ids=everyone) if everyone else ([], None)
    row = {comment_id: n for n, comment_id in enumerate(ids)}
    ranked = {}
    for theme_id, theme_ids in members.items():
        known = [i for i in theme_ids if i in row]
        if not known:
            ranked[theme_id] = (list(theme_ids), [])
            continue
        vectors = matrix[[row[i] for i in known]]
        centroid = vectors.mean(axis=0)
        norm = float(np.linalg.norm(centroid))
        centrality = vectors @ (centroid / norm) if norm else np.ones(len(known), dtype=np.float32)
        order = [known[n] for n in np.lexsort((np.array(known), -centrality))]
        chosen = _most_relevant(vectors, centrality, [-i for i in known], picks)
        rest = [i for i in theme_ids if i not in row]
        ranked[theme_id] = (order + rest, [known[n] for n in chosen])
    return ranked


def _most_relevant(vectors, centrality, tie_breaks: list[int], picks: int) -> list[int]:
    """Row numbers of ``vectors`` picked one by one by maximal marginal relevance: the
    highest ``MMR_LAMBDA * centrality - (1 - MMR_LAMBDA) * (likeness to a row already
    picked)``, ties to the highest ``tie_breaks`` value."""
    chosen: list[int] = []
    candidates = list(range(len(vectors)))
    while candidates and len(chosen) < picks:
        scores = {n: MMR_LAMBDA * float(centrality[n])
                  - (1 - MMR_LAMBDA) * max((float(vectors[n] @ vectors[m]) for m in chosen), default=0.0)
                  for n in candidates}
        best = max(candidates, key=lambda n: (scores[n], tie_breaks[n]))
        chosen.append(best)
        candidates.remove(best)
    return chosen


def ranked_themes(consultation: Consultation) -> dict[int, tuple[list[int], list[int]]] | None:
    """:func:`rank_by_meaning` for every theme of ``consultation``, once per content version
    (in a child process), then from the cache.

    Returns:
        The ranking, or ``None`` when the child ran out of time (``ISOLATION_TIMEOUT_SECONDS``):
        on a large consultation whose comment vectors are not made yet (the worker makes
        them after each post; ``flask hoering vectors`` makes them all). The vectors made
        meanwhile are kept, so a later try goes further.
    """
    members = _members(consultation)
    if not members:
        return {}
    try:
        return per_version(head_of(consultation), "theme-centrality", lambda: isolation.run(
            rank_by_meaning, consultation.id, members), by_language=False)
    except isolation.Overran:
        log.warning("ranking the themes of %s by meaning ran out of time; the comment vectors are still being made",
                    consultation.slug)
        return None


def theme_draft(consultation: Consultation, theme: Theme) -> ThemeDraft:
    """The draft material of ``theme`` (of ``consultation``).

    Raises:
        hoering.isolation.Overran: ranking took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    ranked = ranked_themes(consultation)
    order, representatives = (ranked or {}).get(theme.id, ([], []))
    order = order or _members(consultation).get(theme.id, [])  # not ranked yet: oldest first
    published = sa.and_(Comment.state == CommentState.PUBLISHED.value, CommentTheme.theme_id == theme.id)
    comments, people, agree, disagree = db.session.execute(
        sa.select(sa.func.count(Comment.id), count_participants(),
                  sa.func.coalesce(sa.func.sum(Comment.support_count), 0),
                  sa.func.coalesce(sa.func.sum(Comment.disagree_count), 0))
        .join(CommentTheme, CommentTheme.comment_id == Comment.id).where(published)).one()
    contested = [(comment_id, a, d) for comment_id, a, d in db.session.execute(
        sa.select(Comment.id, Comment.support_count, Comment.disagree_count)
        .join(CommentTheme, CommentTheme.comment_id == Comment.id).where(published)
        .order_by((Comment.support_count + Comment.disagree_count).desc(), Comment.id)).all()
        if is_contested(a, d)]
    quoted = set(representatives) | {comment_id for comment_id, _a, _d in contested[:REPRESENTATIVES]}
    texts = dict(db.session.execute(sa.select(Comment.id, Comment.body_text).where(Comment.id.in_(quoted))).all()) \
        if quoted else {}
    representatives = [i for i in representatives if i in texts]
    return ThemeDraft(theme, comments, people, int(agree), int(disagree), [i for i in order], representatives,
                      [c for c in contested if c[0] in texts], texts, by_meaning=ranked is not None)


def _summary_parts(consultation: Consultation):
    """The summary (or ``None``), its texts by theme id, its overall quotes and its quotes
    by theme id (of comments), and its quoted formal responses (overall, by theme id), to
    change and save again."""
    existing = summary_of(consultation.id)
    sections = {section.theme_id: section.text_markdown for section in existing.sections} if existing else {}
    theme_quotes: dict[int, list[int]] = {}
    overview_quotes: list[int] = []
    responses: tuple[list[int], dict[int, list[int]]] = ([], {})
    # A quoted response held back since is left out, as the summary page leaves it out.
    shown = published_response_ids([q.response_id for q in existing.quotes if q.response_id]) if existing else set()
    for quote in existing.quotes if existing else []:
        if quote.response_id is not None:
            if quote.response_id not in shown:
                continue
            if quote.theme_id is None:
                responses[0].append(quote.response_id)
            else:
                responses[1].setdefault(quote.theme_id, []).append(quote.response_id)
        elif quote.theme_id is None:
            overview_quotes.append(quote.comment_id)
        else:
            theme_quotes.setdefault(quote.theme_id, []).append(quote.comment_id)
    return existing, sections, overview_quotes, theme_quotes, responses


def apply_draft(consultation: Consultation, theme: Theme, user, text: str, quote_ids: list[int], *,
                loaded_version: str) -> None:
    """Put ``text`` as the summary's text for ``theme`` and quote ``quote_ids`` under it
    (kept with the theme's quotes already chosen), leaving the rest of the summary as it
    is; a summary is started if there is none.

    Args:
        loaded_version: :func:`~hoering.summaries.services.summary_version` when the draft
            page was opened.

    Raises:
        hoering.exceptions.Conflict: the summary was saved by someone else meanwhile.
        hoering.exceptions.ValidationFailed: a text too long, or a quote that is not a
            published comment of the consultation.
    """
    existing, sections, overview_quotes, theme_quotes, responses = _summary_parts(consultation)
    sections[theme.id] = text
    theme_quotes[theme.id] = list(dict.fromkeys([*theme_quotes.get(theme.id, []), *quote_ids]))
    save_summary(consultation, user, SummaryInput(
        overview=existing.overview_markdown if existing else "", sections=sections,
        overview_quotes=overview_quotes, theme_quotes=theme_quotes,
        overview_responses=responses[0], theme_responses=responses[1]), loaded_version=loaded_version)


def apply_all_drafts(consultation: Consultation, user, *, loaded_version: str) -> list[Theme]:
    """Put each theme's draft (:func:`theme_draft`: its markdown and representative
    quotes) into the summary for every theme that has published comments and no text in
    the summary yet; texts the moderators wrote are left as they are. One save.

    Args:
        loaded_version: :func:`~hoering.summaries.services.summary_version` when the
            summary page was opened.

    Returns:
        The themes that got their draft, largest first.

    Raises:
        hoering.exceptions.Conflict: the summary was saved by someone else meanwhile.
        hoering.isolation.Overran: ranking took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    existing, sections, overview_quotes, theme_quotes, responses = _summary_parts(consultation)
    filled: list[tuple[int, Theme]] = []
    for theme in db.session.scalars(sa.select(Theme).where(Theme.consultation_id == consultation.id)):
        if sections.get(theme.id, "").strip():
            continue
        draft = theme_draft(consultation, theme)
        if not draft.comments:
            continue
        sections[theme.id] = draft.markdown
        theme_quotes[theme.id] = list(dict.fromkeys([*theme_quotes.get(theme.id, []), *draft.representatives]))
        filled.append((draft.comments, theme))
    if filled:
        save_summary(consultation, user, SummaryInput(
            overview=existing.overview_markdown if existing else "", sections=sections,
            overview_quotes=overview_quotes, theme_quotes=theme_quotes,
            overview_responses=responses[0], theme_responses=responses[1]), loaded_version=loaded_version)
    return [theme for _, theme in sorted(filled, key=lambda item: (-item[0], item[1].name.casefold()))]
