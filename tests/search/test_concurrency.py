"""Several processes writing at once never lose an index update nor block each other."""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.extensions import db

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_four_processes_posting_200_comments_leave_the_index_complete(app, make_consultation, runner):
    consultation = make_consultation()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    index_dir = app.config["SEARCH_INDEX_DIR"]
    env = {**os.environ, "PYTHONPATH": PROJECT}
    env.pop("HOERING_DATABASE_URL", None)
    workers = [
        subprocess.Popen([sys.executable, "-m", "tests.search.concurrent_writer", url, index_dir,
                          str(consultation.id), str(worker), "50"], cwd=PROJECT, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for worker in range(4)
    ]
    for process in workers:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr.decode()[-3000:]

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Comment.id))) == 200
    result = runner.invoke(args=["hoering", "search-check"])
    assert result.exit_code == 0, result.output
