"""Comment vectors: made once per text and method, through ``flask hoering vectors`` and
when an analysis reads them; remade after an edit; dropped with a removed comment."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.models import CommentVector


def _vectors() -> dict[int, tuple[int, bytes]]:
    """Every stored vector: comment id → (dimensions, bytes)."""
    return {row.comment_id: (row.dimensions, row.vector) for row in db.session.scalars(sa.select(CommentVector))}


def test_the_command_embeds_each_comment_once_and_again_after_an_edit(app, runner, make_consultation, make_user,
                                                                     make_comment):
    consultation = make_consultation()
    author = make_user()
    first = make_comment(consultation, author, "Vi trenger flere sykkelveier i sentrum.")
    second = make_comment(consultation, author, "Bussen går for sjelden om kvelden.")
    make_comment(consultation, author, "")

    result = runner.invoke(args=["hoering", "vectors"])
    assert result.exit_code == 0, result.output
    assert "Embedded 2 comments with use-multilingual-v3." in result.output
    with app.app_context():
        vectors = _vectors()
    assert set(vectors) == {first.id, second.id}
    assert vectors[first.id][0] == 512 and len(vectors[first.id][1]) == 512 * 2

    assert "Embedded 0 comments" in runner.invoke(args=["hoering", "vectors"]).output

    from hoering.comments.models import Comment
    from hoering.timeutil import utcnow

    with app.app_context():
        comment = db.session.get(Comment, first.id)
        comment.body_text, comment.edited_at = "Vi trenger flere gang- og sykkelveier.", utcnow()
        db.session.commit()
    result = runner.invoke(args=["hoering", "vectors", "--slug", consultation.slug])
    assert "Embedded 1 comments" in result.output
    with app.app_context():
        assert _vectors()[first.id][1] != vectors[first.id][1]


def test_a_removed_comment_loses_its_vector(app, runner, make_consultation, make_user, make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Parkeringen ved sykehuset er for dyr.")
    runner.invoke(args=["hoering", "vectors"])
    from hoering.comments.models import Comment, CommentState

    with app.app_context():
        assert comment.id in _vectors()
        db.session.get(Comment, comment.id).state = CommentState.REMOVED.value
        db.session.commit()
    runner.invoke(args=["hoering", "vectors"])
    with app.app_context():
        assert comment.id not in _vectors()


def test_an_unknown_consultation_is_refused(runner):
    result = runner.invoke(args=["hoering", "vectors", "--slug", "finnes-ikke"])
    assert result.exit_code != 0 and "No consultation 'finnes-ikke'" in result.output


@pytest.mark.parametrize("method", ["sentence", "lexical"])
def test_a_paraphrase_is_nearer_than_another_subject(app, method, make_consultation, make_user, make_comment):
    """Both methods give unit vectors; the sentence model also places a paraphrase in other
    words nearer than a comment on another subject (the lexical one needs shared wording)."""
    app.config["EMBEDDING_METHOD"] = method
    consultation = make_consultation()
    author = make_user()
    texts = ["It costs far too much to park at the hospital.", "Parking at the hospital is too expensive.",
             "The kindergarten needs more staff."]
    ids = [make_comment(consultation, author, text).id for text in texts]

    from hoering.summaries.vectors import comment_vectors

    with app.app_context():
        found, matrix = comment_vectors(consultation.id)
    assert found == sorted(ids)
    norms = (matrix * matrix).sum(axis=1)
    assert all(abs(n - 1) < 0.01 for n in norms)
    similar, other = float(matrix[0] @ matrix[1]), float(matrix[0] @ matrix[2])
    assert similar > other
