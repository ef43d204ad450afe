"""Work done behind the pages: domain events that are due, search index tasks, the mail
outbox, and the deadline reminders and moderator digests.

The background worker (``flask hoering worker``, :func:`run_round`) does it in rounds when
one runs beside the web servers (``docs/DEPLOY.md``). Without one, the embedded default,
the web process does it itself after its responses, now and then (``EVENT_SWEEP_SECONDS``
and ``MAIL_SWEEP_SECONDS``; the factory in :mod:`hoering` hands these functions to the
server's close callbacks), so a single ``make run`` needs nothing else. Each item is
handled once, whichever process takes it.
"""

from __future__ import annotations

from flask import current_app

from hoering.eventlog import deliver_due
from hoering.notifications.services import deliver, queue_deadline_reminders, queue_moderator_digests
from hoering.search.services import process_pending


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
