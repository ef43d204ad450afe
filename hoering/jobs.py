"""Background jobs: named jobs that carry no data, put in an RQ queue in Redis, or left to
this process.

With ``REDIS_URL`` set (and ``JOBS_BACKEND`` not ``"inline"``), the work behind the pages
goes to the RQ (https://python-rq.org) queue ``JOBS_QUEUE`` as soon as the transaction
that made it commits (one job per kind of work waits at a time: it takes every row
waiting when it starts), and ``flask hoering worker`` runs it (:func:`run_worker`). Without
Redis, :func:`enqueue` answers ``False`` and the caller does the work in this process, as
the embedded default always did: nothing else to install.

The tables are the truth, not the queue: a job looks at the event log
(``event_delivery``), the index tasks or the mail outbox, and does what the rows there
still ask for. A job that finds nothing left to do is fine (another process did it); a job
lost from Redis (a flush, a crash before it was taken) is caught by the worker's sweep
(:func:`hoering.background.sweep`), which queues again what waits too long.

Jobs carry no data (the rows say what is to be done), so nothing in Redis needs keeping.
This module names the job functions by their dotted path (:data:`JOBS`), so it imports no
feature and sits in the foundation beside the event log.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
import signal
import threading
import time

import redis
from flask import Flask, current_app
from rq import Queue, SimpleWorker, Worker
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer

from hoering.extensions import AFTER_COMMIT, db

log = logging.getLogger(__name__)

#: The jobs by name: the function the worker runs (``hoering/background.py``).
JOBS = {
    "deliver_events": "hoering.background.deliver_events",
    "apply_index_tasks": "hoering.background.apply_index_tasks",
    "send_mails": "hoering.background.send_mails",
    "sweep": "hoering.background.sweep",
    "queue_daily_mails": "hoering.background.queue_daily_mails",
    "refresh_vectors": "hoering.background.refresh_vectors",
}
#: Jobs without arguments that handle every row of their table that waits: one at a time
#: waits in the queue (:func:`enqueue`).
COALESCED = frozenset({"deliver_events", "apply_index_tasks", "send_mails", "refresh_vectors"})
#: Seconds a coalesced job waits before it starts, so that it takes the work of the
#: commits of that time too (one job for half a second of posting): a job costs the worker
#: about 4 ms of CPU besides its work (RQ's bookkeeping in Redis), which a busy site would
#: otherwise pay for every comment (bench/post_http.py, docs/PERFORMANCE.md). Mails and
#: the Whoosh index are that much later; the PostgreSQL search backend is not delayed.
GATHER_SECONDS = 0.5
#: Seconds the mark of a waiting coalesced job lives: should the job be lost with its mark
#: kept, commits queue one again after this (and the sweep at once).
FLAG_SECONDS = 120
#: Seconds a job may run before the worker stops it (the rows it left wait for the sweep).
JOB_TIMEOUT_SECONDS = 600
#: Seconds a failed job is kept in Redis for inspection (``rq info``; seven days).
FAILURE_TTL_SECONDS = 7 * 24 * 3600
#: Seconds a worker's registration lives without a heartbeat; the worker beats at least
#: every ``WORKER_TTL_SECONDS - 15`` seconds while idle (RQ's rule), so ``/healthz`` sees a
#: dead worker within a minute.
WORKER_TTL_SECONDS = 60
#: Seconds between two queuings of the daily mails (deadline reminders, moderator digests):
#: each mail is queued once a day whoever asks (their dedupe keys), so hourly is a retry.
DAILY_CHECK_SECONDS = 3600
#: Seconds a Redis connection or command may take before it counts as failed.
REDIS_TIMEOUT_SECONDS = 2

_connections: dict[str, redis.Redis] = {}
_handled_here: contextvars.ContextVar[tuple[frozenset, set]] = contextvars.ContextVar(
    "handled_here", default=(frozenset(), set()))


def uses_redis() -> bool:
    """Whether jobs go to the RQ queue: ``JOBS_BACKEND`` ``"rq"``, or unset with
    ``REDIS_URL`` set. ``"inline"`` keeps them in this process even with Redis."""
    backend = current_app.config.get("JOBS_BACKEND") or ("rq" if current_app.config.get("REDIS_URL") else "inline")
    return backend == "rq"


def connection() -> redis.Redis:
    """The process's client of ``REDIS_URL`` (a connection pool, made once per URL); a
    command that takes longer than :data:`REDIS_TIMEOUT_SECONDS` fails, so a hung Redis
    cannot hold a request for long."""
    url = current_app.config["REDIS_URL"]
    client = _connections.get(url)
    if client is None:
        client = _connections[url] = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS,
            health_check_interval=30)
    return client


def queue(client: redis.Redis | None = None) -> Queue:
    """The RQ queue ``JOBS_QUEUE`` on ``client`` (default :func:`connection`), its jobs'
    arguments JSON."""
    return Queue(current_app.config["JOBS_QUEUE"], connection=client or connection(), serializer=JSONSerializer)


def _flag(name: str) -> str:
    """The Redis key that says a job ``name`` is queued and not yet started."""
    return f"hoering:jobs:{current_app.config['JOBS_QUEUE']}:{name}:queued"


def enqueue(name: str, *args, force: bool = False) -> bool:
    """Put the job ``name`` with ``args`` in the RQ queue.

    A job of :data:`COALESCED` (no arguments: it handles every row of its table that
    waits) is queued only when none of that name waits in the queue yet (a Redis key
    says so, which the worker deletes as it starts the job; it expires after
    :data:`FLAG_SECONDS` should the job be lost). Under load one job so handles the work
    of many commits, in one transaction, instead of one job each.

    Args:
        name: a key of :data:`JOBS`.
        args: JSON values (ids, lists of ids).
        force: queue it even when one of that name waits (the sweep does: the waiting
            one may be lost).

    Returns:
        ``True`` when queued (or one of that name already waits); ``False`` when jobs run
        in this process (no Redis), or Redis could not take it (logged): the caller then
        does the work itself, or leaves it to the sweep.

    Raises:
        KeyError: no job of that name.
    """
    function = JOBS[name]
    if not uses_redis():
        return False
    try:
        if name in COALESCED and not connection().set(_flag(name), 1, nx=True, ex=FLAG_SECONDS) and not force:
            return True
        queue().enqueue(function, *args, result_ttl=0, failure_ttl=FAILURE_TTL_SECONDS,
                        job_timeout=JOB_TIMEOUT_SECONDS, description=name)
    except redis.RedisError:
        log.warning("could not queue the job %s in Redis; the work waits in the database", name, exc_info=True)
        return False
    return True


class _AfterCommit:
    """The job queued once the transaction commits."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self) -> None:
        enqueue(self.name)


