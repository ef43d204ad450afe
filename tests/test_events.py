"""Domain events: subscribers run after the commit, a failing one undoes nothing and is
retried from the event log, and what a stopped process left is delivered later."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from hoering import eventlog
from hoering.eventlog import EventDelivery
from hoering.events import CommentPosted, announce
from hoering.extensions import db
from hoering.timeutil import utcnow

INDEX_COMMENT = "hoering.search.subscribers.index_comment"
TELL_OF_COMMENT = "hoering.notifications.subscribers.tell_of_published_comment"
QUEUE_VECTORS = "hoering.summaries.subscribers.queue_comment_vectors"


def deliveries(app) -> list[tuple[str, str, int, str | None]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(EventDelivery).order_by(EventDelivery.id)).all()
        return [(row.event, row.subscriber, row.attempts, row.last_error) for row in rows]


def search_hits(client, words: str) -> int:
    return client.get(f"/api/v1/search?q={words}&type=comment").get_json()["counts"]["comment"]


def test_a_failing_subscriber_leaves_the_comment_posted_and_is_retried_from_the_event_log(
        app, browser_for, make_consultation, runner, search_inline, monkeypatch):
    consultation = make_consultation()
    citizen = browser_for()
    working = eventlog.SUBSCRIBERS[INDEX_COMMENT]

    def index_is_down(event):
        raise OSError("the index disk is full")

    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, index_is_down)
    comment_id = citizen.comment(consultation.slug, "Gatelysene i Fjordvik slukkes for tidlig")

    # the comment is there for everyone, and the mail subscriber ran; only indexing waits
    page = citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Gatelysene i Fjordvik slukkes for tidlig" in page
    assert deliveries(app) == [("CommentPosted", INDEX_COMMENT, 1, "OSError: the index disk is full")]
    assert search_hits(citizen, "gatelysene") == 0

    # not yet due: a sweep leaves it alone
    result = runner.invoke(args=["hoering", "events", "deliver"])
    assert result.output == "Delivered 0 events.\n"

    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, working)
    result = runner.invoke(args=["hoering", "events", "deliver", "--all"])
    assert result.exit_code == 0 and result.output == "Delivered 1 events.\n"
    assert deliveries(app) == []
    runner.invoke(args=["hoering", "index-worker", "--once"])
    assert search_hits(citizen, "gatelysene") == 1
    assert comment_id


def test_the_status_command_names_what_waits_and_why(app, browser_for, make_consultation, runner, monkeypatch):
    consultation = make_consultation()

    def failing(event):
        raise RuntimeError("SMTP says no")

    monkeypatch.setitem(eventlog.SUBSCRIBERS, TELL_OF_COMMENT, failing)
    browser_for().comment(consultation.slug, "Et innspill")

    output = runner.invoke(args=["hoering", "events", "status"]).output
    assert output.startswith("1 deliveries waiting, 1 of them failed at least once.\n")
    assert f"CommentPosted -> {TELL_OF_COMMENT}: 1 failed attempts" in output
    assert "RuntimeError: SMTP says no" in output


def test_failures_wait_longer_each_time(app, browser_for, make_consultation, monkeypatch):
    consultation = make_consultation()

    def failing(event):
        raise RuntimeError("down")

    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, failing)
    browser_for().comment(consultation.slug, "Et innspill")
    waits = []
    with app.app_context():
        for _ in range(3):
            row = db.session.scalars(sa.select(EventDelivery)).one()
            before = utcnow()
            waits.append((row.next_attempt_at - before).total_seconds())
            assert eventlog.deliver_due(now=row.next_attempt_at) == 0
        row = db.session.scalars(sa.select(EventDelivery)).one()
        waits.append((row.next_attempt_at - utcnow()).total_seconds())
        assert row.attempts == 4
    # 30 s after the first failure, then 60 s, 120 s, 240 s
    assert [round(w, -1) for w in waits] == [30, 60, 120, 240]


def test_what_a_stopped_process_left_is_delivered_after_a_later_response(
        app, browser_for, make_consultation, monkeypatch):
    consultation = make_consultation()
    monkeypatch.setattr(eventlog, "deliver_committed", lambda ids: 0)  # the process stops after its commit
    citizen = browser_for()
    citizen.comment(consultation.slug, "Et innspill om veilys")
    assert sorted(row[:3] for row in deliveries(app)) == sorted([("CommentPosted", INDEX_COMMENT, 0),
                                                                ("CommentPosted", TELL_OF_COMMENT, 0),
                                                                ("CommentPosted", QUEUE_VECTORS, 0)])
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "EVENT_SWEEP_SECONDS", 0.001)

    citizen.get("/").close()  # not due yet: left to the process that announced them
    assert len(deliveries(app)) == 3

    with app.app_context():
        db.session.execute(sa.update(EventDelivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
    citizen.get("/").close()
    assert deliveries(app) == []


def test_an_event_of_a_transaction_rolled_back_reaches_nobody(app, make_consultation, make_user, monkeypatch):
    consultation = make_consultation()
    author = make_user()
    seen = []
    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, seen.append)
    with app.app_context():
        announce(CommentPosted(1, consultation.id, author.id, "published"))
        db.session.rollback()
        db.session.commit()
        assert seen == []
        assert db.session.scalar(sa.select(sa.func.count(EventDelivery.id))) == 0

        announce(CommentPosted(2, consultation.id, author.id, "published"))
        db.session.commit()
    assert seen == [CommentPosted(2, consultation.id, author.id, "published")]


def test_a_subscriber_sees_the_committed_change(app, browser_for, make_consultation, monkeypatch):
    """Subscribers run after the commit, in a transaction of their own: what they read
    is what was committed (here: the comment, by its id alone)."""
    from hoering.comments.models import Comment

    consultation = make_consultation()
    seen = []

    def look(event):
        seen.append(db.session.get(Comment, event.comment_id).body_text)

    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, look)
    browser_for().comment(consultation.slug, "Sett etter commit")
    assert seen == ["Sett etter commit"]


@pytest.mark.parametrize("name", sorted(eventlog.EVENT_TYPES))
def test_every_event_is_documented_with_its_publishers_and_subscribers(app, name):
    import os

    from hoering.events import subscribers_of

    with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "docs", "ARCHITECTURE.md"),
              encoding="utf-8") as file:
        architecture = file.read()
    assert f"`{name}`" in architecture
    for subscriber in subscribers_of(eventlog.EVENT_TYPES[name]):
        assert f"`{subscriber.rsplit('.', 1)[1]}`" in architecture, subscriber


def test_work_before_the_commit_runs_in_the_transaction_and_is_dropped_on_rollback(app):
    from hoering.extensions import BEFORE_COMMIT

    ran = []
    with app.app_context():
        db.session.info.setdefault(BEFORE_COMMIT, []).append(lambda: ran.append("dropped"))
        db.session.rollback()
        db.session.info.setdefault(BEFORE_COMMIT, []).append(
            lambda: ran.append(db.session().in_transaction() and "inside"))
        db.session.execute(sa.select(1))
        db.session.commit()
        db.session.commit()  # done once
    assert ran == ["inside"]


def test_transaction_subscribers_run_when_the_event_is_announced(app, monkeypatch):
    from hoering import events

    seen = []
    monkeypatch.setitem(events._in_transaction, "CommentPosted", [seen.append])
    with app.app_context():
        event = CommentPosted(comment_id=1, consultation_id=1, author_id=1, state="published")
        announce(event)
        assert seen == [event]  # before any commit
        db.session.rollback()
