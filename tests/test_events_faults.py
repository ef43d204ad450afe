"""Domain events under bad luck: subscribers that fail half-way or always, rows the code no
longer knows, several processes delivering the same rows at once, a database that goes
away between the commit and the delivery, and a ban that announces thousands of events.

Each test goes through a door of the app (the test client, the CLI runner, threads of
their own) and runs on SQLite, or on PostgreSQL with ``HOERING_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from hoering import eventlog
from hoering.accounts.verification import email_verification_token
from hoering.comments.models import Comment
from hoering.eventlog import EventDelivery
from hoering.events import CommentPosted, announce
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.search.models import IndexTask
from hoering.search.services import enqueue
from hoering.timeutil import utcnow
from tests.concurrency import answers, at_once
from tests.conftest import Browser, csrf_token_from
from tests.moderation.test_ban_hides_comments import ban
from tests.moderation.test_self_moderation import post_action
from tests.security.test_database_outage import (
    logged_in_client,
    outage,  # noqa: F401  (a fixture)
)
from tests.summaries.test_themes_and_summary import summary_data

INDEX_COMMENT = "hoering.search.subscribers.index_comment"
TELL_OF_COMMENT = "hoering.notifications.subscribers.tell_of_published_comment"
QUEUE_VECTORS = "hoering.summaries.subscribers.queue_comment_vectors"
RELEASE_COMMENTS = "hoering.comments.subscribers.release_comments_of_confirmed_author"


def deliveries(app) -> list[tuple[str, str, int, str | None]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(EventDelivery).order_by(EventDelivery.id)).all()
        return [(row.event, row.subscriber, row.attempts, row.last_error) for row in rows]


def count(app, statement) -> int:
    with app.app_context():
        return db.session.scalar(statement)


def reply_mails(app) -> list[int]:
    """The comment ids of the reply mails in the outbox, in order."""
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMail.comment_id).where(OutboxMail.kind == "reply")
                                       .order_by(OutboxMail.comment_id)))


def index_tasks_of(app, comment_ids) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(sa.select(IndexTask.doc_id).where(
            IndexTask.doc_type == "comment", IndexTask.doc_id.in_(list(comment_ids)))))


def command(app, *args: str) -> None:
    """Run ``flask hoering <args>`` as the ``flask`` command does, printing to the real
    output (the CLI runner swaps ``sys.stdout``, which threads cannot share); a failure
    is raised."""
    from flask.cli import ScriptInfo

    app.cli.main(args=["hoering", *args], standalone_mode=False, obj=ScriptInfo(create_app=lambda: app))


def comment_form(page: str, text: str) -> dict:
    """What the comment form of a consultation's ``page`` sends with ``text``: its CSRF
    token and its submission key (which makes a second sending of it the same comment)."""
    submission = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    return {"csrf_token": csrf_token_from(page), "submission": submission, "text": text}


def make_all_due(app) -> None:
    with app.app_context():
        db.session.execute(sa.update(EventDelivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()


def failing(message: str):
    def fail(event):
        raise RuntimeError(message)

    return fail


def test_a_subscriber_that_fails_after_writing_leaves_none_of_its_writes_and_the_others_are_delivered(
        app, browser_for, make_consultation, make_comment, make_user, monkeypatch):
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(), "Et innlegg som får svar")

    def writes_then_fails(event):
        enqueue("comment", event.comment_id)
        db.session.flush()
        raise RuntimeError("the index broke half-way")

    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, writes_then_fails)
    reply_id = browser_for().comment(consultation.slug, "Et svar", reply_to=parent.id)

    assert count(app, sa.select(Comment.state).where(Comment.id == reply_id)) == "published"
    assert index_tasks_of(app, [reply_id]) == []  # the failed subscriber's write is gone
    assert reply_mails(app) == [reply_id]  # the other subscriber's is there
    assert deliveries(app) == [("CommentPosted", INDEX_COMMENT, 1, "RuntimeError: the index broke half-way")]


@pytest.mark.parametrize("ending", ["commit", "rollback"])
def test_a_subscriber_that_ends_the_transaction_itself_fails_and_its_work_is_not_kept(
        app, browser_for, make_consultation, make_comment, make_user, monkeypatch, ending):
    """The delivery commits a subscriber's work together with the deletion of its row (and
    of its batch's rows): a subscriber that commits or rolls back itself would commit
    them out of turn or leave its row to be delivered again."""
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(), "Et innlegg som får svar")

    def ends_it(event):
        enqueue("comment", event.comment_id)
        getattr(db.session, ending)()
        enqueue("comment", event.comment_id)

    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, ends_it)
    reply_id = browser_for().comment(consultation.slug, "Et svar", reply_to=parent.id)

    assert index_tasks_of(app, [reply_id]) == []
    assert reply_mails(app) == [reply_id]
    [(event, subscriber, attempts, error)] = deliveries(app)
    assert (event, subscriber, attempts) == ("CommentPosted", INDEX_COMMENT, 1)
    assert error == {"commit": f"RuntimeError: subscriber {INDEX_COMMENT} committed: its delivery commits its work",
                     "rollback": f"RuntimeError: subscriber {INDEX_COMMENT} rolled back: its delivery ends the "
                                 "transaction"}[ending]


def test_a_subscriber_that_always_fails_is_tried_again_at_most_hourly_and_shown_in_the_status(
        app, browser_for, make_consultation, runner, monkeypatch):
    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, failing("the index disk is full"))
    browser_for().comment(make_consultation().slug, "Et innspill")

    for _ in range(12):
        assert runner.invoke(args=["hoering", "events", "deliver", "--all"]).output == "Delivered 0 events.\n"

    output = runner.invoke(args=["hoering", "events", "status"]).output
    assert output.startswith("1 deliveries waiting, 1 of them failed at least once.\n")
    assert f"CommentPosted -> {INDEX_COMMENT}: 13 failed attempts" in output
    assert "RuntimeError: the index disk is full" in output
    with app.app_context():
        wait = (db.session.scalars(sa.select(EventDelivery)).one().next_attempt_at - utcnow()).total_seconds()
    assert 3500 < wait <= eventlog.RETRY_MAX_SECONDS


def test_rows_the_code_no_longer_knows_wait_in_the_status_and_hold_up_nothing(
        app, browser_for, make_consultation, make_comment, make_user, runner, monkeypatch):
    """Rows written by an older version of the code: a subscriber and an event since
    renamed, an event that has lost a field since (delivered without it) and one that has
    gained a required field (cannot be delivered)."""
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(), "Skrevet før oppgraderingen")
    fields = {"comment_id": comment.id, "consultation_id": consultation.id}
    stale = [
        ("CommentPosted", {**fields, "author_id": comment.author_id, "state": "published"},
         "hoering.search.subscribers.reindex_comment"),
        ("CommentWritten", fields, INDEX_COMMENT),
        ("CommentEdited", {**fields, "edited_by": comment.author_id}, INDEX_COMMENT),
        ("CommentEdited", {"comment_id": comment.id}, INDEX_COMMENT),
    ]
    long_ago = utcnow() - dt.timedelta(days=1)
    with app.app_context():
        db.session.add_all(EventDelivery(event=event, payload=json.dumps(payload), subscriber=subscriber,
                                         created_at=long_ago, next_attempt_at=long_ago)
                           for event, payload, subscriber in stale)
        db.session.commit()
    monkeypatch.setitem(app.config, "EVENT_SWEEP_SECONDS", 0.001)
    citizen = browser_for()

    new_id = citizen.comment(consultation.slug, "Skrevet etter oppgraderingen")  # delivered at once
    response = citizen.get("/")  # the sweep after the response takes the old rows
    assert response.status_code == 200
    response.close()

    # the factory's task, the old event that lost a field, the new comment's event
    assert index_tasks_of(app, [comment.id, new_id]) == [comment.id, comment.id, new_id]
    output = runner.invoke(args=["hoering", "events", "status"]).output
    assert output.startswith("3 deliveries waiting, 3 of them failed at least once.\n")
    assert ("LookupError: no subscriber named hoering.search.subscribers.reindex_comment in this code "
            "(renamed or removed?)") in output
    assert "LookupError: no event named CommentWritten in this code (renamed or removed?)" in output
    assert "TypeError: the stored CommentEdited does not fit the event class:" in output
    assert "consultation_id" in output
    result = runner.invoke(args=["hoering", "events", "deliver", "--all"])
    assert (result.exit_code, result.output) == (0, "Delivered 0 events.\n")


def test_what_the_sweep_after_a_response_delivers_reaches_the_search_index(
        app, browser_for, make_consultation, search_inline, monkeypatch):
    consultation = make_consultation()
    citizen = browser_for()
    working = eventlog.SUBSCRIBERS[INDEX_COMMENT]
    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, failing("the index disk is full"))
    citizen.comment(consultation.slug, "Gatelysene i Fjordvik slukkes for tidlig")
    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, working)
    make_all_due(app)
    monkeypatch.setitem(app.config, "EVENT_SWEEP_SECONDS", 0.001)

    citizen.get("/").close()  # the sweep delivers the event as the response closes

    assert deliveries(app) == []
    assert citizen.get("/api/v1/search?q=gatelysene&type=comment").get_json()["counts"]["comment"] == 1


def test_an_event_announced_in_a_savepoint_that_is_rolled_back_reaches_nobody(
        app, make_consultation, make_user, monkeypatch):
    consultation, author = make_consultation(), make_user()
    seen = []
    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, seen.append)
    with app.app_context():
        announce(CommentPosted(1, consultation.id, author.id, "published"))
        savepoint = db.session.begin_nested()
        announce(CommentPosted(2, consultation.id, author.id, "published"))
        db.session.flush()
        savepoint.rollback()
        announce(CommentPosted(3, consultation.id, author.id, "published"))
        db.session.commit()

        announce(CommentPosted(4, consultation.id, author.id, "published"))
        db.session.remove()  # the app context ends without a commit
        db.session.commit()
    assert [event.comment_id for event in seen] == [1, 3]
    assert deliveries(app) == []


def test_announcing_writes_nothing_before_the_commit(app, make_consultation, make_user, count_queries):
    """A transaction that announces thousands of events writes their rows together."""
    consultation, author = make_consultation(), make_user()
    with app.app_context():
        db.session.get(Comment, 1)  # the transaction has begun
        with count_queries() as counter:
            for comment_id in range(1, 501):
                announce(CommentPosted(comment_id, consultation.id, author.id, "hidden"))
        db.session.rollback()
    assert counter.count == 0


# A warning does not stop a delivery in production; here it would stop the second delivery
# of a row, and hide that it happened.
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_the_sweep_and_the_command_delivering_the_same_rows_at_once_do_the_work_once(
        app, browser_for, make_consultation, make_comment, make_user, monkeypatch):
    """Rows a stopped process left behind, taken at the same moment by two sweeps after
    responses and two ``flask hoering events deliver``: each reply mail is written once."""
    import time

    consultation = make_consultation()
    parents = [make_comment(consultation, make_user(), f"Innlegg {n}") for n in range(4)]
    citizen = browser_for()
    monkeypatch.setattr(eventlog, "deliver_committed", lambda ids: 0)  # the process stops after its commits
    replies = [citizen.comment(consultation.slug, f"Svar {n}", reply_to=parent.id) for n, parent in enumerate(parents)]
    monkeypatch.undo()
    make_all_due(app)
    working = eventlog.SUBSCRIBERS[TELL_OF_COMMENT]

    def slow(event):  # holds its rows a while, so the others arrive while it works
        working(event)
        db.session.flush()
        time.sleep(0.2)

    monkeypatch.setitem(eventlog.SUBSCRIBERS, TELL_OF_COMMENT, slow)
    monkeypatch.setitem(app.config, "EVENT_SWEEP_SECONDS", 0.001)
    visitors = [Browser(app.test_client()) for _ in range(2)]

    def visit(visitor):
        response = visitor.get("/")
        response.close()  # the sweep runs as the response closes
        return response

    def deliver():
        return command(app, "events", "deliver", "--all")

    results = at_once([lambda: visit(visitors[0]), lambda: visit(visitors[1]), deliver, deliver])

    assert answers(results) == [200, 200, None, None]
    assert reply_mails(app) == sorted(replies)
    assert index_tasks_of(app, replies) == sorted(replies)
    assert deliveries(app) == []


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # as above
def test_comments_posted_at_once_while_sweeps_and_the_command_deliver_all_go_through(
        app, browser_for, make_consultation, make_comment, make_user, monkeypatch):
    """Many writers on the database at once (on SQLite one at a time, the others waiting
    for its lock): no request fails, each event is delivered once."""
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(), "Et innlegg mange svarer på")
    citizens = [browser_for() for _ in range(6)]
    monkeypatch.setattr(eventlog, "deliver_committed", lambda ids: 0)
    left_behind = [citizens[0].comment(consultation.slug, f"Etterlatt {n}", reply_to=parent.id) for n in range(20)]
    monkeypatch.undo()
    make_all_due(app)
    monkeypatch.setitem(app.config, "EVENT_SWEEP_SECONDS", 0.001)

    def post(citizen, n):
        page = citizen.get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
        response = citizen.client.post(f"/hoeringer/{consultation.slug}/kommentarer", data={
            "csrf_token": csrf_token_from(page), "text": f"Samtidig svar {n}", "parent_id": str(parent.id)})
        response.close()
        return response

    def deliver():
        return command(app, "events", "deliver", "--all")

    calls = [lambda c=c, n=n: post(c, n) for n, c in enumerate(citizens)]
    results = at_once([*calls, deliver, deliver])

    assert answers(results) == [303] * 6 + [None, None]
    with app.app_context():
        posted = list(db.session.scalars(sa.select(Comment.id).where(Comment.parent_id == parent.id)))
    assert len(posted) == 26
    assert deliveries(app) == []
    assert reply_mails(app) == sorted(posted)
    assert index_tasks_of(app, posted) == sorted(posted)
    assert len(left_behind) == 20


def test_a_comment_posted_while_the_database_is_away_during_the_delivery_is_answered_as_posted(
        outage, make_user, make_consultation, runner, monkeypatch):  # noqa: F811
    other, switch = outage
    consultation = make_consultation()
    client = logged_in_client(other, make_user())
    page = f"/hoeringer/{consultation.slug}"
    data = comment_form(client.get(page).get_data(as_text=True), "Lagret før databasen forsvant")
    deliver_committed = eventlog.deliver_committed

    def away_meanwhile(ids):
        switch.cut()
        try:
            return deliver_committed(ids)
        finally:
            switch.restore()

    monkeypatch.setattr(eventlog, "deliver_committed", away_meanwhile)
    response = client.post(f"{page}/kommentarer", data=data)

    assert response.status_code == 303
    assert "Lagret før databasen forsvant" in client.get(response.headers["Location"], follow_redirects=True) \
        .get_data(as_text=True)
    assert sorted(row[:3] for row in deliveries(other)) == sorted([("CommentPosted", INDEX_COMMENT, 0),
                                                                  ("CommentPosted", TELL_OF_COMMENT, 0),
                                                                  ("CommentPosted", QUEUE_VECTORS, 0)])
    monkeypatch.undo()
    assert runner.invoke(args=["hoering", "events", "deliver", "--all"]).output == "Delivered 3 events.\n"
    assert deliveries(other) == []


def test_a_comment_whose_answer_the_outage_took_is_not_stored_twice_when_sent_again(
        outage, make_user, make_consultation, runner, monkeypatch):  # noqa: F811
    """The database goes away right after the comment's commit and stays away while the
    answer is made: the answer needs nothing more from it (the new comment's address is
    kept through the commit) and points to the stored comment; the same form sent again
    (an answer lost on the way) once the database is back stores nothing more; the
    waiting deliveries go out later."""
    other, switch = outage
    consultation = make_consultation()
    client = logged_in_client(other, make_user())
    page = f"/hoeringer/{consultation.slug}"
    data = comment_form(client.get(page).get_data(as_text=True), "Lagret rett før utfallet")
    deliver_committed = eventlog.deliver_committed

    def away_from_now_on(ids):
        switch.cut()
        return deliver_committed(ids)

    monkeypatch.setattr(eventlog, "deliver_committed", away_from_now_on)
    first = client.post(f"{page}/kommentarer", data=data)
    assert first.status_code == 303
    switch.restore()
    monkeypatch.undo()

    again = client.post(f"{page}/kommentarer", data=data)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert count(other, sa.select(sa.func.count(Comment.id)).where(Comment.body_text == "Lagret rett før utfallet")) == 1
    assert count(other, sa.select(Comment.id).where(Comment.body_text == "Lagret rett før utfallet")) == \
        int(first.headers["Location"].rsplit("/", 1)[1])
    assert runner.invoke(args=["hoering", "events", "deliver", "--all"]).output == "Delivered 3 events.\n"


def test_confirming_an_address_while_the_release_of_its_comments_fails_tells_nothing_untrue(
        app, browser_for, make_consultation, runner, monkeypatch):
    consultation = make_consultation()
    citizen = browser_for(verified=False)
    comment_id = citizen.comment(consultation.slug, "Venter på e-postadressen")
    with app.app_context():
        token = email_verification_token(db.session.get(type(citizen.user), citizen.user.id))
    monkeypatch.setitem(eventlog.SUBSCRIBERS, RELEASE_COMMENTS, failing("the comments are locked"))

    response = citizen.submit(f"/bekreft-epost/{token}")

    assert response.status_code == 303
    page = citizen.get(response.headers["Location"]).get_data(as_text=True)
    assert "moderatorene" not in page  # not "sent to the moderators": nothing has happened to it yet
    assert count(app, sa.select(Comment.state).where(Comment.id == comment_id)) == "pending"
    monkeypatch.undo()
    assert runner.invoke(args=["hoering", "events", "deliver", "--all"]).output == "Delivered 1 events.\n"
    assert count(app, sa.select(Comment.state).where(Comment.id == comment_id)) == "published"


def test_a_failure_in_an_event_a_subscriber_set_off_stays_with_that_event(
        app, browser_for, make_consultation, make_comment, make_user, monkeypatch):
    """Confirming the address releases the waiting reply (a subscriber, which announces
    that it is published); telling of the reply fails: the address is confirmed, the reply
    published, and only the telling waits."""
    consultation = make_consultation()
    parent = make_comment(consultation, make_user(), "Et innlegg")
    citizen = browser_for(verified=False)
    reply_id = citizen.comment(consultation.slug, "Et svar som venter", reply_to=parent.id)
    with app.app_context():
        token = email_verification_token(db.session.get(type(citizen.user), citizen.user.id))
    monkeypatch.setitem(eventlog.SUBSCRIBERS, TELL_OF_COMMENT, failing("SMTP says no"))

    assert citizen.submit(f"/bekreft-epost/{token}").status_code == 303

    assert count(app, sa.select(Comment.state).where(Comment.id == reply_id)) == "published"
    assert deliveries(app) == [("CommentPublished", TELL_OF_COMMENT, 1, "RuntimeError: SMTP says no")]


def test_views_answer_as_usual_when_every_subscriber_fails(
        app, browser_for, make_consultation, make_comment, make_user, monkeypatch):
    """A failing subscriber rolls back the session inside the request, after the
    service's commit: the views go on with their objects and answer as usual."""
    for name in list(eventlog.SUBSCRIBERS):
        monkeypatch.setitem(eventlog.SUBSCRIBERS, name, failing(f"{name} is down"))
    consultation = make_consultation()
    closed = make_consultation(status="closed")
    citizen, moderator = browser_for(), browser_for("moderator")
    moderator.app = app

    reply_id = citizen.comment(consultation.slug, "Et innlegg som blir skjult",
                               reply_to=make_comment(consultation, make_user(), "Et innlegg").id)
    assert post_action(moderator, reply_id, "hide", "personopplysninger").status_code == 303
    other = make_comment(consultation, citizen.user, "Et innlegg utestengningen skjuler")
    response = ban(moderator, citizen.user, hide=True)
    assert response.status_code == 303
    page = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 kommentar skjult." in page
    assert count(app, sa.select(Comment.state).where(Comment.id == other.id)) == "hidden"
    response = summary_data(moderator, closed, overview="Dette har vi hørt.", overview_quotes="", action="publish")
    assert response.status_code == 303
    assert "Dette har vi hørt." in moderator.get(f"/hoeringer/{closed.slug}").get_data(as_text=True)
    assert {row[0] for row in deliveries(app)} == {"CommentPosted", "CommentModerated", "SummaryPublished"}


