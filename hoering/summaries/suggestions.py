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
from hoering.consultations.models import Consultation
from hoering.consultations.pagecache import per_version
from hoering.consultations.versions import head_of
from hoering.exceptions import ValidationFailed
from hoering.extensions import db
from hoering.summaries import meaning, vectors
from hoering.summaries import themes as theme_services
from hoering.summaries.models import CommentTheme, TagSource, Theme

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


def _covered(consultation_id: int):
    return sa.select(CommentTheme.comment_id).join(Theme, Theme.id == CommentTheme.theme_id).where(
        Theme.consultation_id == consultation_id)


def _uncovered_published(consultation_id: int):
    return sa.select(Comment).where(Comment.consultation_id == consultation_id,
                                    Comment.state == CommentState.PUBLISHED.value,
                                    Comment.id.not_in(_covered(consultation_id)))


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


def _assign(consultation_id: int) -> tuple[dict[int, tuple[int, float]], tuple[str, tuple] | None]:
    """In the child: the proposed themes (see :func:`proposed_themes`), and the themes'
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
                                                                   Comment.id.not_in(_covered(consultation_id)))))
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
    ids, matrix = vectors.comment_vectors(consultation_id, comment_ids=untagged + [c for _, c in tags])
    row = {comment_id: i for i, comment_id in enumerate(ids)}
    examples = [matrix[[row[c] for t, c in tags if t == theme_id and c in row]] for theme_id, _, _ in themes]
    wanted = [i for i in untagged if i in row]
    return meaning.assign(wanted, matrix[[row[i] for i in wanted]], [t for t, _, _ in themes],
                          np.asarray(theme_vectors, dtype=matrix.dtype), examples,
                          meaning.TEMPERATURE.get(model_name, 0.04), MIN_CONFIDENCE), made


def _compute_proposals(consultation_id: int) -> dict[int, tuple[int, float]]:
    """The proposed themes, computed in a child (:func:`_assign`); keeps the themes'
    vectors it made in the cache (a child's own writes to a per-process cache are lost)."""
    found, made = isolation.run(_assign, consultation_id)
    if made is not None:
        cache.put(*made)
    return found


def proposed_themes(consultation: Consultation) -> dict[int, tuple[int, float]]:
    """A proposed theme for each published comment of ``consultation`` that no theme covers
    yet: ``{comment id: (theme id, confidence)}``, the confidence in [0, 1] (the share of
    the softmax of the similarities to each theme's prototype: its name and description and
    the comments tagged with it; :mod:`hoering.summaries.meaning`). Comments whose
    confidence is below :data:`MIN_CONFIDENCE` are left out ("no proposal"); so is every
    comment while the consultation has no theme.

    Computed in a child process once per content version and embedding method, then from
    the cache; for any feature to show (the values are plain ints and floats).

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    found = per_version(head_of(consultation), f"theme-assignment:{method_key()}",
                        lambda: _compute_proposals(consultation.id), by_language=False)
    return dict(found)


@dataclass
class ProposedTheme:
    """A comment with the theme proposed for it and the confidence (0 to 1)."""

    comment: Comment
    theme: Theme
    confidence: float


def proposal_rows(consultation: Consultation) -> tuple[list[ProposedTheme], dict[int, Theme], int]:
    """The proposed themes of the consultation's untagged published comments, most
    confident first (ties by comment id), its themes by id, and the number of untagged
    published comments (with a proposal or not)."""
    proposals = proposed_themes(consultation)
    themes = {t.id: t for t in theme_services.themes_of(consultation.id)}
    uncovered = {c.id: c for c in db.session.scalars(_uncovered_published(consultation.id))}
    rows = [ProposedTheme(uncovered[c], themes[t], confidence) for c, (t, confidence) in proposals.items()
            if c in uncovered and t in themes]
    rows.sort(key=lambda row: (-row.confidence, row.comment.id))
    return rows, themes, len(uncovered)


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
    themes = {t.id: t for t in theme_services.themes_of(consultation.id)}
    unknown = sorted({t for _, t in pairs} - set(themes))
    if unknown:
        raise ValidationFailed(_l("There is no theme with number %(ids)s in this consultation.",
                                  ids=", ".join(str(i) for i in unknown)))
    ids = {c for c, _ in pairs}
    own = set(db.session.scalars(sa.select(Comment.id).where(
        Comment.id.in_(ids), Comment.consultation_id == consultation.id,
        Comment.state == CommentState.PUBLISHED.value))) if ids else set()
    if ids - own:
        raise ValidationFailed(_l("Not published comments of this consultation: %(ids)s.",
                                  ids=", ".join(f"#{i}" for i in sorted(ids - own))))
    proposals = proposed_themes(consultation)
    confidences = {c: proposals[c][1] for c, t in pairs if c in proposals and proposals[c][0] == t}
    changed = 0
    for theme_id in sorted({t for _, t in pairs}):
        changed += len(theme_services.tag_comments(themes[theme_id], [c for c, t in pairs if t == theme_id],
                                                   user, source=source, confidences=confidences).changed)
    return changed
