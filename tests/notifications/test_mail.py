"""Notifications end to end: events write to the outbox, ``send-mail`` delivers to a real
SMTP server (aiosmtpd, started here), each mail exactly once, and unsubscribing works
from the mail's link without logging in."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
import threading

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.notifications.models import OutboxMail


class Inbox:
    """Mails received by the test SMTP server."""

    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.messages if m["To"] == address]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, monkeypatch):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", port)
    monkeypatch.setitem(app.config, "SITE_URL", "https://hoering.fjordvik.example")
    yield inbox
    controller.stop()


def send_mail(runner, *args):
    result = runner.invoke(args=["hoering", "send-mail", *args])
    assert result.exit_code == 0, result.output
    return result.output


def body(message) -> str:
    return message.get_content()


def follow(browser, consultation):
    return browser.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/folg",
                          data={"follow": "1"})


def test_my_page_lists_what_i_follow_and_stops_it(browser_for, make_consultation):
    followed, other = make_consultation(title="Ny svømmehall"), make_consultation(title="Nytt bibliotek")
    me = browser_for()
    assert "Du følger ingen høringer" in me.get("/min-side").get_data(as_text=True)
    follow(me, followed)
    page = me.get("/min-side").get_data(as_text=True)
    assert f'href="/hoeringer/{followed.slug}" lang="nb">Ny svømmehall</a>' in page and "Nytt bibliotek" not in page
    stopped = me.submit("/min-side", f"/hoeringer/{followed.slug}/folg", data={"follow": "0", "next": "/min-side"})
    assert stopped.status_code == 303 and stopped.headers["Location"] == "/min-side"
    assert "Du følger ingen høringer" in me.get("/min-side").get_data(as_text=True)
    away = me.submit("/min-side", f"/hoeringer/{other.slug}/folg", data={"follow": "1", "next": "https://evil.example/"})
    assert away.headers["Location"] == f"/hoeringer/{other.slug}"  # only paths on this site


def test_a_citizen_follows_comments_and_hears_when_the_municipality_answers(
        browser_for, make_consultation, smtp, runner, client, app):
    consultation = make_consultation(title="Ny skolevei", responsible_unit="Oppvekst")
    citizen = browser_for(email="kari@example.org")
    assert follow(citizen, consultation).status_code == 303
    page = f"/hoeringer/{consultation.slug}"
    citizen.submit(page, f"{page}/kommentarer", data={"text": "Trenger fotgjengerfelt ved skolen"})
    with app.app_context():
        from hoering.comments.models import Comment

        comment_id = db.session.scalar(sa.select(Comment.id))
    officer = browser_for("case_officer")
    officer.submit(page, f"{page}/kommentarer", data={"text": "Fotgjengerfeltet kommer i vår.",
                                                       "parent_id": str(comment_id), "official": "1"})
    send_mail(runner)
    mails = smtp.to("kari@example.org")
    assert len(mails) == 1  # the reply to her comment (she is not told twice about the official reply)
    assert "svarte på kommentaren din" in body(mails[0]) and "Fotgjengerfeltet kommer i vår." in body(mails[0])
    assert mails[0]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mails[0]["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("https://hoering.fjordvik.example/avmelding/")
    send_mail(runner)
    assert len(smtp.to("kari@example.org")) == 1  # nothing is sent twice

    # One click from the mail program: no login, no session.
    path = unsubscribe.split("fjordvik.example", 1)[1]
    assert client.post(path).status_code == 200
    with app.app_context():
        from hoering.notifications.models import Subscription

        assert db.session.scalar(sa.select(sa.func.count(Subscription.id))) == 0
    assert client.get(path.replace("avmelding/", "avmelding/x")).status_code == 404  # forged token


def test_followers_hear_of_the_summary_the_decision_and_the_deadline(
        browser_for, make_consultation, make_user, smtp, runner, app):
    from hoering.consultations.models import Consultation
    from hoering.timeutil import end_of_oslo_day, oslo_today
    from tests.summaries.test_themes_and_summary import summary_data

    soon = make_consultation(title="Frist snart")
    with app.app_context():
        db.session.get(Consultation, soon.id).closes_at = end_of_oslo_day(oslo_today() + dt.timedelta(days=3))
        db.session.commit()
    closed = make_consultation(status="closed", title="Ferdig høring")
    follower = browser_for(email="ola@example.org")
    follow(follower, soon)
    follow(follower, closed)
    summary_data(browser_for("moderator"), closed, overview="Mange vil ha nytt bibliotek.", overview_quotes="",
                 action="publish")
    officer = browser_for("case_officer")
    officer.submit(f"/saksbehandling/hoeringer/{closed.slug}/livslop", data={
        "action": "decision", "decision_text": "Biblioteket bygges.", "decision_url": "",
        "decided_on": oslo_today().isoformat()})
    output = send_mail(runner)
    assert "Queued 1 deadline reminders" in output
    subjects = sorted(m["Subject"] for m in smtp.to("ola@example.org"))
    assert subjects == ["Dette ble vedtatt: Ferdig høring", "Dette har vi hørt: Ferdig høring",
                        "Tre dager igjen: «Frist snart»"]
    send_mail(runner)  # the reminder is not queued again
    assert len(smtp.to("ola@example.org")) == 3


def test_moderators_get_one_digest_a_day_when_items_wait(make_consultation, make_user, make_comment, smtp, runner,
                                                         app):
    consultation = make_consultation(moderation_mode="pre", title="Kø-test")
    make_comment(consultation, make_user(), "Venter", state="pending")
    moderator = make_user(role="moderator", email="mod@example.org")
    make_user(role="citizen", email="ikke-moderator@example.org")
    send_mail(runner)
    send_mail(runner)
    digests = smtp.to("mod@example.org")
    assert len(digests) == 1 and "Kø-test: 1 venter på godkjenning" in body(digests[0])
    assert not smtp.to("ikke-moderator@example.org")
    assert moderator.email == "mod@example.org"


def test_two_senders_at_once_send_each_mail_once(make_user, smtp, app):
    from hoering.notifications.services import deliver

    with app.app_context():
        for n in range(40):
            db.session.add(OutboxMail(to_address=f"person{n}@example.org", subject=f"Melding {n}", body="Hei",
                                      kind="test"))
        db.session.commit()

    def run():
        with app.test_request_context():
            deliver()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    subjects = [m["Subject"] for m in smtp.messages]
    assert sorted(subjects) == sorted(f"Melding {n}" for n in range(40))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id)).where(OutboxMail.sent_at.is_(None))) == 0


def test_without_smtp_mails_are_written_to_files(make_user, app, tmp_path, monkeypatch, runner):
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", None)
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    with app.app_context():
        db.session.add(OutboxMail(to_address="a@example.org", subject="Utvikling", body="Hei", kind="test"))
        db.session.commit()
    send_mail(runner, "--no-reminders")
    files = list((tmp_path / "mail").iterdir())
    assert len(files) == 1 and b"Subject: Utvikling" in files[0].read_bytes()


def test_a_failing_server_keeps_the_mail_for_the_next_run(make_user, app, monkeypatch, runner):
    monkeypatch.setitem(app.config, "MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_SMTP_PORT", free_port())  # nobody listens
    with app.app_context():
        db.session.add(OutboxMail(to_address="a@example.org", subject="Senere", body="Hei", kind="test"))
        db.session.commit()
    result = runner.invoke(args=["hoering", "send-mail", "--no-reminders"])
    assert result.exit_code == 1 and "1 failed" in result.output
    with app.app_context():
        mail = db.session.scalar(sa.select(OutboxMail))
        assert mail.sent_at is None and mail.claimed_at is None and mail.last_error
    assert re.search(r"Sent 0 mails", result.output)


def test_unsubscribing_stops_reply_mails_too_until_one_follows_again(browser_for, make_consultation, make_user,
                                                                      make_comment, smtp, runner, client, app):
    consultation = make_consultation(title="Torget")
    citizen = browser_for(email="per@example.org")
    follow(citizen, consultation)
    mine = citizen.comment(consultation.slug, "Flere benker på torget")
    other = browser_for()
    other.comment(consultation.slug, "Enig!", reply_to=mine)
    send_mail(runner)
    first = smtp.to("per@example.org")
    assert len(first) == 1 and first[0]["Date"]
    path = first[0]["List-Unsubscribe"].strip().strip("<>").split("fjordvik.example", 1)[1]
    assert client.post(path).status_code == 200
    other.comment(consultation.slug, "Og lys!", reply_to=mine)
    send_mail(runner)
    assert len(smtp.to("per@example.org")) == 1  # no more mail about this consultation
    follow(citizen, consultation)  # following again lifts it
    other.comment(consultation.slug, "Og trær!", reply_to=mine)
    send_mail(runner)
    assert len(smtp.to("per@example.org")) == 2


def test_followers_hear_when_the_deadline_moves_or_the_consultation_closes(browser_for, make_consultation, smtp,
                                                                            runner):
    consultation = make_consultation(title="Havna")
    follow(browser_for(email="liv@example.org"), consultation)
    officer = browser_for("case_officer")
    url = f"/saksbehandling/hoeringer/{consultation.slug}/livslop"
    later = (consultation.closes_at.astimezone(dt.UTC).date() + dt.timedelta(days=20)).isoformat()
    officer.submit(url, data={"action": "extend", "deadline": later, "reason": "Flere vil si sin mening."})
    officer.submit(url, data={"action": "close", "reason": "Saken er trukket."})
    send_mail(runner, "--no-reminders")
    subjects = sorted(m["Subject"] for m in smtp.to("liv@example.org"))
    assert subjects == ["Avsluttet: «Havna»", "Ny frist: «Havna»"]
    assert "Saken er trukket." in body(next(m for m in smtp.to("liv@example.org") if "Avsluttet" in m["Subject"]))


def test_a_reply_hidden_before_sending_is_not_mailed(browser_for, make_consultation, smtp, runner, app):
    from tests.moderation.helpers import act

    consultation = make_consultation()
    mine = browser_for(email="eva@example.org").comment(consultation.slug, "Et vanlig innspill")
    reply_id = browser_for().comment(consultation.slug, "Stygt svar", reply_to=mine)
    act(browser_for("moderator"), reply_id, "hide", reason="trakassering")
    send_mail(runner, "--no-reminders")
    assert smtp.to("eva@example.org") == []


def test_a_title_with_line_breaks_does_not_stop_the_mail(browser_for, make_consultation, make_user, make_comment,
                                                          smtp, runner, app):
    from hoering.consultations.models import Consultation

    consultation = make_consultation()
    with app.app_context():
        db.session.get(Consultation, consultation.id).title = "Skole\nBcc: x@example.org"
        db.session.commit()
    mine = browser_for(email="nils@example.org").comment(consultation.slug, "Mitt innspill")
    browser_for().comment(consultation.slug, "Svar", reply_to=mine)
    send_mail(runner, "--no-reminders")
    received = smtp.to("nils@example.org")
    assert len(received) == 1 and "\n" not in received[0]["Subject"] and received[0]["Bcc"] is None


def test_a_claim_made_long_ago_by_a_live_sender_uses_its_own_time(app):
    from hoering.notifications.services import claim
    from hoering.timeutil import utcnow

    with app.app_context():
        mail = OutboxMail(to_address="a@example.org", subject="S", body="B", kind="test")
        db.session.add(mail)
        db.session.commit()
        assert claim(mail.id, utcnow())
        assert not claim(mail.id, utcnow())  # claimed just now: nobody else may take it


def test_an_account_mail_whose_delivery_did_not_run_is_sent_after_a_later_request(app, client, tmp_path, monkeypatch):
    """The verification mail goes out right after the registration's response; when that
    did not happen (the process stopped, or the development server skipped it because the
    browser hung up), a later request's sweep sends it, not only ``send-mail``."""
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path / "mail"))
    monkeypatch.setitem(app.config, "MAIL_ACCOUNT_INLINE", False)  # as if the delivery did not run
    page = client.get("/registrer").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/registrer", data={"csrf_token": token, "display_name": "Vente Mail", "email": "vent@example.org",
                                           "password": "langt-passord-1", "password_again": "langt-passord-1"}
                       ).status_code == 303
    with app.app_context():
        mail = db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_address == "vent@example.org")).one()
        assert mail.sent_at is None
        mail.created_at -= dt.timedelta(minutes=1)
        mail_id = mail.id
        db.session.commit()

    monkeypatch.setitem(app.config, "MAIL_ACCOUNT_INLINE", True)
    monkeypatch.setitem(app.config, "MAIL_ACCOUNT_SWEEP_SECONDS", 0)
    client.get("/").close()  # as a server does once the response has gone

    with app.app_context():
        assert db.session.scalar(sa.select(OutboxMail.sent_at).where(OutboxMail.to_address == "vent@example.org"))
    assert [path.name for path in (tmp_path / "mail").iterdir()] == [f"{mail_id:08d}-verify_email.eml"]