def test_a_ban_that_hides_two_thousand_comments_delivers_them_in_batches_and_loses_none(
        app, browser_for, make_consultation, make_user, monkeypatch):
    consultation = make_consultation()
    author = make_user()
    with app.app_context():
        db.session.execute(sa.insert(Comment), [
            {"consultation_id": consultation.id, "author_id": author.id, "body_text": f"Innlegg {n}",
             "body_html": f"<p>Innlegg {n}</p>", "state": "published", "created_at": utcnow(), "path": f"{n:010d}"}
            for n in range(2000)])
        db.session.commit()
        ids = list(db.session.scalars(sa.select(Comment.id).where(Comment.author_id == author.id)))
    unlucky = ids[1234]
    working = eventlog.SUBSCRIBERS[INDEX_COMMENT]

    def fails_once_for_the_unlucky(event):
        if event.comment_id == unlucky:
            raise OSError("the index disk is full")
        working(event)

    monkeypatch.setitem(eventlog.SUBSCRIBERS, INDEX_COMMENT, fails_once_for_the_unlucky)
    claims = []

    def count_claims(conn, cursor, statement, parameters, context, executemany):
        if re.match(r"\s*DELETE FROM event_delivery", statement):
            claims.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count_claims)
    try:
        response = ban(browser_for("moderator"), author, hide=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count_claims)

    assert response.status_code == 303
    assert count(app, sa.select(sa.func.count(Comment.id)).where(Comment.state == "hidden")) == 2000
    assert index_tasks_of(app, ids) == sorted(set(ids) - {unlucky})
    assert deliveries(app) == [("CommentModerated", INDEX_COMMENT, 1, "OSError: the index disk is full")]
    # one claim per batch, and one per row of the batch that failed
    assert len(claims) == 2000 // eventlog.BATCH_SIZE + eventlog.BATCH_SIZE
