"""Heavy work in child processes (:mod:`hoering.isolation`, issue 14): the child really
runs it, its errors come back as the right HTTP answers, a child that overruns is killed
and answered 503, results too large for a pipe's buffer arrive whole, the parent's
database connections keep working after children ran, and the chart is drawn once per
content version, not once per request.

The children here are real: ``os.fork`` is called as in production."""

from __future__ import annotations

import os
import sys
import time

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from hoering import isolation
from hoering.consultations.models import Consultation
from hoering.extensions import db

CHART = "/hoeringer/{slug}/kommentarer-per-dag.png"
REPORT = "/saksbehandling/hoeringer/{slug}/rapport.{fmt}"


@pytest.fixture
def forks(monkeypatch):
    """Counts the children :func:`hoering.isolation.run` forks (the real ``os.fork`` runs)."""
    made = []
    real_fork = os.fork

    def counting_fork():
        pid = real_fork()
        if pid:
            made.append(pid)
        return pid

    monkeypatch.setattr(isolation.os, "fork", counting_fork)
    return made


def _pid_of_child(path) -> int:
    """The pid a sleeping child wrote to ``path`` (waits for it up to 10 s)."""
    for _ in range(1000):
        if path.exists() and path.read_text():
            return int(path.read_text())
        time.sleep(0.01)
    raise AssertionError("the child never wrote its pid")


def test_the_child_runs_in_another_process_and_returns_its_result(app):
    with app.app_context():
        pid, parent = isolation.run(lambda: (os.getpid(), os.getppid()))
    assert parent == os.getpid() and pid != os.getpid()


def test_a_result_larger_than_the_pipe_buffer_arrives_whole(app):
    with app.app_context():
        body = isolation.run(lambda: bytes(range(256)) * 40_000)  # 10 MB; a pipe holds 64 KiB
    assert body == bytes(range(256)) * 40_000


def test_an_error_the_parent_cannot_unpickle_comes_back_as_child_failed_with_its_traceback(app):
    class LocalError(Exception):  # a local class cannot be pickled
        pass

    def fail():
        raise LocalError("the work broke")

    with app.app_context(), pytest.raises(isolation.ChildFailed) as caught:
        isolation.run(fail)
    assert "LocalError: the work broke" in str(caught.value)
    assert "in fail" in caught.value.child_traceback


def test_a_result_of_a_module_the_parent_has_not_imported_is_refused(app, tmp_path, monkeypatch):
    (tmp_path / "only_in_the_child.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    def make():
        import only_in_the_child

        return only_in_the_child.Thing()

    with app.app_context(), pytest.raises(isolation.ChildFailed, match="has not imported"):
        isolation.run(make)
    assert "only_in_the_child" not in sys.modules


def test_a_child_killed_by_a_signal_is_reported(app):
    with app.app_context(), pytest.raises(isolation.ChildFailed, match="killed by signal 9"):
        isolation.run(lambda: os.kill(os.getpid(), 9))


def test_the_chart_is_drawn_in_a_child_once_per_content_version(client, make_consultation, make_comment, make_user,
                                                                forks):
    consultation = make_consultation()
    make_comment(consultation, make_user(), "Første innspill")
    first = client.get(CHART.format(slug=consultation.slug))
    again = client.get(CHART.format(slug=consultation.slug))
    assert first.status_code == again.status_code == 200
    assert first.data.startswith(b"\x89PNG") and again.data == first.data
    assert len(forks) == 1  # the second reader got the cached chart
    make_comment(consultation, make_user(), "Andre innspill")  # a new content version
    assert client.get(CHART.format(slug=consultation.slug)).status_code == 200
    assert len(forks) == 2


def test_a_child_that_overruns_is_killed_and_answered_503_in_the_readers_language(
        app, client, make_consultation, monkeypatch, tmp_path):
    consultation = make_consultation()
    pid_file = tmp_path / "child.pid"

    def slow_chart(*_args, **_kwargs):
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)

    monkeypatch.setattr("hoering.summaries.statistics.comments_per_day_png", slow_chart)
    monkeypatch.setitem(app.config, "ISOLATION_TIMEOUT_SECONDS", 1)
    started = time.monotonic()
    response = client.get(CHART.format(slug=consultation.slug))
    assert time.monotonic() - started < 30
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "Dette tar for lang tid" in response.get_data(as_text=True)
    with pytest.raises(ProcessLookupError):  # killed and reaped
        os.kill(_pid_of_child(pid_file), 0)

    client.set_cookie("hoering_lang", "en")
    english = client.get(CHART.format(slug=consultation.slug), headers={"Accept": "application/json"})
    assert english.status_code == 503
    assert english.get_json()["error"] == {
        "code": "took_too_long",
        "message": "Making this took longer than we allow right now, so it was stopped. Try again in a minute; "
                   "if it keeps happening, tell the site's administrators."}


