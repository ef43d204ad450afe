"""The Polis import keeps every vote: agree, disagree and pass counts per comment and the
conversation's voters; a second import fills the counts of comments imported before. The
real Bowling Green conversation (../shared/data/polis) and a small hand-made export
(``polis-votes/``: passes in ``participants-votes.csv``, a participant who never voted, a
``summary.csv`` without ``voters``)."""

from __future__ import annotations

import csv
import os
import shutil

import sqlalchemy as sa

from hoering.comments.models import Comment, Support
from hoering.consultations.models import Consultation
from hoering.extensions import db
from tests.conftest import shared_data

FIXTURE = os.path.join(os.path.dirname(__file__), "polis-votes")
FAIRNESS = "It is embarrassing that our city is the largest in the state not to have a fairness ordinance"


def counts(app, slug: str) -> dict[str, tuple[int, int, int]]:
    """``{Polis comment id: (agree, disagree, pass)}`` of the imported consultation ``slug``."""
    with app.app_context():
        return {external: (agree, disagree, passes) for external, agree, disagree, passes in db.session.execute(
            sa.select(Comment.external_id, Comment.support_count, Comment.disagree_count, Comment.pass_count)
            .join(Consultation, Consultation.id == Comment.consultation_id).where(Consultation.slug == slug))}


def voters(app, slug: str) -> int | None:
    with app.app_context():
        return db.session.scalar(sa.select(Consultation.imported_voters).where(Consultation.slug == slug))


def test_agree_disagree_and_pass_counts_and_the_voters_are_kept(runner, app):
    result = runner.invoke(args=["hoering", "import-polis", FIXTURE])
    assert result.exit_code == 0, result.output
    # comments.csv gives agree and disagree; the 0 cells of participants-votes.csv the passes
    assert counts(app, "polis-votes") == {"0": (3, 2, 1), "1": (1, 0, 1), "2": (0, 0, 0)}
    # no "voters" in summary.csv: the participants with n-votes above 0
    assert voters(app, "polis-votes") == 3 and "3 participants voted" in result.output


def test_a_second_import_fills_the_counts_of_comments_imported_before(runner, app, make_user):
    runner.invoke(args=["hoering", "import-polis", FIXTURE])
    citizen = make_user()
    with app.app_context():  # as an import made before disagreeing was kept left them
        consultation = db.session.scalar(sa.select(Consultation).where(Consultation.slug == "polis-votes"))
        consultation.imported_voters = None
        first = db.session.scalar(sa.select(Comment).where(Comment.consultation_id == consultation.id,
                                                           Comment.external_id == "0"))
        db.session.execute(sa.update(Comment).where(Comment.consultation_id == consultation.id)
                           .values(disagree_count=0, pass_count=0))
        # a citizen here agreed with the first comment, on top of the source's three
        db.session.add(Support(comment_id=first.id, user_id=citizen.id, stance="agree"))
        first.support_count = 4
        version = consultation.content_version
        db.session.commit()

    again = runner.invoke(args=["hoering", "import-polis", FIXTURE])
    assert again.exit_code == 0, again.output
    assert "Added 0 comments" in again.output
    assert "Updated the agree, disagree and pass counts of 2 comments imported before." in again.output
    assert counts(app, "polis-votes") == {"0": (4, 2, 1), "1": (1, 0, 1), "2": (0, 0, 0)}
    assert voters(app, "polis-votes") == 3
    with app.app_context():  # the cached pages are made again with the counts
        assert db.session.scalar(sa.select(Consultation.content_version)
                                 .where(Consultation.slug == "polis-votes")) > version

    third = runner.invoke(args=["hoering", "import-polis", FIXTURE])
    assert "Added 0 comments" in third.output and "Updated" not in third.output
    assert counts(app, "polis-votes") == {"0": (4, 2, 1), "1": (1, 0, 1), "2": (0, 0, 0)}


def test_a_participants_votes_file_with_a_wrong_cell_is_refused_with_its_line(runner, tmp_path):
    for name in ("summary.csv", "comments.csv"):
        shutil.copy(os.path.join(FIXTURE, name), tmp_path / name)
    (tmp_path / "participants-votes.csv").write_text(
        "participant,group-id,n-comments,n-votes,n-agree,n-disagree,0,1,2\n0,0,0,1,1,0,1,ja,\n", encoding="utf-8")
    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path)])
    assert result.exit_code != 0
    assert "participants-votes.csv, line 2" in result.output and "a vote is 1, -1, 0 or empty" in result.output


def test_bowling_green_keeps_both_sides_of_the_fairness_ordinance(runner, app, client):
    folder = shared_data("polis", "american-assembly.bowling-green")
    result = runner.invoke(args=["hoering", "import-polis", folder])
    assert result.exit_code == 0, result.output
    assert "2031 participants voted" in result.output
    slug = "american-assembly-bowling-green"
    stored = counts(app, slug)
    assert stored["20"] == (567, 455, 279)  # comment 20: the fairness ordinance statement
    assert voters(app, slug) == 2031
    # Every published comment's votes as comments.csv has them.
    with open(os.path.join(folder, "comments.csv"), encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert all(stored[row["comment-id"]][:2] == (int(row["agrees"]), int(row["disagrees"])) for row in rows)
    assert sum(stored[row["comment-id"]][1] for row in rows) == sum(int(row["disagrees"]) for row in rows)

    with app.app_context():
        comment_id = db.session.scalar(sa.select(Comment.id).where(Comment.external_id == "20",
                                                                   Comment.body_text.startswith(FAIRNESS)))
    page = client.get(f"/kommentarer/{comment_id}", follow_redirects=True).get_data(as_text=True)
    block = page[page.index(f'id="kommentar-{comment_id}"'):]
    block = block[:block.index("</article>")]
    assert '<span class="stance-counts contested">Omstridt: 567 enig, 455 uenig, 279 stod over</span>' in block
    assert "567 støtter" not in page

    found = client.get(f"/api/v1/consultations/{slug}/threads/{comment_id}").get_json()["thread"]
    assert (found["agree_count"], found["disagree_count"], found["pass_count"]) == (567, 455, 279)
    assert found["support_count"] == 567 and found["contested"] is True
