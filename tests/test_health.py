"""``/healthz``: 200 while the server can serve, 503 when its database or Redis cannot be
reached, "degraded" while work waits too long behind the pages."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest

from hoering.eventlog import EventDelivery
from hoering.extensions import db
from hoering.timeutil import utcnow

REDIS = ("127.0.0.1", 6379)


def redis_is_running() -> bool:
    try:
        socket.create_connection(REDIS, timeout=0.5).close()
        return True
    except OSError:
        return False


def test_a_healthy_server_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["backend"] in ("sqlite", "postgresql")
    assert body["checks"]["search"] == {"ok": True, "documents": 0, "ms": body["checks"]["search"]["ms"]}
    assert "redis" not in body["checks"]  # none configured
    assert body["work"]["events"] == {"waiting": 0, "oldest_seconds": None}
    assert body["work"]["mail"]["waiting"] == 0


def test_it_answers_a_load_balancer_that_asks_by_address(make_app):
    other = make_app(ALLOWED_HOSTS=["hoering.fjordvik.no"])
    client = other.test_client()
    assert client.get("/", headers={"Host": "10.0.0.7"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "10.0.0.7"}).status_code == 200


def test_work_waiting_too_long_makes_it_degraded_but_still_serving(app, client):
    with app.app_context():
        db.session.add(EventDelivery(event="CommentPosted", payload=json.dumps({}), subscriber="gone.subscriber",
                                     next_attempt_at=utcnow() - dt.timedelta(seconds=1000), attempts=3))
        db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["work"]["events"]["waiting"] == 1
    assert 1000 <= body["work"]["events"]["oldest_seconds"] < 1100


def test_a_database_that_cannot_be_reached_takes_it_out_of_rotation(make_app, tmp_path):
    other = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/no/such/folder/hoering.sqlite")
    response = other.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert str(tmp_path) not in response.get_data(as_text=True)  # no paths, hosts or messages


def test_a_redis_that_cannot_be_reached_takes_it_out_of_rotation(make_app):
    other = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = other.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False


@pytest.mark.skipif(not redis_is_running(), reason="no Redis on 127.0.0.1:6379")
def test_a_configured_redis_is_checked(make_app):
    other = make_app(REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0")
    response = other.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"]["ok"] is True
