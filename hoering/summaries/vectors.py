"""Each comment's vector (:class:`~hoering.summaries.models.CommentVector`), made once per
text and embedding method, for themes by meaning and near-duplicate groups.

:func:`refresh_vectors` embeds the comments that have no vector yet, whose vector was made
by another method (``EMBEDDING_METHOD`` changed, or the sentence model was installed) or
before the comment was last edited, and deletes the vectors of removed comments. It is
called before vectors are read (:func:`comment_vectors`), so an analysis always covers
every comment, and can run ahead in the background (``flask hoering vectors``). Both load
NumPy and the model: call them in the worker or in a child process
(:mod:`hoering.isolation`), never in a web worker.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from hoering import embeddings
from hoering.comments.models import Comment, CommentState
from hoering.extensions import db
from hoering.summaries.models import CommentVector
from hoering.timeutil import utcnow

if TYPE_CHECKING:  # pragma: no cover - typing only
    import numpy as np

#: Comments embedded and written per transaction.
BATCH = 512


def text_hash(text: str) -> str:
    """The first 32 hex digits of the SHA-256 of ``text`` (UTF-8): what
    ``CommentVector.text_hash`` holds."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:32]


def current_embedder() -> embeddings.Embedder:
    """The embedder of the app's ``EMBEDDING_METHOD`` (``"auto"`` by default)."""
    return embeddings.embedder(current_app.config.get("EMBEDDING_METHOD", "auto"))


def _stale(consultation_id: int | None, method: str):
    """Comments (id, text) whose vector is missing, of another method or older than their
    last edit; removed comments and empty texts are left out."""
    query = (
        sa.select(Comment.id, Comment.body_text)
        .outerjoin(CommentVector, CommentVector.comment_id == Comment.id)
        .where(Comment.state != CommentState.REMOVED.value, Comment.body_text != "")
        .where(sa.or_(CommentVector.comment_id.is_(None), CommentVector.method != method,
                      sa.and_(Comment.edited_at.is_not(None), CommentVector.made_at < Comment.edited_at)))
        .order_by(Comment.id)
    )
    if consultation_id is not None:
        query = query.where(Comment.consultation_id == consultation_id)
    return query


def refresh_vectors(consultation_id: int | None = None, *, limit: int | None = None) -> int:
    """Make the vectors that are missing or out of date, and drop those of removed comments.

    Args:
        consultation_id: only this consultation's comments; ``None``: every comment.
        limit: at most this many comments (``None``: all), oldest first.

    Returns:
        The number of comments embedded. Each batch of :data:`BATCH` is committed.
    """
    import numpy as np

    model = current_embedder()
    removed = sa.select(Comment.id).where(Comment.state == CommentState.REMOVED.value)
    if consultation_id is not None:
        removed = removed.where(Comment.consultation_id == consultation_id)
    db.session.execute(sa.delete(CommentVector).where(CommentVector.comment_id.in_(removed)))
    db.session.commit()
    made = 0
    while limit is None or made < limit:
        size = BATCH if limit is None else min(BATCH, limit - made)
        rows = db.session.execute(_stale(consultation_id, model.name).limit(size)).all()
        if not rows:
            break
        vectors = model.embed([text for _, text in rows]).astype(np.float16)
        ids = [comment_id for comment_id, _ in rows]
        db.session.execute(sa.delete(CommentVector).where(CommentVector.comment_id.in_(ids)))
        now = utcnow()
        db.session.execute(sa.insert(CommentVector), [
            {"comment_id": comment_id, "method": model.name, "text_hash": text_hash(text),
             "dimensions": model.dimensions, "vector": vector.tobytes(), "made_at": now}
            for (comment_id, text), vector in zip(rows, vectors, strict=True)
        ])
        db.session.commit()
        made += len(rows)
    return made


def comment_vectors(consultation_id: int, states: tuple[str, ...] = (CommentState.PUBLISHED.value,),
                    comment_ids: list[int] | None = None) -> tuple[list[int], np.ndarray]:
    """The vectors of a consultation's comments, made first where missing.

    Args:
        consultation_id: the consultation.
        states: only comments in these states.
        comment_ids: only these comments (``None``: all in ``states``).

    Returns:
        ``(ids, matrix)``: comment ids in ascending order and a ``float32`` array of shape
        ``(len(ids), dimensions)`` whose rows are their unit vectors (a comment with an
        empty text is left out).
    """
    import numpy as np

    refresh_vectors(consultation_id)
    model = current_embedder()
    query = (
        sa.select(CommentVector.comment_id, CommentVector.vector)
        .join(Comment, Comment.id == CommentVector.comment_id)
        .where(Comment.consultation_id == consultation_id, Comment.state.in_(states),
               CommentVector.method == model.name)
        .order_by(CommentVector.comment_id)
    )
    if comment_ids is not None:
        query = query.where(CommentVector.comment_id.in_(comment_ids))
    rows = db.session.execute(query).all()
    matrix = np.empty((len(rows), model.dimensions), dtype=np.float32)
    for i, (_, vector) in enumerate(rows):
        matrix[i] = np.frombuffer(vector, dtype=np.float16)
    return [comment_id for comment_id, _ in rows], matrix
