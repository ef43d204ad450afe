"""Background jobs in Redis with RQ (``hoering/jobs.py``), against the real Redis on
127.0.0.1:6379: a database number of its own per test process, emptied for every test.
The Redis tests are skipped when Redis cannot be reached, unless ``HOERING_REQUIRE_REDIS``
is set (CI), where they fail instead."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest
import redis
import sqlalchemy as sa

from hoering import background, jobs
from hoering.background import deliver_events
from hoering.eventlog import EventDelivery
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.search.models import IndexTask
from hoering.timeutil import utcnow
from tests.conftest import Browser

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
QUEUE = "hoering"


def redis_database() -> int:
    """9 outside pytest-xdist; 10, 11 … for the workers gw0, gw1 … (at most 15)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return 10 + int(worker[2:]) % 6 if worker.startswith("gw") else 9


@pytest.fixture
def redis_url():
    """The URL of this test process's Redis database, emptied before and after the test."""
    number = redis_database()
    client = redis.Redis(REDIS_HOST, REDIS_PORT, db=number, socket_connect_timeout=1)
    try:
        client.flushdb()
    except redis.ConnectionError:
        client.close()
        if os.environ.get("HOERING_REQUIRE_REDIS"):
            pytest.fail(f"HOERING_REQUIRE_REDIS is set but no Redis answers on {REDIS_HOST}:{REDIS_PORT}")
        pytest.skip(f"no Redis on {REDIS_HOST}:{REDIS_PORT}")
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{number}"
    client.flushdb()
    client.close()


@pytest.fixture
def rq_app(make_app, redis_url, monkeypatch):
    """An app on the test database with jobs in Redis (whose worker in this process does
    not wait for more work before each job)."""
    monkeypatch.setattr(jobs, "GATHER_SECONDS", 0)
    return make_app(REDIS_URL=redis_url, MAIL_SWEEP_SECONDS=0, SEARCH_INDEX_INLINE=False)


def logged_in(app, user) -> Browser:
    browser = Browser(app.test_client())
    browser.login(user)
    browser.user = user
    return browser


def queued_jobs(redis_url: str) -> list[str]:
    """The names of the jobs waiting in the queue, oldest first."""
    client = redis.Redis.from_url(redis_url)
    try:
        return [client.hget(f"rq:job:{job_id.decode()}", "description").decode()
                for job_id in client.lrange(f"rq:queue:{QUEUE}", 0, -1)]
    finally:
        client.close()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_posted_comment_is_a_job_the_worker_runs(app, rq_app, redis_url, make_user, make_consultation):
    consultation = make_consultation()
    asker, answerer = logged_in(rq_app, make_user()), logged_in(rq_app, make_user())
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)

    # The web process only queued the delivery of the events, one job for both (the first
    # waits when the second commit comes): nothing is delivered yet.
    assert queued_jobs(redis_url) == ["deliver_events"]
    with rq_app.app_context():
        assert count(EventDelivery) == 6  # two events, three subscribers each
        assert count(OutboxMail) == 0
    assert asker.get("/api/v1/search?q=gatelysene&type=comment").get_json()["counts"]["comment"] == 0

    result = rq_app.test_cli_runner().invoke(args=["hoering", "worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert "Ran the queued jobs." in result.output
    assert queued_jobs(redis_url) == []
    with rq_app.app_context():
        assert count(EventDelivery) == 0 and count(IndexTask) == 0
        mail = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind == "reply")).one()
        assert mail.to_address == asker.user.email and mail.sent_at is not None
    assert any(name.endswith("-reply.eml") for name in os.listdir(app.config["MAIL_DIR"]))
    assert asker.get("/api/v1/search?q=gatelysene&type=comment").get_json()["counts"]["comment"] == 1
    assert asker.get("/api/v1/search?q=sparer&type=comment").get_json()["counts"]["comment"] == 1


