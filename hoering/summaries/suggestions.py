"""Theme suggestions: help for moderators, never applied automatically.

The published comments no theme covers yet are clustered with scikit-learn: TF-IDF over
words and word pairs (stop words of the consultation's language removed: Whoosh's
Snowball stop-word lists for Norwegian, English and German), then non-negative matrix
factorization (NMF, ``init="nndsvd"``, which is deterministic). Each component is a
proposed theme: its top terms name it, each comment goes to the component it weighs most
on, and the comments weighing most are shown as representative. The moderator accepts,
renames, merges (same name) or discards each proposal.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sqlalchemy as sa
from whoosh.lang import stopwords_for_language

from hoering import isolation
from hoering.comments.models import Comment, CommentState
from hoering.consultations.models import Consultation
from hoering.consultations.pagecache import per_version
from hoering.consultations.versions import head_of
from hoering.extensions import db
from hoering.summaries.models import CommentTheme, Theme

#: Stop-word lists per content language (Whoosh's language codes).
STOP_LANGUAGES = {"nb": "no", "nn": "no", "no": "no", "en": "en", "de": "de"}
#: Fewest comments worth clustering.
MIN_COMMENTS = 6
#: Representative comments shown per proposal, and top terms.
REPRESENTATIVES = 3
TOP_TERMS = 6
#: A comment joins a proposal only if it weighs at least this share of the proposal's
#: strongest comment: weakly related comments stay without a theme rather than inflate
#: a theme's count.
MIN_MEMBER_SHARE = 0.2
#: Words that carry opinion rather than topic in comments ("I would like to see …"),
#: added to the English stop words.
GENERIC_WORDS = frozenset({"like", "need", "needs", "needed", "people", "better", "think", "make", "good", "want",
                           "just", "really", "lot", "way", "things", "thing", "use", "used", "time", "new",
                           "trenger", "bør", "må", "mer", "flere", "gjøre", "bedre", "viktig", "mange"})


@dataclass
class Proposal:
    """A proposed theme.

    Attributes:
        number: 1-based, in order of size (largest first).
        terms: the words that weigh most, most important first.
        name: a suggested name (the first terms), for the moderator to change.
        comment_ids: the comments assigned to it.
        representatives: the comments that fit it best.
        members: every comment assigned to it, by id.
    """

    number: int
    terms: list[str]
    name: str
    comment_ids: list[int]
    representatives: list[Comment]
    members: list[Comment]


def stop_words(language: str, extra: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Stop words for a content language: its own Snowball list, English too (Whoosh's and
    scikit-learn's; many comments mix in English words), :data:`GENERIC_WORDS` and
    ``extra`` (e.g. the words of the consultation's title, which every comment is about)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(stopwords_for_language("en")) | set(ENGLISH_STOP_WORDS) | GENERIC_WORDS | set(extra)
    code = STOP_LANGUAGES.get(language)
    if code:
        words |= set(stopwords_for_language(code))
    return sorted(words)


def cluster(texts: list[tuple[int, str]], language: str, themes: int | None = None,
            extra_stop_words: set[str] | frozenset[str] = frozenset()) -> list[tuple[list[str], list[int], list[int]]]:
    """Cluster texts into proposed themes.

    Args:
        texts: ``[(id, text)]``.
        language: content language (stop words).
        extra_stop_words: more words to leave out (lower case).
        themes: number of proposals; default grows with the square root of the number of
            texts, from 3 to 12.

    Returns:
        ``[(top terms, member ids, representative ids)]``, largest first; empty when there
        is too little text.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Sorted by id: the same comments give the same proposals, in whatever order they came.
    texts = sorted((item_id, text) for item_id, text in texts if text and text.strip())
    if len(texts) < MIN_COMMENTS:
        return []
    vectorizer = TfidfVectorizer(stop_words=stop_words(language, extra_stop_words), ngram_range=(1, 2), min_df=2,
                                 max_df=0.5,
                                 sublinear_tf=True, token_pattern=r"(?u)\b[^\W\d_]{3,}\b")
    try:
        matrix = vectorizer.fit_transform(text for _, text in texts)
    except ValueError:  # no term occurs in two texts
        return []
    count = themes or max(3, min(12, round(math.sqrt(len(texts) / 4))))
    count = min(count, matrix.shape[0] - 1, matrix.shape[1])
    if count < 2:
        return []
    model = NMF(n_components=count, init="nndsvd", max_iter=500, random_state=0)
    weights = model.fit_transform(matrix)
    vocabulary = vectorizer.get_feature_names_out()
    best = weights.argmax(axis=1)
    strongest = weights.max(axis=1)
    proposals = []
    for component in range(count):
        floor = MIN_MEMBER_SHARE * weights[:, component].max()
        members = [i for i in range(len(texts)) if best[i] == component and strongest[i] > 0
                   and weights[i, component] >= floor]
        if not members:
            continue
        order = sorted(members, key=lambda i: (-weights[i, component], texts[i][0]))
        terms = [str(vocabulary[j]) for j in model.components_[component].argsort()[::-1][:TOP_TERMS]]
        proposals.append((terms, sorted(texts[i][0] for i in members), [texts[i][0] for i in order[:REPRESENTATIVES]]))
    proposals.sort(key=lambda p: (-len(p[1]), p[1][0]))
    return proposals


def suggest_themes(consultation: Consultation) -> list[Proposal]:
    """Proposals for the consultation's published comments that have no theme yet.

    The clustering (:func:`cluster`, scikit-learn) runs in a child process
    (:mod:`hoering.isolation`) once per content version of the consultation (tagging a
    comment raises it), then comes from the cache.

    Raises:
        hoering.isolation.Overran: the child took longer than ``ISOLATION_TIMEOUT_SECONDS``.
    """
    covered = sa.select(CommentTheme.comment_id).join(Theme, Theme.id == CommentTheme.theme_id).where(
        Theme.consultation_id == consultation.id)
    comments = {c.id: c for c in db.session.scalars(sa.select(Comment).where(
        Comment.consultation_id == consultation.id, Comment.state == CommentState.PUBLISHED.value,
        Comment.id.not_in(covered)))}
    title_words = {word.lower() for word in re.findall(r"[^\W\d_]{3,}", consultation.title)}
    texts = [(c.id, c.body_text) for c in comments.values()]
    found = per_version(head_of(consultation), "theme-suggestions", lambda: isolation.run(
        cluster, texts, consultation.language, extra_stop_words=title_words), by_language=False)
    # Comments posted after the query above may be in proposals computed just after it.
    found = [(terms, [i for i in ids if i in comments], [i for i in representatives if i in comments])
             for terms, ids, representatives in found if any(i in comments for i in ids)]
    return [Proposal(n, terms, terms[0].capitalize(), ids, [comments[i] for i in representatives],
                     [comments[i] for i in ids])
            for n, (terms, ids, representatives) in enumerate(found, start=1)]
