"""Rate limits shared through Redis, as when several processes serve."""

from __future__ import annotations

import socket

import pytest

from hoering import create_app
from hoering.extensions import db
from tests.conftest import csrf_token_from

REDIS = ("127.0.0.1", 6379)


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis server on 127.0.0.1:6379")
def test_two_app_processes_share_the_login_limit_through_redis(tmp_path, monkeypatch):
    import random
    import uuid

    import redis

    # A database of its own: a test run elsewhere on this machine resets its limits with
    # a flush of the limits' keys in the database it uses.
    url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    prefix = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv("HOERING_RATELIMIT_STORAGE_URI", url)
    assert redis.Redis.from_url(url).ping()
    # A key prefix of its own: another test run on the same Redis must not share counts; a
    # daily limit: a fixed one-minute window could roll over between the requests.
    config = {"TESTING": True, "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.sqlite",
              "RATELIMIT_LOGIN": "2 per day", "RATELIMIT_KEY_PREFIX": prefix}
    first, second = create_app(config).test_client(), create_app(config).test_client()
    with first.application.app_context():
        db.create_all()
    assert first.application.config["RATELIMIT_STORAGE_URI"] == url
    statuses = []
    for client in (first, second, first):
        token = csrf_token_from(client.get("/logg-inn").get_data(as_text=True))
        statuses.append(client.post("/logg-inn", data={"csrf_token": token, "email": "a@b.no",
                                                       "password": "x"}).status_code)
    assert statuses == [401, 401, 429]  # the second process counted the first one's attempt
    store = redis.Redis.from_url(url)
    ours = [key for key in store.scan_iter("*") if prefix.encode() in key]
    assert ours  # the counts are in Redis, under this run's prefix
    store.delete(*ours)