@contextlib.contextmanager
def handled_here(*names: str):
    """While in this block, :func:`after_commit` queues none of the jobs ``names``: the
    job running here does their work itself when the block ends (the worker's delivery
    of events sends the mails it wrote, rather than queuing a job for them).

    Yields:
        The set of those names that :func:`after_commit` was asked for meanwhile.
    """
    asked: set[str] = set()
    token = _handled_here.set((frozenset(names), asked))
    try:
        yield asked
    finally:
        _handled_here.reset(token)


def after_commit(name: str) -> None:
    """Queue the job ``name`` (one of :data:`COALESCED`) once the current transaction
    commits, once however often this is called in it. Does nothing when jobs run in this
    process (:func:`uses_redis`), where the caller's own in-process path does the work,
    nor inside :func:`handled_here` for that name."""
    if not uses_redis():
        return
    handled, asked = _handled_here.get()
    if name in handled:
        asked.add(name)
        return
    waiting = db.session.info.setdefault(AFTER_COMMIT, [])
    if not any(isinstance(w, _AfterCommit) and w.name == name for w in waiting):
        waiting.append(_AfterCommit(name))


class _AppWorker(SimpleWorker):
    """An RQ worker running each job in this process, in a fresh application context
    (its own database session, removed after the job). A job of :data:`COALESCED` first
    waits :data:`GATHER_SECONDS`, then says it started (:func:`enqueue` queues the next
    one from then on)."""

    app: Flask

    def execute_job(self, job, queue):
        with self.app.app_context():
            if job.description in COALESCED:
                time.sleep(GATHER_SECONDS)
                self._clear_flag(job.description)
            return super().execute_job(job, queue)

    def _clear_flag(self, name: str) -> None:
        """Delete the queued flag of ``name``. Redis restarting just then (seconds) is
        waited for; should it stay away longer, the job runs all the same and the flag
        expires after :data:`FLAG_SECONDS`, so the worker never stops over it."""
        for _attempt in range(10):
            try:
                self.connection.delete(_flag(name))
                return
            except redis.ConnectionError:
                time.sleep(0.5)
        logging.getLogger(__name__).warning("Redis did not answer: the flag of %s expires by itself", name)


