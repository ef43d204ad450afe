"""``GET /healthz``: whether this app server can serve, as JSON for load balancers and
monitoring.

The answer is 200 when the database answers, else 503, so a load balancer takes the
server out of rotation only when it cannot serve pages. Redis (when ``REDIS_URL`` is set)
only makes it "degraded": every app server shares the one Redis, so a 503 for it would
take the whole site out of rotation, while pages, the API and the comment form still work
without it (rate limits fall back to each process's memory, the page cache counts as
empty; logging in answers 503: ``tests/security/test_redis_outage.py``).
The search index is read too, the document store is asked whether it can take a document
(:mod:`hoering.storage`: a file written and removed in the local folder, or a HEAD request
to the S3 bucket), and the work that waits behind the pages (domain events, index tasks,
mail) is reported with the age of its oldest item: ``"status": "degraded"`` (still 200)
when the index cannot be read, the document store cannot take documents, or some work is
older than ``HEALTH_BACKLOG_SECONDS``, so monitoring can alert while users are still served.
With jobs in Redis (:mod:`hoering.jobs`), the RQ worker is reported under ``"worker"``:
how many workers are alive on the queue (they beat at least every 45 seconds while idle;
one counts as alive while its last beat is at most a minute old, or while it is in a job) and the age of the latest heartbeat, how many jobs
are queued and the age of the oldest, and how many failed jobs are kept. No live worker,
or a queued job older than ``HEALTH_BACKLOG_SECONDS``, makes it "degraded" too.

The Host check (``ALLOWED_HOSTS``) does not apply here: load balancers often ask by address.

No names, addresses or texts are shown: only states, counts and ages in seconds.
"""

from __future__ import annotations

import os
import tempfile
import time

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from hoering import jobs
from hoering.eventlog import EventDelivery
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.search.models import IndexTask
from hoering.search.services import document_count
from hoering.storage import S3Storage, get_storage
from hoering.timeutil import utcnow

bp = Blueprint("health", __name__)


def _timed(check) -> dict:
    """``check()`` → its fields, with ``ok`` and the time it took in milliseconds; an
    exception becomes ``ok: false`` with the exception's type (never its message, which
    may name hosts or users)."""
    start = time.perf_counter()
    try:
        fields = check() or {}
        ok = True
    except Exception as error:  # noqa: BLE001 - a failing dependency is the answer, not an error
        fields, ok = {"error": type(error).__name__}, False
        db.session.rollback()
    return {"ok": ok, **fields, "ms": round((time.perf_counter() - start) * 1000, 1)}


def _database() -> dict:
    db.session.execute(sa.text("SELECT 1"))
    return {"backend": db.engine.url.get_backend_name()}


def _redis() -> dict:
    import redis  # only where Redis is configured

    client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return {}


def _search() -> dict:
    return {"documents": document_count()}


def _documents() -> dict:
    """Whether the document store can take a document now; its kind (``local``, ``s3``).

    Raises:
        OSError: the local folder cannot be written (or, not made yet, cannot be made).
        botocore's errors: the bucket does not answer or refuses these credentials.
    """
    store = get_storage()
    if isinstance(store, S3Storage):
        store.client.head_bucket(Bucket=store.bucket)
        return {"kind": store.kind}
    folder = os.path.abspath(store.folder)
    if os.path.isdir(folder):
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".healthz-") as probe:
            probe.write(b"ok")
            probe.flush()
        return {"kind": store.kind}
    # Nothing uploaded yet: the folder is made at the first upload, in the nearest folder
    # above it that exists. A folder is made there and removed again, to leave nothing.
    parent = folder
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    os.rmdir(tempfile.mkdtemp(dir=parent, prefix=".healthz-"))
    return {"kind": store.kind}


def _backlog(model, column, where) -> dict:
    """How many rows wait, and the age in seconds of the oldest (``None`` when none)."""
    count, oldest = db.session.execute(sa.select(sa.func.count(), sa.func.min(column)).select_from(model)
                                       .where(*where)).one()
    age = None
    if oldest is not None:
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=utcnow().tzinfo)
        age = round((utcnow() - oldest).total_seconds())
    return {"waiting": count, "oldest_seconds": age}


def _work() -> dict:
    now = utcnow()
    return {
        "events": _backlog(EventDelivery, EventDelivery.next_attempt_at, [EventDelivery.next_attempt_at <= now]),
        "index_tasks": _backlog(IndexTask, IndexTask.created_at, []),
        "mail": _backlog(OutboxMail, OutboxMail.created_at, [OutboxMail.sent_at.is_(None)]),
    }


@bp.get("/healthz")
def healthz():
    """The health of this server and what it depends on (see the module docstring)."""
    checks = {"database": _timed(_database)}
    serving = checks["database"]["ok"]
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _timed(_redis)
    checks["search"] = _timed(_search)
    checks["documents"] = _timed(_documents)
    if jobs.uses_redis():
        checks["worker"] = _timed(jobs.health)
    work = _timed(_work) if checks["database"]["ok"] else {"ok": False}
    limit = current_app.config["HEALTH_BACKLOG_SECONDS"]
    lagging = work["ok"] and any((work[name]["oldest_seconds"] or 0) > limit
                                 for name in ("events", "index_tasks", "mail"))
    worker = checks.get("worker", {"ok": True, "workers": 1})
    idle = not worker["ok"] or not worker["workers"] or (worker.get("oldest_job_seconds") or 0) > limit
    degraded = (lagging or idle or not work["ok"] or not checks["search"]["ok"]
                or not checks["documents"]["ok"] or not checks.get("redis", {"ok": True})["ok"])
    status = "unavailable" if not serving else "degraded" if degraded else "ok"
    response = jsonify({"status": status, "checks": checks, "work": work})
    response.status_code = 200 if serving else 503
    response.headers["Cache-Control"] = "no-store"
    return response