def test_mails_are_claimed_and_marked_sent_in_batches(smtp, app):
    """45 mails: claimed and marked sent 20 at a time (two commits a batch, not two a
    mail); a mail whose sending fails stays unsent, the others of its batch are sent."""
    from hoering.notifications.services import SEND_BATCH, deliver

    with app.app_context():
        for n in range(45):
            db.session.add(OutboxMail(to_address=f"person{n}@example.org" if n != 7 else "bad\naddress@example.org",
                                      subject=f"Melding {n}", body="Hei", kind="test"))
        db.session.commit()
        engine = db.engine
    commits = []

    def committed(connection):
        commits.append(connection)

    sa.event.listen(engine, "commit", committed)
    try:
        with app.test_request_context():
            sent, failed = deliver()
    finally:
        sa.event.remove(engine, "commit", committed)
    assert (sent, failed) == (44, 1)
    assert len(commits) == 2 * -(-45 // SEND_BATCH)
    assert sorted(m["Subject"] for m in smtp.messages) == sorted(f"Melding {n}" for n in range(45) if n != 7)
    with app.app_context():
        [(subject, error)] = db.session.execute(sa.select(OutboxMail.subject, OutboxMail.last_error)
                                                .where(OutboxMail.sent_at.is_(None))).all()
        assert subject == "Melding 7" and error