def run_worker(burst: bool = False, sweep_seconds: float | None = None) -> bool:
    """Run an RQ worker on ``JOBS_QUEUE`` in this process until SIGTERM or Ctrl+C (the job
    under way is finished first) or, with ``burst``, until the queue is empty. Beside it a
    thread queues the sweep every ``sweep_seconds`` (default ``JOBS_SWEEP_SECONDS``) and
    the daily mails every :data:`DAILY_CHECK_SECONDS`; the jobs themselves run one after
    the other in the worker. The signal handlers it installs are restored at the end.

    Returns:
        Whether any job was run.

    Raises:
        redis.RedisError: Redis cannot be reached at the start.
    """
    app = current_app._get_current_object()
    sweep_seconds = app.config["JOBS_SWEEP_SECONDS"] if sweep_seconds is None else sweep_seconds
    # The worker's own client: it waits for jobs with blocking reads of up to
    # WORKER_TTL_SECONDS - 15 seconds, longer than a request's commands may take.
    client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=WORKER_TTL_SECONDS + REDIS_TIMEOUT_SECONDS, health_check_interval=30)
    worker = _AppWorker([queue(client)], connection=client, serializer=JSONSerializer, worker_ttl=WORKER_TTL_SECONDS)
    worker.app = app
    stopping = threading.Event()

    def tick() -> None:
        last_daily = -float("inf")
        while not stopping.is_set():
            with app.app_context():
                if time.monotonic() - last_daily >= DAILY_CHECK_SECONDS and enqueue("queue_daily_mails"):
                    last_daily = time.monotonic()
                enqueue("sweep")
            stopping.wait(sweep_seconds)

    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    ticker = None
    if not burst and sweep_seconds:
        ticker = threading.Thread(target=tick, name="hoering-sweep", daemon=True)
        ticker.start()
    try:
        return worker.work(burst=burst, logging_level=app.config.get("JOBS_LOG_LEVEL", "WARNING"))
    finally:
        stopping.set()
        for number, handler in handlers.items():
            signal.signal(number, handler)
        if ticker is not None:
            ticker.join(REDIS_TIMEOUT_SECONDS + 5)
        client.close()


def health() -> dict:
    """The RQ side of ``/healthz``: live workers on the queue (a heartbeat within
    :data:`WORKER_TTL_SECONDS`, or in a job) and the age of the latest heartbeat among them, the queued jobs and the age of the oldest, failed jobs kept.

    Returns:
        ``{"workers", "last_heartbeat_seconds", "queued", "oldest_job_seconds",
        "failed"}`` (ages in seconds, ``None`` when there is nothing to measure).

    Raises:
        redis.RedisError: Redis cannot be reached.
    """
    jobs = queue()
    now = time.time()
    # Registered workers whose heartbeat is recent (an idle one beats every 45 seconds) or
    # that are in a job (no beats meanwhile); a dead one stays registered up to 2 minutes.
    beats = [(_seconds(worker.last_heartbeat) if worker.last_heartbeat else 0.0, worker.get_state())
             for worker in Worker.all(queue=jobs)]
    beats = [beat for beat, state in beats if now - beat <= WORKER_TTL_SECONDS or state == "busy"]
    oldest = None
    first = jobs.get_job_ids(0, 1)
    if first:
        job = jobs.fetch_job(first[0])
        if job is not None and job.enqueued_at is not None:
            oldest = round(now - _seconds(job.enqueued_at))
    return {
        "workers": len(beats),
        "last_heartbeat_seconds": round(now - max(beats)) if beats else None,
        "queued": jobs.count,
        "oldest_job_seconds": oldest,
        "failed": FailedJobRegistry(queue=jobs).count,
    }


def _seconds(moment: dt.datetime) -> float:
    """A time RQ wrote (UTC, aware or naive) as seconds since the epoch."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
