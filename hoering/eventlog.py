"""The event log: every announced domain event, kept until each of its subscribers has run.

A service announces an event (:func:`hoering.events.announce`) inside its transaction. That
writes one :class:`EventDelivery` row per subscriber of the event in the same transaction,
so the event is committed with the change it reports, or not at all. Once the commit has
gone through, the session runs :func:`deliver_committed` (``hoering.extensions.Session``),
which hands the event to each subscriber in turn. A subscriber's work and the deletion of
its delivery row are one transaction: a subscriber that fails is rolled back alone, its
row stays with the error and a time for the next attempt, and neither the committed
domain change nor the other subscribers are touched. :func:`deliver_due` (run now and then
after a response, and by ``flask hoering events deliver``) delivers what is due again.

This is the transactional outbox pattern (Chris Richardson, *Microservices Patterns*,
ch. 3.3.7): delivery is at least once, so subscribers are written to be idempotent.

This module knows events and subscribers only by name (:data:`EVENT_TYPES`,
:data:`SUBSCRIBERS`), which :mod:`hoering.events` fills in, so it sits below every feature.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoering.extensions import AFTER_COMMIT, db
from hoering.timeutil import UTCDateTime, utcnow

log = logging.getLogger(__name__)

#: Seconds a new delivery is left to the process that announced it before a sweep may take
#: it (that process delivers right after its commit; this covers a process that died).
GRACE_SECONDS = 60
#: Seconds before the first retry of a failed delivery; doubled for each later failure.
RETRY_FIRST_SECONDS = 30
#: Longest wait between retries, in seconds (one hour).
RETRY_MAX_SECONDS = 3600
#: Longest error text kept on a delivery row, in characters.
ERROR_MAX_LENGTH = 2000

#: Event classes by name (``CommentPosted`` …), filled in by :mod:`hoering.events`.
EVENT_TYPES: dict[str, type] = {}
#: Subscribers by name (``module.function``), filled in by :func:`hoering.events.subscriber`.
SUBSCRIBERS: dict[str, Callable] = {}


class EventDelivery(db.Model):
    """One event still to be handed to one subscriber.

    ``event`` is the event's class name, ``payload`` its fields as JSON (ids and short
    values only, never ORM objects), ``subscriber`` the subscriber's ``module.function``
    name. ``attempts`` counts failed deliveries; ``last_error`` is the latest failure
    (exception type and message); the row is due again at ``next_attempt_at`` (UTC).
    """

    __tablename__ = "event_delivery"
    __table_args__ = (sa.Index("ix_event_delivery_next_attempt_at", "next_attempt_at"),
                      {"sqlite_autoincrement": True})  # ids are never reused

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(80))
    payload: Mapped[str] = mapped_column(sa.Text)
    subscriber: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)


def record(event_name: str, payload: dict, subscribers: list[str]) -> None:
    """Add one delivery row per subscriber to the current transaction; once it commits,
    they are delivered in this process (:func:`deliver_committed`).

    Args:
        event_name: a key of :data:`EVENT_TYPES`.
        payload: the event's fields (JSON-serialisable).
        subscribers: keys of :data:`SUBSCRIBERS`.
    """
    if not subscribers:
        return
    text = json.dumps(payload, sort_keys=True)
    due = utcnow() + dt.timedelta(seconds=GRACE_SECONDS)
    rows = [EventDelivery(event=event_name, payload=text, subscriber=name, next_attempt_at=due)
            for name in subscribers]
    db.session.add_all(rows)
    db.session.flush()
    waiting = db.session.info.setdefault(AFTER_COMMIT, [])
    if not waiting or not isinstance(waiting[-1], _CommittedDeliveries):
        waiting.append(_CommittedDeliveries())
    waiting[-1].ids.extend(row.id for row in rows)


class _CommittedDeliveries:
    """The delivery rows one transaction wrote, delivered once it has committed."""

    def __init__(self):
        self.ids: list[int] = []

    def __call__(self) -> None:
        deliver_committed(self.ids)


def deliver_committed(ids: list[int]) -> int:
    """Deliver the given rows now, those still there (another process may have taken them,
    or the transaction that wrote them may have been rolled back to a savepoint).

    All of them are first run in one transaction (one commit, where each subscriber would
    cost one); should any subscriber fail, that is rolled back and each row is delivered
    in a transaction of its own, so only the failing one waits for a retry.

    Returns:
        How many were delivered.
    """
    if len(ids) > 1:
        delivered = _deliver_together(ids)
        if delivered is not None:
            return delivered
    return sum(_deliver_one(sa.select(EventDelivery).where(EventDelivery.id == row_id)) for row_id in ids)


def _deliver_together(ids: list[int]) -> int | None:
    """Every row of ``ids`` still there, handed to its subscriber and deleted in one
    transaction; ``None`` (and nothing done) if a subscriber failed."""
    rows = db.session.scalars(sa.select(EventDelivery).where(EventDelivery.id.in_(ids))
                              .order_by(EventDelivery.id).with_for_update(skip_locked=True)).all()
    try:
        for row in rows:
            SUBSCRIBERS[row.subscriber](EVENT_TYPES[row.event](**json.loads(row.payload)))
            db.session.delete(row)
        db.session.commit()
        return len(rows)
    except Exception as error:  # noqa: BLE001 - delivered one by one instead, which keeps the failure
        db.session.rollback()
        log.info("delivering %d events together failed (%r); delivering them one by one", len(rows), error)
        return None


def deliver_due(limit: int = 100, now: dt.datetime | None = None) -> int:
    """Deliver rows whose time has come (announced by a process that died before
    delivering them, or failed before), oldest first.

    Args:
        limit: the most rows to try in this call.
        now: the time to compare ``next_attempt_at`` with (UTC; default now).

    Returns:
        How many were delivered.
    """
    now = now or utcnow()
    delivered = 0
    tried: set[int] = set()
    for _ in range(limit):
        query = (sa.select(EventDelivery).where(EventDelivery.next_attempt_at <= now)
                 .order_by(EventDelivery.id).limit(1))
        if tried:
            query = query.where(EventDelivery.id.not_in(tried))
        row_id = db.session.scalar(query.with_only_columns(EventDelivery.id))
        db.session.rollback()
        if row_id is None:
            break
        tried.add(row_id)
        delivered += _deliver_one(sa.select(EventDelivery).where(EventDelivery.id == row_id,
                                                                  EventDelivery.next_attempt_at <= now))
    return delivered


def _deliver_one(query) -> bool:
    """Hand one delivery row (the row ``query`` selects, locked while its subscriber runs
    where the database can) to its subscriber and delete it, in one transaction; on
    failure, roll that back and note the failure on the row instead."""
    row = db.session.scalar(query.with_for_update(skip_locked=True))
    if row is None:
        db.session.rollback()
        return False
    row_id, name = row.id, row.subscriber
    try:
        subscriber = SUBSCRIBERS[name]
        event = EVENT_TYPES[row.event](**json.loads(row.payload))
        subscriber(event)
        db.session.delete(row)
        db.session.commit()
        return True
    except Exception as error:  # noqa: BLE001 - any subscriber failure is kept for a retry
        db.session.rollback()
        log.exception("subscriber %s failed on delivery %s; it will be retried", name, row_id)
        _note_failure(row_id, error)
        return False


def _note_failure(row_id: int, error: Exception) -> None:
    row = db.session.get(EventDelivery, row_id)
    if row is None:
        db.session.rollback()
        return
    row.attempts += 1
    wait = min(RETRY_FIRST_SECONDS * 2 ** (row.attempts - 1), RETRY_MAX_SECONDS)
    row.next_attempt_at = utcnow() + dt.timedelta(seconds=wait)
    row.last_error = f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH]
    db.session.commit()


def waiting(limit: int = 50) -> list[EventDelivery]:
    """Delivery rows still waiting, oldest first (for ``flask hoering events status``)."""
    return list(db.session.scalars(sa.select(EventDelivery).order_by(EventDelivery.id).limit(limit)))


def count_waiting() -> tuple[int, int]:
    """``(waiting, failed at least once)`` numbers of delivery rows."""
    total = db.session.scalar(sa.select(sa.func.count(EventDelivery.id))) or 0
    failed = db.session.scalar(sa.select(sa.func.count(EventDelivery.id)).where(EventDelivery.attempts > 0)) or 0
    return total, failed
