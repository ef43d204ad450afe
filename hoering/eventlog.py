"""The event log: every announced domain event, kept until each of its subscribers has run.

A service announces an event (:func:`hoering.events.announce`) inside its transaction. That
writes one :class:`EventDelivery` row per subscriber of the event in the same transaction,
so the event is committed with the change it reports, or not at all. Once the commit has
gone through, the session runs :func:`deliver_committed` (``hoering.extensions.Session``),
which hands the event to each subscriber in turn; with jobs in Redis
(:mod:`hoering.jobs`) it queues that as a job for the worker instead. A subscriber's work and the deletion of
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

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from hoering import jobs
from hoering.extensions import AFTER_COMMIT, NO_COMMIT, db
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
#: Most deliveries run in one transaction: a transaction that announced thousands of
#: events has them delivered in several, each short (SQLite lets one writer in at a time).
BATCH_SIZE = 200

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
    """Add one delivery row per subscriber to the current transaction (they are written
    with its next flush); once it commits, they are delivered in this process
    (:func:`deliver_committed`).

    Args:
        event_name: a key of :data:`EVENT_TYPES`.
        payload: the event's fields (JSON-serialisable).
        subscribers: keys of :data:`SUBSCRIBERS`.

    Raises:
        TypeError: ``payload`` cannot be written as JSON.
    """
    if not subscribers:
        return
    text = json.dumps(payload, sort_keys=True)
    due = utcnow() + dt.timedelta(seconds=GRACE_SECONDS)
    rows = [EventDelivery(event=event_name, payload=text, subscriber=name, next_attempt_at=due)
            for name in subscribers]
    db.session.add_all(rows)
    waiting = db.session.info.setdefault(AFTER_COMMIT, [])
    if not waiting or not isinstance(waiting[-1], _CommittedDeliveries):
        waiting.append(_CommittedDeliveries())
    waiting[-1].rows.extend(rows)


class _CommittedDeliveries:
    """The delivery rows one transaction wrote, delivered once it has committed.

    The rows are kept as objects, not flushed as they are announced (a service that
    announces an event per row of a long list need not flush for each); their ids are read
    from the session's identity keys after the commit, without a query. A row whose
    insert was rolled back (to a savepoint) has no identity and is left out.
    """

    def __init__(self):
        self.rows: list[EventDelivery] = []

    def __call__(self) -> None:
        rows, self.rows = self.rows, []
        ids = []
        for row in rows:
            state = sa.inspect(row)
            if state.identity is not None:
                ids.append(state.identity[0])
            if state.session is not None:
                state.session.expunge(row)  # the delivery deletes the row with a statement of its own
        if ids and not jobs.enqueue("deliver_events"):
            deliver_committed(ids)


def deliver_committed(ids: list[int]) -> int:
    """Deliver the given rows now, those still there (another process may have taken them,
    or the transaction that wrote them may have been rolled back to a savepoint).

    They are run :data:`BATCH_SIZE` at a time, each batch in one transaction (one commit,
    where each subscriber would cost one); should a subscriber fail, its batch is rolled
    back and each of its rows is delivered in a transaction of its own, so only the failing
    one waits for a retry.

    Returns:
        How many were delivered.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the event log cannot be read or written (the
            database is unreachable or locked); what was not delivered waits in the log.
    """
    return _deliver(ids)


def deliver_due(limit: int = 100, now: dt.datetime | None = None) -> int:
    """Deliver rows whose time has come (announced by a process that died before
    delivering them, or failed before), oldest first, as :func:`deliver_committed` does.

    Any number of processes may call this at once, alongside the deliveries after their
    own commits: a row is claimed by deleting it in the transaction that runs its
    subscriber, so each subscriber's database work is done once.

    Args:
        limit: the most rows to try in this call.
        now: the time to compare ``next_attempt_at`` with (UTC; default now).

    Returns:
        How many were delivered.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the event log cannot be read or written.
    """
    now = now or utcnow()
    return _deliver(_oldest_ids(EventDelivery.next_attempt_at <= now, limit), due_by=now)


def deliver_waiting(limit: int = 1000, now: dt.datetime | None = None) -> int:
    """Deliver the rows not waiting for a retry, oldest first: new ones (within their grace
    time too) and those due (the job of the background worker, :mod:`hoering.jobs`).

    Args:
        limit: the most rows to try in this call.
        now: the time to compare ``next_attempt_at`` with (UTC; default now).

    Returns:
        How many were delivered.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the event log cannot be read or written.
    """
    now = now or utcnow()
    return _deliver(_oldest_ids(sa.or_(EventDelivery.attempts == 0, EventDelivery.next_attempt_at <= now), limit))


def _oldest_ids(condition, limit: int) -> list[int]:
    """The ids of at most ``limit`` rows meeting ``condition``, oldest first; the reading
    transaction is ended, as each row is then claimed in a transaction of its own."""
    ids = list(db.session.scalars(sa.select(EventDelivery.id).where(condition).order_by(EventDelivery.id).limit(limit)))
    db.session.rollback()
    return ids


def _deliver(ids: list[int], due_by: dt.datetime | None = None) -> int:
    delivered = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start:start + BATCH_SIZE]
        together = _deliver_together(batch, due_by) if len(batch) > 1 else None
        if together is None:
            together = sum(_deliver_one(row_id, due_by) for row_id in batch)
        delivered += together
    return delivered


def _claim(ids: list[int], due_by: dt.datetime | None) -> list[sa.Row]:
    """Take the rows of ``ids`` that are still there (and due by ``due_by``) for this
    transaction: delete them, returning what they held (``id``, ``event``, ``payload``,
    ``subscriber``), oldest first. Committing the transaction completes their delivery;
    rolling it back gives them back.

    The delete is the claim: on SQLite it takes the write lock, so a second process
    deleting the same rows waits and finds them gone; on PostgreSQL the rows are first
    locked with ``FOR UPDATE SKIP LOCKED``, so a second process passes over them rather
    than waiting."""
    table = EventDelivery.__table__
    conditions = [table.c.id.in_(ids)]
    if due_by is not None:
        conditions.append(table.c.next_attempt_at <= due_by)
    free = list(db.session.scalars(sa.select(table.c.id).where(*conditions).with_for_update(skip_locked=True)))
    if not free:
        return []
    claimed = db.session.execute(sa.delete(table).where(table.c.id.in_(free), *conditions[1:]).returning(
        table.c.id, table.c.event, table.c.payload, table.c.subscriber)).all()
    return sorted(claimed, key=lambda row: row.id)


def _deliver_together(ids: list[int], due_by: dt.datetime | None) -> int | None:
    """Every row of ``ids`` still there, handed to its subscriber and deleted in one
    transaction; ``None`` (and nothing done) if a subscriber failed."""
    rows = _claim(ids, due_by)
    try:
        for row in rows:
            _hand_over(row)
        db.session.commit()
        return len(rows)
    except Exception as error:  # noqa: BLE001 - delivered one by one instead, which keeps the failure
        _roll_back()
        log.info("delivering %d events together failed (%r); delivering them one by one", len(rows), error)
        return None


def _deliver_one(row_id: int, due_by: dt.datetime | None) -> bool:
    """Hand one delivery row to its subscriber and delete it, in one transaction; on
    failure, roll that back and note the failure on the row instead."""
    rows = _claim([row_id], due_by)
    if not rows:
        db.session.rollback()
        return False
    row = rows[0]
    try:
        _hand_over(row)
        db.session.commit()
        return True
    except Exception as error:  # noqa: BLE001 - any subscriber failure is kept for a retry
        _roll_back()
        log.exception("subscriber %s failed on delivery %s; it will be retried", row.subscriber, row_id)
        _note_failure(row_id, error)
        return False


def _hand_over(row: sa.Row) -> None:
    """Call the subscriber a claimed row names with the event it holds.

    Raises:
        LookupError: no subscriber or event of the row's names in this code (renamed or
            removed since the row was written).
        ValueError: the stored payload is not JSON.
        TypeError: the payload lacks a field the event class requires.
        RuntimeError: the subscriber committed or rolled back the delivery's transaction.
        Exception: whatever the subscriber raised.
    """
    subscriber = SUBSCRIBERS.get(row.subscriber)
    if subscriber is None:
        raise LookupError(f"no subscriber named {row.subscriber} in this code (renamed or removed?)")
    event_type = EVENT_TYPES.get(row.event)
    if event_type is None:
        raise LookupError(f"no event named {row.event} in this code (renamed or removed?)")
    fields = {field.name for field in dataclasses.fields(event_type)}
    # A field the event class no longer has is dropped: no subscriber can use it.
    payload = {key: value for key, value in json.loads(row.payload).items() if key in fields}
    try:
        event = event_type(**payload)
    except TypeError as error:
        raise TypeError(f"the stored {row.event} does not fit the event class: {error}") from error
    # The delivery commits the subscriber's work with the deletion of its row (and of the
    # other rows of its batch): a subscriber that ended that transaction itself would
    # commit or undo them out of turn.
    session = db.session()
    transaction = session.get_transaction()
    session.info[NO_COMMIT] = f"subscriber {row.subscriber} committed: its delivery commits its work"
    try:
        subscriber(event)
    finally:
        session.info.pop(NO_COMMIT, None)
    if session.get_transaction() is not transaction:
        raise RuntimeError(f"subscriber {row.subscriber} rolled back: its delivery ends the transaction")


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; nothing is left open on it
        log.warning("rolling back a failed delivery failed too", exc_info=True)


def _note_failure(row_id: int, error: Exception) -> None:
    """Count a failed attempt on the row and set its next attempt, unless the row is gone
    (another process delivered it meanwhile)."""
    table = EventDelivery.__table__
    attempts = db.session.scalar(
        sa.update(table).where(table.c.id == row_id)
        .values(attempts=table.c.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:ERROR_MAX_LENGTH])
        .returning(table.c.attempts))
    if attempts is not None:
        wait = min(RETRY_FIRST_SECONDS * 2 ** min(attempts - 1, 30), RETRY_MAX_SECONDS)
        db.session.execute(sa.update(table).where(table.c.id == row_id)
                           .values(next_attempt_at=utcnow() + dt.timedelta(seconds=wait)))
    db.session.commit()


def is_waiting(event_name: str, payload: dict) -> bool:
    """True while a delivery of the event ``event_name`` with ``payload`` waits in the log
    (its subscriber failed and waits for a retry, or another process is delivering it)."""
    text = json.dumps(payload, sort_keys=True)
    return db.session.scalar(sa.select(EventDelivery.id).where(
        EventDelivery.event == event_name, EventDelivery.payload == text).limit(1)) is not None


def waiting(limit: int = 50) -> list[EventDelivery]:
    """Delivery rows still waiting, oldest first (for ``flask hoering events status``)."""
    return list(db.session.scalars(sa.select(EventDelivery).order_by(EventDelivery.id).limit(limit)))


def count_waiting() -> tuple[int, int]:
    """``(waiting, failed at least once)`` numbers of delivery rows."""
    total = db.session.scalar(sa.select(sa.func.count(EventDelivery.id))) or 0
    failed = db.session.scalar(sa.select(sa.func.count(EventDelivery.id)).where(EventDelivery.attempts > 0)) or 0
    return total, failed
