"""``/healthz``: 200 while the server can serve, 503 when its database cannot be reached,
"degraded" while Redis cannot be reached or work waits too long behind the pages."""

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


def test_a_redis_that_cannot_be_reached_is_degraded_not_out_of_rotation(make_app, make_consultation):
    """Every app server shares the one Redis: a 503 would take the whole site down while
    its pages still work."""
    other = make_app(REDIS_URL="redis://127.0.0.1:1/0", JOBS_BACKEND="inline", PROPAGATE_EXCEPTIONS=False)
    client = other.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["checks"]["redis"]["ok"] is False
    assert client.get(f"/hoeringer/{make_consultation().slug}").status_code == 200


@pytest.mark.skipif(not redis_is_running(), reason="no Redis on 127.0.0.1:6379")
def test_a_configured_redis_is_checked(make_app):
    other = make_app(REDIS_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0")
    response = other.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"]["redis"]["ok"] is True


def test_a_writable_documents_folder_is_healthy_and_the_check_leaves_nothing(make_app, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    other = make_app(DOCUMENT_DIR=str(folder))
    response = other.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "ok"
    assert body["checks"]["documents"]["ok"] is True and body["checks"]["documents"]["kind"] == "local"
    assert list(folder.iterdir()) == []  # the file written to check is removed again


def test_a_documents_folder_not_made_yet_is_healthy_where_it_can_be_made(make_app, tmp_path):
    other = make_app(DOCUMENT_DIR=str(tmp_path / "not" / "made" / "yet"))
    body = other.test_client().get("/healthz").get_json()
    assert body["checks"]["documents"]["ok"] is True
    assert not (tmp_path / "not").exists()  # a health check makes no folders


@pytest.mark.parametrize("folder", ["/proc/hoering-documents", "/proc/self/hoering/documents"])
def test_a_documents_folder_that_cannot_be_written_makes_it_degraded(make_app, folder):
    other = make_app(DOCUMENT_DIR=folder)
    response = other.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200  # pages are still served: not out of rotation
    assert body["status"] == "degraded"
    assert body["checks"]["documents"]["ok"] is False
    assert "hoering-documents" not in response.get_data(as_text=True) and "/proc" not in response.get_data(as_text=True)


def test_an_s3_bucket_is_healthy_when_it_answers_and_degraded_when_it_is_missing(make_app):
    moto = pytest.importorskip("moto")
    import boto3

    settings = {"DOCUMENT_STORAGE": "s3", "S3_REGION": "eu-north-1", "S3_ACCESS_KEY_ID": "test-key-id",
                "S3_SECRET_ACCESS_KEY": "test-secret"}
    with moto.mock_aws():
        boto3.client("s3", region_name="eu-north-1", aws_access_key_id="test-key-id",
                     aws_secret_access_key="test-secret").create_bucket(
            Bucket="hoering-health", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
        there = make_app(S3_BUCKET="hoering-health", **settings).test_client().get("/healthz").get_json()
        missing = make_app(S3_BUCKET="hoering-no-such-bucket", **settings).test_client().get("/healthz")
    assert there["status"] == "ok"
    assert there["checks"]["documents"]["ok"] is True and there["checks"]["documents"]["kind"] == "s3"
    assert missing.status_code == 200 and missing.get_json()["status"] == "degraded"
    assert missing.get_json()["checks"]["documents"] == {"ok": False, "error": "ClientError",
                                                         "ms": missing.get_json()["checks"]["documents"]["ms"]}
    assert "hoering-no-such-bucket" not in missing.get_data(as_text=True)
