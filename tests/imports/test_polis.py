"""Importing the real Polis conversations in ../shared/data/polis through the CLI."""

from __future__ import annotations

import csv
import os
import re
from collections import Counter

import pytest
import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.consultations.models import Consultation
from hoering.extensions import db
from tests.conftest import shared_data

CONVERSATIONS = [
    "american-assembly.bowling-green",
    "15-per-hour-seattle",
    "brexit-consensus",
    "london.youth.policing",
    "vtaiwan.uberx",
    "austria-climate.5twd2jsnkf.2022-08-08",
]
STATE_OF = {"1": "published", "-1": "rejected", "0": "pending"}


def expected_states(folder: str) -> Counter:
    with open(os.path.join(folder, "comments.csv"), newline="", encoding="utf-8") as handle:
        return Counter(STATE_OF[row["moderated"]] for row in csv.DictReader(handle))


def stored_states(app, slug: str) -> Counter:
    with app.app_context():
        consultation = db.session.scalar(sa.select(Consultation).where(Consultation.slug == slug))
        rows = db.session.execute(
            sa.select(Comment.state, sa.func.count()).where(Comment.consultation_id == consultation.id)
            .group_by(Comment.state))
        return Counter(dict(rows.all()))


@pytest.mark.parametrize("conversation", CONVERSATIONS)
def test_every_polis_conversation_imports_with_the_states_of_its_csv(runner, app, conversation):
    folder = shared_data("polis", conversation)
    expected = expected_states(folder)

    result = runner.invoke(args=["hoering", "import-polis", folder])

    assert result.exit_code == 0, result.output
    assert f"{expected['published']} published, {expected['rejected']} rejected, {expected['pending']} pending" \
        in result.output
    slug = conversation.replace(".", "-")
    assert f"/hoeringer/{slug}" in result.output
    assert stored_states(app, slug) == +expected


def test_importing_twice_changes_nothing(runner, app):
    folder = shared_data("polis", "15-per-hour-seattle")
    runner.invoke(args=["hoering", "import-polis", folder])
    with app.app_context():
        before = db.session.execute(sa.select(Comment.id, Comment.state, Comment.support_count, Comment.body_text)
                                    .order_by(Comment.id)).all()

    result = runner.invoke(args=["hoering", "import-polis", folder])

    assert result.exit_code == 0
    assert "Already imported" in result.output and "Added 0 comments" in result.output
    with app.app_context():
        after = db.session.execute(sa.select(Comment.id, Comment.state, Comment.support_count, Comment.body_text)
                                   .order_by(Comment.id)).all()
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 1
    assert after == before


def test_imported_comments_keep_timestamps_authors_and_agree_counts(runner, app):
    folder = shared_data("polis", "brexit-consensus")
    runner.invoke(args=["hoering", "import-polis", folder])
    with open(os.path.join(folder, "comments.csv"), newline="", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["comment-id"] == "34")
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment).where(Comment.external_id == "34"))
        assert int(comment.created_at.timestamp() * 1000) == int(row["timestamp"])
        assert comment.support_count == int(row["agrees"])
        assert comment.author.display_name == f"Deltaker {row['author-id']}"
        assert comment.author.is_pseudonymous and not comment.author.is_active
        assert comment.body_text == row["comment-body"]


def test_bowling_green_shows_607_published_comments_on_its_page_and_in_the_api(runner, client):
    runner.invoke(args=["hoering", "import-polis", shared_data("polis", "american-assembly.bowling-green")])

    page = client.get("/hoeringer/american-assembly-bowling-green").get_data(as_text=True)
    api = client.get("/api/v1/consultations/american-assembly-bowling-green/comments").get_json()

    assert "<dt>Kommentarer</dt><dd>607</dd>" in page
    assert re.search(r'aria-current="page"><span class="visually-hidden">Side </span>1</a>', page)
    assert re.search(r'<span class="visually-hidden">Side </span>31</a>', page)  # the last of 31 pages
    assert api["total"] == 607 and api["total_threads"] == 607 and api["pages"] == 31
    assert "CC BY 4.0" in page


