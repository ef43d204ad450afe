"""Several processes writing at once never lose an index update nor block each other."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
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
                          str(consultation.id), str(worker), "50", app.config["SEARCH_BACKEND"]], cwd=PROJECT, env=env,
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


@pytest.mark.whoosh_only  # open Whoosh searchers
def test_a_thread_per_request_server_leaves_no_index_files_open(app, make_consultation, make_comment, make_user):
    """Each thread keeps its searcher open for its next request; when the thread ends (as
    ``flask run`` ends one after every request) the searcher's files are closed, not left
    to the garbage collector."""
    import gc
    import threading
    import warnings

    make_comment(make_consultation(title="Sykkelvei"), make_user(), "Vi trenger sykkelvei langs sjøen")
    answers = []

    def one_request():
        answers.append(app.test_client().get("/sok?q=sykkelvei").status_code)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        threads = [threading.Thread(target=one_request) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        gc.collect()
    assert answers == [200, 200, 200]
