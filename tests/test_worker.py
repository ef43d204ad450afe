"""``flask hoering worker``: the background worker delivers due events, applies index
tasks and sends the outbox, so web servers can leave that work to it."""

from __future__ import annotations

import datetime as dt
import os

import sqlalchemy as sa

from hoering import eventlog
from hoering.eventlog import EventDelivery
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from hoering.search.models import IndexTask
from hoering.timeutil import utcnow


def test_one_round_does_what_waits_behind_the_pages(app, browser_for, make_consultation, runner, monkeypatch):
    consultation = make_consultation()
    asker, answerer = browser_for(), browser_for()
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    monkeypatch.setattr(eventlog, "deliver_committed", lambda ids: 0)  # as if the web process stopped
    answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)
    monkeypatch.undo()
    with app.app_context():
        db.session.execute(sa.update(EventDelivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
        db.session.commit()
        # the question's index task waits (the web servers leave it); the answer's event too
        assert db.session.scalar(sa.select(sa.func.count(IndexTask.id)).where(IndexTask.doc_type == "comment")) == 1
    assert asker.get("/api/v1/search?q=gatelysene&type=comment").get_json()["counts"]["comment"] == 0

    result = runner.invoke(args=["hoering", "worker", "--once"])

    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(EventDelivery.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(IndexTask.id))) == 0
        mail = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind == "reply")).one()
        assert mail.to_address == asker.user.email and mail.sent_at is not None
    assert asker.get("/api/v1/search?q=gatelysene&type=comment").get_json()["counts"]["comment"] == 1
    assert asker.get("/api/v1/search?q=sparer&type=comment").get_json()["counts"]["comment"] == 1
    assert any(name.endswith(".eml") for name in os.listdir(app.config["MAIL_DIR"]))


def test_without_a_worker_the_web_process_sends_the_outbox_after_its_responses(
        app, browser_for, make_consultation, monkeypatch):
    """The embedded default: a reply mail goes out with no cron job and no worker."""
    consultation = make_consultation()
    asker, answerer = browser_for(), browser_for()
    question = asker.comment(consultation.slug, "Hvorfor slukkes gatelysene klokken ti?")
    monkeypatch.setitem(app.config, "MAIL_SWEEP_SECONDS", 0.001)
    answerer.comment(consultation.slug, "Fordi kommunen sparer strøm", reply_to=question)
    asker.get("/").close()  # the server runs its close callbacks once the response has gone

    with app.app_context():
        mail = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.kind == "reply")).one()
        assert mail.to_address == asker.user.email and mail.sent_at is not None
        assert mail.body.count(app.config["SITE_URL"]) >= 1
