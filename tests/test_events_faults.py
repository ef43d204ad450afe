"""Domain events under bad luck: subscribers that fail half-way or always, rows the code no
longer knows, several processes delivering the same rows at once, a database that goes
away between the commit and the delivery, and a ban that announces thousands of events.

Each test goes through a door of the app (the test client, the CLI runner, threads of
their own) and runs on SQLite, or on PostgreSQL with ``HOERING_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from hoering import eventlog
from hoering.comments.models import Comment
from hoering.eventlog import EventDelivery
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.search.models import IndexTask
from hoering.timeutil import utcnow
from tests.conftest import csrf_token_from
from tests.security.test_database_outage import (
    form_fields,
    logged_in_client,
    outage,  # noqa: F401  (a fixture)
)

INDEX_COMMENT = "hoering.search.subscribers.index_comment"
TELL_OF_COMMENT = "hoering.notifications.subscribers.tell_of_published_comment"
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
    assert [row[:3] for row in deliveries(other)] == [("CommentPosted", INDEX_COMMENT, 0),
                                                      ("CommentPosted", TELL_OF_COMMENT, 0)]
    monkeypatch.undo()
    assert runner.invoke(args=["hoering", "events", "deliver", "--all"]).output == "Delivered 2 events.\n"
    assert deliveries(other) == []


def test_a_comment_whose_answer_the_outage_took_is_not_stored_twice_when_sent_again(
        outage, make_user, make_consultation, runner, monkeypatch):  # noqa: F811
    """The database goes away right after the comment's commit and stays away while the
    answer is made: the outage page gives the text back, and sending it again once the
    database is back stores nothing more; the waiting deliveries go out later."""
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
    failed = client.post(f"{page}/kommentarer", data=data)
    assert failed.status_code == 503
    switch.restore()
    monkeypatch.undo()

    again = client.post(f"{page}/kommentarer", data=form_fields(failed.get_data(as_text=True)))
    assert again.status_code == 303
    assert count(other, sa.select(sa.func.count(Comment.id)).where(Comment.body_text == "Lagret rett før utfallet")) == 1
    assert runner.invoke(args=["hoering", "events", "deliver", "--all"]).output == "Delivered 2 events.\n"
