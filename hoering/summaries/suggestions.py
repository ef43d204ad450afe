"""Themes by meaning for moderators: proposed themes for the comments no theme covers yet
(discover), and a proposed theme for each untagged comment (assign). Help only: nothing is
applied until a moderator accepts it.

The computations (:mod:`hoering.summaries.meaning`: clustering, key phrases, prototypes)
run on the comment vectors (:mod:`hoering.summaries.vectors`, :mod:`hoering.embeddings`)
in a child process (:mod:`hoering.isolation`), once per content version of the
consultation (tagging a comment, or creating, renaming or describing a theme, raises it)
and embedding method, then come from the cache (:func:`hoering.consultations.pagecache.per_version`).
With ``EMBEDDING_METHOD = "lexical"``, or without the sentence model installed, the same
code runs on hashed character n-grams (docs/SUMMARIES.md gives what that costs).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from hoering import cache, embeddings, isolation
from hoering.comments.models import Comment, CommentState
from hoering.consultations import versions
from hoering.consultations.models import Consultation
from hoering.consultations.pagecache import per_version
from hoering.consultations.versions import head_of
from hoering.database import insert_unless_present
from hoering.exceptions import Conflict, ValidationFailed
from hoering.extensions import db
from hoering.sanitize import normalize_line
from hoering.summaries import meaning, vectors
from hoering.summaries import themes as theme_services
from hoering.summaries.models import CommentTheme, DeclinedProposal, ReadWithoutTheme, TagSource, Theme, ThemeSeed

#: Below this confidence no theme is proposed for a comment (the figure's source is there).
MIN_CONFIDENCE = meaning.MIN_CONFIDENCE


@dataclass
class Proposal:
    """A proposed theme.

    Attributes:
        number: 1-based, in order of size (largest first).
        terms: its key phrases, most representative first.
        name: a suggested name (made of the first key phrases), for the moderator to change.
        comment_ids: the comments in it, by id.
        representatives: the comments nearest its centre, nearest first.
        members: every comment in it.
    """

    number: int
    terms: list[str]
    name: str
    comment_ids: list[int]
    representatives: list[Comment]
    members: list[Comment]


def method_key() -> str:
    """The embedding method the app's ``EMBEDDING_METHOD`` stands for, by name only (no
    library is imported): ``"sentence"`` or ``"lexical"``; part of the cache keys."""
    method = current_app.config.get("EMBEDDING_METHOD", "auto")
    if method == "auto":
        return "sentence" if embeddings.sentence_model_installed() else "lexical"
    return method


def covered_query(consultation_id: int):
    return sa.select(CommentTheme.comment_id).join(Theme, Theme.id == CommentTheme.theme_id).where(
        Theme.consultation_id == consultation_id)


def _uncovered_published(consultation_id: int):
    return sa.select(Comment).where(Comment.consultation_id == consultation_id,
                                    Comment.state == CommentState.PUBLISHED.value,
                                    Comment.id.not_in(covered_query(consultation_id)))


def name_of(phrases: list[str]) -> str:
    """A theme name from key phrases: the first two, the first letter in capitals."""
    name = ", ".join(phrases[:2])
    return name[:1].upper() + name[1:]


def _discover(consultation_id: int, comment_ids: list[int], language: str,
              title_words: frozenset[str]) -> list[tuple[list[str], list[int], list[int]]]:
    """In the child: the clusters of the given comments (see :func:`hoering.summaries.meaning.discover`)."""
    ids, matrix = vectors.comment_vectors(consultation_id, comment_ids=comment_ids)
    texts = dict(db.session.execute(sa.select(Comment.id, Comment.body_text).where(Comment.id.in_(ids))).all())
    return meaning.discover(ids, matrix, [texts[i] for i in ids], language, vectors.current_embedder().embed,
                            extra_stop_words=title_words)


def suggest_themes(consultation: Consultation) -> list[Proposal]:
    """Proposed themes for the consultation's published comments that have no theme yet,
    largest first.

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    comments = {c.id: c for c in db.session.scalars(_uncovered_published(consultation.id))}
    title_words = frozenset(word.lower() for word in re.findall(r"[^\W\d_]{3,}", consultation.title))
    ids = sorted(comments)
    found = per_version(head_of(consultation), f"theme-discovery:{method_key()}", lambda: isolation.run(
        _discover, consultation.id, ids, consultation.language, title_words), by_language=False)
    # Comments posted after the query above may be in proposals computed just after it.
    found = [(terms, [i for i in members if i in comments], [i for i in representatives if i in comments])
             for terms, members, representatives in found if any(i in comments for i in members)]
    return [Proposal(n, terms, name_of(terms) if terms else "", members, [comments[i] for i in representatives],
                     [comments[i] for i in members])
            for n, (terms, members, representatives) in enumerate(found, start=1)]