def test_languages_are_detected(runner, app):
    for conversation in ["vtaiwan.uberx", "austria-climate.5twd2jsnkf.2022-08-08", "london.youth.policing"]:
        runner.invoke(args=["hoering", "import-polis", shared_data("polis", conversation)])
    with app.app_context():
        languages = dict(db.session.execute(sa.select(Consultation.slug, Consultation.language)).all())
    assert languages == {"vtaiwan-uberx": "zh-Hant", "austria-climate-5twd2jsnkf-2022-08-08": "de",
                         "london-youth-policing": "en"}


def test_a_folder_that_is_not_a_polis_export_is_refused_with_a_clear_message(runner, tmp_path, app):
    (tmp_path / "summary.csv").write_text("topic,Hei\n", encoding="utf-8")
    (tmp_path / "comments.csv").write_text("id,text\n1,hei\n", encoding="utf-8")

    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path)])

    assert result.exit_code != 0
    assert "Not a Polis export" in result.output and "missing column(s)" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Consultation.id))) == 0


@pytest.mark.parametrize("files, message", [
    ({}, "summary.csv is missing"),
    ({"summary.csv": "topic,Hei\n"}, "comments.csv is missing"),
    ({"summary.csv": "x,y\n", "comments.csv": "a\n"}, "no 'topic' row"),
])
def test_missing_files_are_named(runner, tmp_path, files, message):
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path)])
    assert result.exit_code != 0 and message in result.output


def test_a_bad_row_is_reported_with_its_line(runner, tmp_path):
    (tmp_path / "summary.csv").write_text("topic,Hei\n", encoding="utf-8")
    (tmp_path / "comments.csv").write_text(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        "1500000000000,x,1,2,3,0,1,ok\n"
        "not-a-number,x,2,2,3,0,1,bad\n", encoding="utf-8")
    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path)])
    assert result.exit_code != 0 and "line 3" in result.output


def test_a_missing_folder_is_refused(runner, tmp_path):
    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "no such folder" in result.output


def test_an_imported_title_is_cleaned_like_a_typed_one(runner, tmp_path, app):
    """Invisible and direction-changing characters and line breaks in an export's topic
    do not reach the consultation's title (as in every single-line field)."""
    (tmp_path / "summary.csv").write_text('topic,"Ny\u200b vei\u202e\nover fjellet\u2066"\n', encoding="utf-8")
    (tmp_path / "comments.csv").write_text(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        "1500000000000,x,1,2,3,0,1,Et innspill om veien\n", encoding="utf-8")
    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Consultation.title)).all() == ["Ny vei over fjellet"]


@pytest.mark.parametrize(("rows", "message"), [
    ("1500000000000,x,1,2,3,0,1,ok\n1500000000000,x,1,3,4,0,1,again\n", "line 3: comment-id 1 comes twice"),
    ("1500000000000,x,1,2,99999999999999999999,0,1,ok\n", "line 2: agrees 99999999999999999999 is too large"),
    ("1500000000000,x,1,2,3,3000000000,1,ok\n", "line 2: disagrees 3000000000 is too large"),
    ("1500000000000,x,99999999999,2,3,0,1,ok\n", "line 2: comment-id 99999999999 is too large"),
    ("1500000000000,x,1,2,3,0,1," + "a" * 200_000 + "\n", "after line 1: field larger than field limit"),
])
def test_a_row_that_cannot_be_stored_is_refused_with_its_line_and_nothing_imported(runner, tmp_path, app, rows,
                                                                                    message):
    (tmp_path / "summary.csv").write_text("topic,Hei\n", encoding="utf-8")
    (tmp_path / "comments.csv").write_text(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n" + rows, encoding="utf-8")
    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path)])
    assert result.exit_code != 0 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert "Not a Polis export" in result.output and message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Consultation)) == 0


def test_rows_with_no_text_are_left_out_and_counted(runner, tmp_path, app):
    """A comment nobody can read (empty, or only spaces and invisible characters) is not
    imported: it could be neither quoted nor analysed; the import says how many."""
    (tmp_path / "summary.csv").write_text("topic,Hei\n", encoding="utf-8")
    (tmp_path / "comments.csv").write_text(
        "timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n"
        "1500000000000,x,1,2,3,0,1,Et innspill om veien\n"
        "1500000000001,x,2,2,3,0,1,\n"
        '1500000000002,x,3,2,3,0,1,"  \u200b "\n', encoding="utf-8")
    result = runner.invoke(args=["hoering", "import-polis", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "1 published" in result.output and "Left out 2 comments with no text." in result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Comment.body_text)).all() == ["Et innspill om veien"]
