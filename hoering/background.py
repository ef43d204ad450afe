"""Work done behind the pages: domain events that are due, search index tasks, the mail
outbox, and the deadline reminders and moderator digests.

The background worker (``flask hoering worker``, :func:`run_round`) does it in rounds when
one runs beside the web servers (``docs/DEPLOY.md``). Without one, the embedded default,
the web process does it itself after its responses, now and then (``EVENT_SWEEP_SECONDS``
and ``MAIL_SWEEP_SECONDS``; the factory in :mod:`hoering` hands these functions to the
server's close callbacks), so a single ``make run`` needs nothing else. Each item is
handled once, whichever process takes it.

With jobs in Redis (:mod:`hoering.jobs`), the functions below the rounds are the jobs the
RQ worker runs: each is queued right after a commit that made work of its kind (one
waits at a time) and takes all that waits; :func:`sweep` queues them again when work
waits too long (a job lost from Redis).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from hoering import jobs
from hoering.eventlog import EventDelivery, deliver_due, deliver_waiting
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.notifications.services import CLAIM_TIMEOUT, deliver, queue_deadline_reminders, queue_moderator_digests
from hoering.search.models import IndexTask
from hoering.search.services import in_database, process_pending
from hoering.summaries import vectors
from hoering.timeutil import utcnow

#: Seconds an index task or an unsent mail may wait before the sweep queues it again:
#: longer than the worker normally takes to reach a job.
STUCK_SECONDS = 10
#: Most rows one job takes; with more waiting it queues itself again.
JOB_LIMIT = 1000


def deliver_events_and_index(apply_index: bool = True) -> int:
    """Deliver the domain events that are due, then, with ``apply_index``, apply the
    waiting index tasks (the worker always does; a web process where
    ``SEARCH_INDEX_INLINE`` says so, which also retries tasks a failed request left).

    Returns:
        How many events and index tasks were handled.
    """
    return deliver_due() + (process_pending() if apply_index else 0)


def send_mail(queue_daily: bool = False) -> int:
    """Send the mail outbox; first, with ``queue_daily``, queue today's deadline
    reminders and moderator digests (each once a day, whoever asks). Links in the mails
    are built on ``SITE_URL``.

    Returns:
        How many mails were queued and sent.
    """
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        queued = queue_deadline_reminders() + queue_moderator_digests() if queue_daily else 0
        sent, _failed = deliver()
    return queued + sent


def run_round(queue_daily: bool) -> int:
    """One round of the background worker: events and index tasks, then mail.

    Returns:
        How many items were handled.
    """
    return deliver_events_and_index() + send_mail(queue_daily)


# --- the jobs of the RQ worker (hoering/jobs.py) ----------------------------------------------

def deliver_events() -> int:
    """Job: deliver the event log rows not waiting for a retry, :data:`JOB_LIMIT` at most
    (then it queues itself again), :data:`hoering.eventlog.BATCH_SIZE` to a transaction;
    then apply the index tasks and send the mails the subscribers wrote, in this job
    rather than in jobs of their own (one job a comment where there would be three).

    Returns:
        How many events were delivered (0: another process took them, or nothing was left).
    """
    with jobs.handled_here("apply_index_tasks", "send_mails") as asked:
        delivered = deliver_waiting(limit=JOB_LIMIT)
    if delivered >= JOB_LIMIT:
        jobs.enqueue("deliver_events", force=True)
    if "apply_index_tasks" in asked:
        apply_index_tasks()
    if "send_mails" in asked:
        send_mails()
    return delivered


def apply_index_tasks() -> int:
    """Job: apply the waiting search index tasks (all of them: applying one twice does no harm).

    Returns:
        How many tasks were applied.
    """
    return process_pending()


def send_mails() -> int:
    """Job: send the unsent outbox mails, :data:`JOB_LIMIT` at most (then it queues itself
    again); each is claimed first, so it goes once whoever sends it. Links were written
    into the mails on ``SITE_URL``.

    Returns:
        How many were sent.
    """
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        sent, failed = deliver(limit=JOB_LIMIT)
    if sent + failed >= JOB_LIMIT:
        jobs.enqueue("send_mails", force=True)
    return sent


def refresh_vectors() -> int:
    """Job: make the comment vectors that are missing or out of date (comments posted or
    edited since the last run; :func:`hoering.summaries.vectors.refresh_vectors`), at most
    :data:`JOB_LIMIT` (then it queues itself again), and drop those of removed comments.
    Loads NumPy and the sentence model into the worker (about 65 MB, once).

    Returns:
        How many comments were embedded.
    """
    made = vectors.refresh_vectors(limit=JOB_LIMIT)
    if made >= JOB_LIMIT:
        jobs.enqueue("refresh_vectors", force=True)
    return made


def queue_daily_mails() -> int:
    """Job: queue today's deadline reminders and moderator digests (each once a day,
    whoever asks: their dedupe keys), then send them.

    Returns:
        How many mails were queued and sent.
    """
    return send_mail(queue_daily=True)


def sweep(now: dt.datetime | None = None) -> int:
    """Job: queue again what waits in the outbox tables longer than it should: event log
    rows that are due (past their grace time or their retry time), index tasks and unsent,
    unclaimed mails older than :data:`STUCK_SECONDS`. Without Redis (or when it refuses)
    the work is done here instead.

    Args:
        now: the time to compare with (UTC; default now).

    Returns:
        How many rows were queued again (or handled).
    """
    now = now or utcnow()
    stuck = now - dt.timedelta(seconds=STUCK_SECONDS)
    events = db.session.scalar(sa.select(sa.func.count(EventDelivery.id)).where(EventDelivery.next_attempt_at <= now))
    mails = db.session.scalar(sa.select(sa.func.count(OutboxMail.id)).where(
        OutboxMail.sent_at.is_(None), OutboxMail.created_at <= stuck,
        sa.or_(OutboxMail.claimed_at.is_(None), OutboxMail.claimed_at < now - CLAIM_TIMEOUT)))
    tasks = 0 if in_database() else db.session.scalar(
        sa.select(sa.func.count(IndexTask.id)).where(IndexTask.created_at <= stuck))
    db.session.rollback()
    handled = 0
    for name, waiting, run in (("deliver_events", events, lambda: deliver_due(limit=JOB_LIMIT, now=now)),
                               ("send_mails", mails, send_mails), ("apply_index_tasks", tasks, apply_index_tasks)):
        if waiting:
            handled += waiting if jobs.enqueue(name, force=True) else run()
    return handled