def _theme_vectors_key(texts: list[str]) -> str:
    """The cache key of the vectors of the themes' texts (name and description) by the
    current embedding method."""
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()
    return f"theme-vectors:{method_key()}:{digest}"


def _assign(consultation_id: int) -> tuple[dict[int, list[tuple[int, float]]], tuple[str, tuple] | None]:
    """In the child: each untagged published comment's closest themes (see
    :func:`hoering.summaries.meaning.ranked` and :func:`proposed_themes`), and the themes'
    vectors to keep in the cache (``(key, (embedder name, vectors))``) when they had to be
    made, else ``None``.

    The themes' vectors come from the cache when their texts are unchanged: tagging a
    comment raises the content version (so the proposals are computed again) but changes
    no theme, and then the child needs no sentence model (on Bowling Green, 0.2 s instead
    of 2 s after each tag)."""
    import numpy as np

    themes = db.session.execute(sa.select(Theme.id, Theme.name, Theme.description)
                                .where(Theme.consultation_id == consultation_id).order_by(Theme.id)).all()
    if not themes:
        return {}, None
    published = sa.and_(Comment.consultation_id == consultation_id, Comment.state == CommentState.PUBLISHED.value)
    tags = db.session.execute(sa.select(CommentTheme.theme_id, CommentTheme.comment_id)
                              .join(Comment, Comment.id == CommentTheme.comment_id).where(published)).all()
    untagged = list(db.session.scalars(sa.select(Comment.id).where(published,
                                                                   Comment.id.not_in(covered_query(consultation_id)))))
    if not untagged:
        return {}, None
    texts = [meaning.theme_text(name, description) for _, name, description in themes]
    key = _theme_vectors_key(texts)
    kept, made = cache.get(key), None
    if kept is None:
        model = vectors.current_embedder()
        kept = (model.name, model.embed(texts).tolist())
        made = (key, kept)
    model_name, theme_vectors = kept
    seeds = db.session.execute(sa.select(ThemeSeed.theme_id, ThemeSeed.comment_id)
                               .join(Comment, Comment.id == ThemeSeed.comment_id).where(published)).all()
    ids, matrix = vectors.comment_vectors(consultation_id, comment_ids=sorted(
        set(untagged) | {c for _, c in tags} | {c for _, c in seeds}))
    row = {comment_id: i for i, comment_id in enumerate(ids)}
    # A theme's examples are its tagged comments; a theme kept from a discovered group with
    # none tagged yet has the group's comments instead (its seeds).
    examples = []
    for theme_id, _, _ in themes:
        tagged = [row[c] for t, c in tags if t == theme_id and c in row]
        examples.append(matrix[tagged or [row[c] for t, c in seeds if t == theme_id and c in row]])
    wanted = [i for i in untagged if i in row]
    return meaning.ranked(wanted, matrix[[row[i] for i in wanted]], [t for t, _, _ in themes],
                          np.asarray(theme_vectors, dtype=matrix.dtype), examples,
                          meaning.TEMPERATURE.get(model_name, 0.04)), made


def _compute_ranking(consultation_id: int) -> dict[int, list[tuple[int, float]]]:
    """The closest themes, computed in a child (:func:`_assign`); keeps the themes'
    vectors it made in the cache (a child's own writes to a per-process cache are lost)."""
    found, made = isolation.run(_assign, consultation_id)
    if made is not None:
        cache.put(*made)
    return found