def test_a_report_of_a_consultation_deleted_meanwhile_is_a_404_from_the_child(app, browser_for, make_consultation,
                                                                              monkeypatch):
    consultation = make_consultation()
    officer = browser_for("case_officer")
    from hoering.exports import files

    real = files._made_report_file

    def deleted_first(consultation_id, fmt):
        # In the child, with its own session and connection: delete, commit, then make the report.
        db.session.execute(sa.delete(Consultation).where(Consultation.id == consultation_id))
        db.session.commit()
        return real(consultation_id, fmt)

    monkeypatch.setattr(files, "_made_report_file", deleted_first)
    response = officer.get(REPORT.format(slug=consultation.slug, fmt="pdf"))
    assert response.status_code == 404
    assert "Fant ikke siden" in response.get_data(as_text=True)
    with app.app_context():  # the parent sees what the child committed
        assert db.session.get(Consultation, consultation.id) is None


def test_an_unexpected_error_in_the_child_is_a_500_with_the_childs_traceback_logged(
        app, browser_for, make_consultation, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production, not as under TESTING
    monkeypatch.setattr(app.logger, "disabled", False)  # the test database's migrations switch loggers off
    consultation = make_consultation()
    officer = browser_for("case_officer")

    def broken(_report, _variant):
        raise ValueError("the font is missing")

    monkeypatch.setattr("hoering.exports.files.report_pdf", broken)
    response = officer.get(REPORT.format(slug=consultation.slug, fmt="pdf"))
    assert response.status_code == 500
    assert "Noe gikk galt" in response.get_data(as_text=True)
    errors = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert [str(error) for error in errors] == ["the font is missing"]
    assert "Raised in a child process" in errors[0].__notes__[0] and "in broken" in errors[0].__notes__[0]


def test_the_parents_connection_keeps_working_while_and_after_children_use_the_database(
        app, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    author = make_user()
    make_comment(consultation, author, "Et innspill")
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    backend = sa.text("SELECT pg_backend_pid()") if postgresql else sa.text("SELECT 1")

    def child_work(consultation_id):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Consultation).where(
            Consultation.id == consultation_id))
        db.session.execute(sa.update(Consultation).where(Consultation.id == consultation_id).values(title="Endret"))
        db.session.commit()
        return count, db.session.scalar(backend)

    with app.app_context():
        before = db.session.scalar(backend)  # a transaction open on the parent's connection
        results = [isolation.run(child_work, consultation.id) for _ in range(3)]
        assert [count for count, _ in results] == [1, 1, 1]
        assert db.session.scalar(backend) == before  # the same connection, still answering
        if postgresql:
            assert before not in {pid for _, pid in results}  # each child had a connection of its own
        db.session.rollback()
        assert db.session.get(Consultation, consultation.id).title == "Endret"
    # and the pool serves the next requests as before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Consultation)) == 1


def test_the_error_raised_in_the_child_is_the_error_the_parent_gets(app):
    def missing():
        raise NotFound()

    with app.app_context(), pytest.raises(NotFound) as caught:
        isolation.run(missing)
    assert any("Raised in a child process" in note for note in caught.value.__notes__)


def test_without_forking_the_function_runs_in_the_worker_itself(app, monkeypatch):
    monkeypatch.setitem(app.config, "ISOLATION_FORK", False)
    with app.app_context():
        assert isolation.run(os.getpid) == os.getpid()
