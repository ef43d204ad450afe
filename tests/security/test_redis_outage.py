"""Redis going away (restarting, say) while citizens are on the site: the comment form keeps
working with the rate limit counted in the process's memory, and what needs Redis itself
(counting login attempts) answers 503 with Retry-After, never a 500; ``/healthz`` says
"degraded".

The Redis is a server of this test's own on a free port, stopped in the middle of the test
(the machine's shared Redis is left alone).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from hoering.comments.models import Comment
from hoering.extensions import db, limiter
from tests.conftest import Browser

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server on a free port, without persistence; ``.stop()`` stops it."""
    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(tmp_path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        @staticmethod
        def stop():
            process.terminate()
            process.wait(10)

    yield Server
    if process.poll() is None:
        Server.stop()


@pytest.fixture
def app_on_redis(app, make_app, own_redis):
    """Another app whose rate limits and Redis are ``own_redis``; afterwards the limiter
    (one object per process) is given back its storage of the session's app."""
    other = make_app(RATELIMIT_STORAGE_URI=own_redis.url, REDIS_URL=own_redis.url, RATELIMIT_COMMENTS="2 per minute")
    yield other
    limiter.init_app(app)
    # Flask-Limiter keeps no public switch back from its in-memory fallback: without this,
    # the next tests in this process would count in the fallback's memory, which
    # ``limiter.reset()`` does not empty.
    limiter._storage_dead = False


def test_comments_are_taken_and_still_limited_while_redis_is_down(app_on_redis, own_redis, make_user,
                                                                  make_consultation):
    consultation = make_consultation()
    citizen = make_user()
    browser = Browser(app_on_redis.test_client())
    browser.login(citizen)
    own_redis.stop()
    first = browser.comment(consultation.slug, "Første innspill mens Redis starter på nytt")
    second = browser.comment(consultation.slug, "Andre innspill mens Redis starter på nytt")
    third = browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                           data={"text": "Tredje innspill, over grensen"})
    assert third.status_code == 429  # the limit of 2 a minute, counted in this process's memory
    assert "Tredje innspill, over grensen" in third.get_data(as_text=True)
    with app_on_redis.app_context():
        texts = db.session.scalars(db.select(Comment.body_text).where(Comment.id.in_([first, second]))).all()
    assert sorted(texts) == ["Andre innspill mens Redis starter på nytt", "Første innspill mens Redis starter på nytt"]
    health = app_on_redis.test_client().get("/healthz")
    # Degraded, not out of rotation: every app server shares the one Redis, and the site works.
    assert health.status_code == 200 and health.get_json()["status"] == "degraded"
    assert health.get_json()["checks"]["redis"]["ok"] is False


def test_logging_in_while_redis_is_down_is_answered_503_not_500(app_on_redis, own_redis, make_user):
    citizen = make_user()
    own_redis.stop()
    response = Browser(app_on_redis.test_client()).submit(
        "/logg-inn", data={"email": citizen.email, "password": citizen.password})
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 30  # the outage's 30 s, or the limit's window if later
    assert citizen.password not in response.get_data(as_text=True)


def test_rate_limits_are_counted_per_user_without_asking_the_database(app, browser_for, count_queries):
    """Counting must never query the database: a database error inside the limiter would
    be taken for a failing Redis and swallowed, and the request would end in a 500 instead
    of the outage page (bench/loadtest.py found it while PostgreSQL restarted)."""
    from hoering.extensions import rate_limit_key

    citizen = browser_for()
    cookie = citizen.client.get_cookie("session")
    with app.test_request_context("/", headers={"Cookie": f"session={cookie.value}"}), count_queries() as counter:
        key = rate_limit_key()
    assert key == f"user:{citizen.user.id}"
    assert counter.count == 0
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "192.0.2.7"}), count_queries() as counter:
        assert rate_limit_key() == "ip:192.0.2.7"
    assert counter.count == 0