def _ranked(consultation: Consultation) -> dict[int, list[tuple[int, float]]]:
    """The cached closest themes of each untagged published comment (once per content
    version and embedding method, in a child process)."""
    return per_version(head_of(consultation), f"theme-ranking:{method_key()}",
                       lambda: _compute_ranking(consultation.id), by_language=False)


def declined_pairs(consultation_id: int) -> dict[int, set[int]]:
    """The proposals moderators declined in the consultation: ``{comment id: {theme id}}``."""
    found: dict[int, set[int]] = {}
    for comment_id, theme_id in db.session.execute(
            sa.select(DeclinedProposal.comment_id, DeclinedProposal.theme_id)
            .join(Theme, Theme.id == DeclinedProposal.theme_id).where(Theme.consultation_id == consultation_id)):
        found.setdefault(comment_id, set()).add(theme_id)
    return found


def read_ids(consultation_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(ReadWithoutTheme.comment_id).join(
        Comment, Comment.id == ReadWithoutTheme.comment_id).where(Comment.consultation_id == consultation_id)))


def proposed_themes(consultation: Consultation) -> dict[int, tuple[int, float]]:
    """A proposed theme for each published comment of ``consultation`` that is not
    analysed yet (no theme, no "read, no theme" mark): ``{comment id: (theme id,
    confidence)}``, the confidence in [0, 1] (the share of the softmax of the similarities
    to each theme's prototype: its name and description and the comments tagged with it;
    :mod:`hoering.summaries.meaning`). A theme a moderator declined for a comment
    (:func:`decline_proposals`) is left out of its softmax, which is renormalised over the
    other themes, so the next best theme is proposed when it reaches
    :data:`MIN_CONFIDENCE`. Comments whose confidence is below it are left out ("no
    proposal"); so is every comment while the consultation has no theme.

    The similarities are computed in a child process once per content version and
    embedding method, then come from the cache; marks and declines (which do not change
    the content version) are applied on every call (two queries). The values are plain
    ints and floats, for any feature to show.

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    found = _ranked(consultation)
    if not found:
        return {}
    read = read_ids(consultation.id)
    declined = declined_pairs(consultation.id)
    proposals = {}
    for comment_id, choices in found.items():
        if comment_id in read:
            continue
        left_out = declined.get(comment_id, ())
        if left_out:
            rest = 1.0 - sum(c for t, c in choices if t in left_out)
            choices = [(t, c / rest if rest > 1e-9 else 0.0) for t, c in choices if t not in left_out]
        if choices and choices[0][1] >= MIN_CONFIDENCE:
            proposals[comment_id] = (choices[0][0], round(min(choices[0][1], 1.0), 4))
    return proposals


@dataclass
class ProposedTheme:
    """A comment with the theme proposed for it and the confidence (0 to 1)."""

    comment: Comment
    theme: Theme
    confidence: float


def check_pairs(consultation: Consultation, pairs: list[tuple[int, int]]) -> dict[int, Theme]:
    """The consultation's themes by id, once every pair is a published comment of it with
    one of its themes.

    Raises:
        Conflict: no theme has any of the unknown ids (merged or deleted since the page was
            shown), or the comments that are not published are the consultation's, hidden or
            removed since (nothing is written).
        ValidationFailed: otherwise (nothing is written).
    """
    themes = {t.id: t for t in theme_services.themes_of(consultation.id)}
    unknown = sorted({t for _, t in pairs} - set(themes))
    if unknown and not db.session.scalar(sa.select(sa.func.count(Theme.id)).where(Theme.id.in_(unknown))):
        # No such theme anywhere: merged into another or deleted since the page was shown.
        raise Conflict(_l("A theme on the page has been merged into another or deleted since the page was shown, "
                          "so nothing was saved. Here are the proposals as they are now."))
    if unknown:
        raise ValidationFailed(_l("There is no theme with number %(ids)s in this consultation.",
                                  ids=", ".join(str(i) for i in unknown)))
    check_published(consultation, {c for c, _ in pairs})
    return themes


def check_published(consultation: Consultation, ids: set[int]) -> None:
    """Raise :class:`ValidationFailed` unless every id is a published comment of ``consultation``."""
    own = set(db.session.scalars(sa.select(Comment.id).where(
        Comment.id.in_(ids), Comment.consultation_id == consultation.id,
        Comment.state == CommentState.PUBLISHED.value))) if ids else set()
    if ids - own:
        taken_down = set(db.session.scalars(sa.select(Comment.id).where(
            Comment.id.in_(ids - own), Comment.consultation_id == consultation.id,
            Comment.state != CommentState.PENDING.value)))
        if taken_down == ids - own:
            # Published when the page was shown, hidden or removed since.
            raise Conflict(_l("Comment %(ids)s has been hidden or removed since the page was shown, so nothing was "
                              "saved. Here are the proposals as they are now.",
                              ids=", ".join(f"#{i}" for i in sorted(taken_down))))
        raise ValidationFailed(_l("Not published comments of this consultation: %(ids)s.",
                                  ids=", ".join(f"#{i}" for i in sorted(ids - own))))


def accept_proposals(consultation: Consultation, user, pairs: list[tuple[int, int]], *,
                     source: TagSource = TagSource.PROPOSAL) -> int:
    """Tag each comment of ``pairs`` (``[(comment id, theme id)]``) with its theme, as
    :func:`hoering.summaries.themes.tag_comments` does (who and when are recorded), with
    ``source`` (:attr:`TagSource.PROPOSAL` one by one or ticked,
    :attr:`TagSource.PROPOSALS_ABOVE` all above a confidence) and, where the pair is the
    comment's current proposal, its confidence.

    Returns:
        The number of tags added (a comment already so tagged is not counted).

    Raises:
        ValidationFailed: a theme that is not one of the consultation's, or a comment that is
            not a published comment of it; then nothing is tagged.
    """
    themes = check_pairs(consultation, pairs)
    proposals = proposed_themes(consultation)
    confidences = {c: proposals[c][1] for c, t in pairs if c in proposals and proposals[c][0] == t}
    changed = 0
    try:
        for theme_id in sorted({t for _, t in pairs}):
            changed += len(theme_services.tag_comments(themes[theme_id], [c for c, t in pairs if t == theme_id],
                                                       user, source=source, confidences=confidences,
                                                       commit=False).changed)
        db.session.commit()  # one transaction for every theme: all tagged or none
    except BaseException:
        db.session.rollback()
        raise
    return changed


def keep_discovered(consultation: Consultation, user, name: str, description: str, tag_ids: list[int],
                    seed_ids: list[int], *, commit: bool = True) -> Theme:
    """Keep a discovered group ("Temaforslag") as a theme: create it with ``name`` and
    ``description`` (or reuse the consultation's theme of that name, case-insensitive),
    tag the comments ``tag_ids`` (:attr:`TagSource.DISCOVERED`), and record ``seed_ids``
    (the group's comments the moderator did not ask to tag) as the theme's seeds: they
    stand in for tagged examples in its prototype until a comment is tagged with it
    (:class:`hoering.summaries.models.ThemeSeed`). Only published comments of the
    consultation become seeds; others are left out. Commits, unless ``commit=False``
    (several groups kept in one transaction).

    Raises:
        ValidationFailed: an empty or too long name or description.
    """
    existing = {t.name.casefold(): t for t in theme_services.themes_of(consultation.id)}
    theme = existing.get(normalize_line(name).casefold()) or theme_services.create_theme(
        consultation, user, name, description, commit=False)
    if tag_ids:
        theme_services.tag_comments(theme, tag_ids, user, source=TagSource.DISCOVERED, commit=False)
    wanted = sorted(set(seed_ids))
    own = set(db.session.scalars(sa.select(Comment.id).where(
        Comment.id.in_(wanted), Comment.consultation_id == consultation.id,
        Comment.state == CommentState.PUBLISHED.value))) if wanted else set()
    for comment_id in sorted(own):
        insert_unless_present(ThemeSeed, {"theme_id": theme.id, "comment_id": comment_id},
                              unique=("theme_id", "comment_id"))
    if own:
        versions.bump(consultation_ids=[consultation.id])  # the prototypes change
    if commit:
        db.session.commit()
    return theme