def test_a_job_lost_from_redis_is_queued_again_by_the_sweep(rq_app, redis_url, make_user, make_consultation):
    consultation = make_consultation()
    asker, answerer = logged_in(rq_app, make_user()), logged_in(rq_app, make_user())
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)
    redis.Redis.from_url(redis_url).flushdb()  # the jobs are lost; the event log still holds the work
    runner = rq_app.test_cli_runner()
    assert "No jobs were queued." in runner.invoke(args=["hoering", "worker", "--burst"]).output

    # Within the grace time the rows are left to the process that wrote them ...
    result = runner.invoke(args=["hoering", "worker", "--burst", "--sweep"])
    assert "Queued 0 waiting items again." in result.output, result.output
    with rq_app.app_context():
        db.session.execute(sa.update(EventDelivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()

    # ... after it, the sweep queues them again and the worker delivers them.
    result = runner.invoke(args=["hoering", "worker", "--burst", "--sweep"])

    assert result.exit_code == 0, result.output
    assert "Queued 6 waiting items again." in result.output  # two events, three subscribers each
    with rq_app.app_context():
        assert count(EventDelivery) == 0 and count(IndexTask) == 0
        assert db.session.scalars(sa.select(OutboxMail.sent_at).where(OutboxMail.kind == "reply")).one() is not None
    assert asker.get("/api/v1/search?q=sparer&type=comment").get_json()["counts"]["comment"] == 1


def test_a_mail_left_unsent_is_sent_after_the_sweep(rq_app, redis_url, make_user, make_consultation, monkeypatch):
    consultation = make_consultation()
    asker, answerer = logged_in(rq_app, make_user()), logged_in(rq_app, make_user())
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)
    redis.Redis.from_url(redis_url).flushdb()
    send_mails = background.send_mails
    monkeypatch.setattr(background, "send_mails", lambda: 0)  # the worker stops before it sends the reply mail
    with rq_app.app_context():
        assert deliver_events() == 6  # two events, three subscribers each
    monkeypatch.setattr(background, "send_mails", send_mails)
    # The delivery sends the mails it wrote itself: no job for them (only the vectors' job).
    assert queued_jobs(redis_url) == ["refresh_vectors"]
    with rq_app.app_context():
        assert count(IndexTask) == 0  # applied by the delivery too
        db.session.execute(sa.update(OutboxMail).values(created_at=utcnow() - dt.timedelta(seconds=60)))
        db.session.commit()

    result = rq_app.test_cli_runner().invoke(args=["hoering", "worker", "--burst", "--sweep"])

    assert "Queued 1 waiting items again." in result.output, result.output
    with rq_app.app_context():
        assert db.session.scalars(sa.select(OutboxMail.sent_at).where(OutboxMail.kind == "reply")).one() is not None


def test_without_redis_nothing_needs_redis(app, make_app, browser_for, make_consultation, monkeypatch):
    def no_redis(*args, **kwargs):
        raise AssertionError("Redis was asked for without REDIS_URL")

    monkeypatch.setattr(redis.Redis, "from_url", no_redis)
    monkeypatch.setattr(redis.Redis, "__init__", no_redis)
    consultation = make_consultation()
    asker, answerer = browser_for(), browser_for()
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)
    with app.app_context():
        assert count(EventDelivery) == 0  # delivered in process, right after the commit

    result = app.test_cli_runner().invoke(args=["hoering", "worker", "--once"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(sa.select(OutboxMail.sent_at).where(OutboxMail.kind == "reply")).one() is not None
    body = asker.get("/healthz").get_json()
    assert "worker" not in body["checks"] and "redis" not in body["checks"]


def test_jobs_stay_in_the_web_process_when_told_so_even_with_redis(make_app, redis_url, make_user, make_consultation):
    inline = make_app(REDIS_URL=redis_url, JOBS_BACKEND="inline", MAIL_SWEEP_SECONDS=0)
    consultation = make_consultation()
    asker, answerer = logged_in(inline, make_user()), logged_in(inline, make_user())
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)

    assert queued_jobs(redis_url) == []
    with inline.app_context():
        assert count(EventDelivery) == 0  # delivered after each commit, in the request
        assert db.session.scalars(sa.select(OutboxMail.sent_at).where(OutboxMail.kind == "reply")).one() is None
    body = asker.get("/healthz").get_json()
    assert body["checks"]["redis"]["ok"] is True and "worker" not in body["checks"]


def test_the_worker_process_runs_jobs_reports_health_and_stops_on_sigterm(
        app, rq_app, redis_url, make_user, make_consultation, tmp_path):
    consultation = make_consultation()
    asker, answerer = logged_in(rq_app, make_user()), logged_in(rq_app, make_user())
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    body = asker.get("/healthz").get_json()
    assert body["status"] == "degraded"  # no worker
    assert body["checks"]["worker"]["workers"] == 0 and body["checks"]["worker"]["queued"] == 1
    assert body["checks"]["worker"]["oldest_job_seconds"] >= 0

    env = {**os.environ, "HOERING_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "HOERING_REDIS_URL": redis_url,
           "HOERING_SECRET_KEY": "a-secret-for-the-worker-test-only-0123456789",
           "HOERING_SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "HOERING_MAIL_DIR": str(tmp_path)}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "hoering", "worker"], cwd=PROJECT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)
        deadline = time.monotonic() + 30
        while not (any(name.endswith("-reply.eml") for name in os.listdir(tmp_path)) and
                   asker.get("/api/v1/search?q=sparer&type=comment").get_json()["counts"]["comment"] == 1):
            assert time.monotonic() < deadline, "the worker sent no reply mail, or did not index the reply"
            assert worker.poll() is None, worker.stdout.read().decode()
            time.sleep(0.1)
        body = asker.get("/healthz").get_json()
        assert body["checks"]["worker"]["workers"] == 1
        assert body["checks"]["worker"]["last_heartbeat_seconds"] < 60
        assert body["checks"]["worker"]["failed"] == 0
    finally:
        worker.send_signal(signal.SIGTERM)
        output = worker.communicate(timeout=30)[0].decode()
    assert worker.returncode == 0, output
    assert asker.get("/healthz").get_json()["checks"]["worker"]["workers"] == 0


def test_a_posted_comment_is_embedded_by_the_worker(rq_app, redis_url, make_user, make_consultation):
    from hoering.summaries.models import CommentVector

    consultation = make_consultation()
    author = logged_in(rq_app, make_user())
    comment_id = author.comment(consultation.slug, "Vi trenger flere sykkelveier i sentrum.")
    with rq_app.app_context():
        assert count(CommentVector) == 0  # nothing is embedded in the web process

    result = rq_app.test_cli_runner().invoke(args=["hoering", "worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert queued_jobs(redis_url) == []
    with rq_app.app_context():
        assert db.session.scalars(sa.select(CommentVector.comment_id)).all() == [comment_id]
