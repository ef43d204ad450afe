"""E-mail alerts of new consultations: double opt-in, one mail per matching consultation
when it is published, one-click unsubscribe, changing the choices, the rate limit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from hoering.alerts.models import AlertSubscription
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from tests.consultations.test_pages import consultation_form
from tests.notifications.test_mail import body, send_mail, smtp  # noqa: F401  (the SMTP server fixture)

ADDRESS = "alert@example.org"


def outbox(app, kind: str | None = None) -> list[OutboxMail]:
    with app.app_context():
        query = sa.select(OutboxMail).order_by(OutboxMail.id)
        if kind:
            query = query.where(OutboxMail.kind == kind)
        mails = list(db.session.scalars(query))
        db.session.expunge_all()
        return mails


def subscriptions(app) -> list[AlertSubscription]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(AlertSubscription)))
        db.session.expunge_all()
        return rows


def ask(browser, email: str = ADDRESS, **choices):
    return browser.submit("/varsel", data={"email": email, "scope": "all", **choices})


def path_of(link_text: str, prefix: str) -> str:
    return re.search(rf"https?://[^/\s]+({re.escape(prefix)}[^\s]+)", link_text).group(1)


def publish(browser_for, **fields):
    officer = browser_for("case_officer")
    response = officer.submit("/saksbehandling/hoeringer/ny", data=consultation_form(**fields))
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return response


def test_the_front_page_and_the_footer_lead_to_the_alerts(client):
    front = client.get("/").get_data(as_text=True)
    assert front.count('href="/varsel"') == 2
    page = client.get("/varsel")
    assert page.status_code == 200 and "E-postvarsel om nye høringer" in page.get_data(as_text=True)


def test_nothing_is_sent_before_the_address_is_confirmed_then_one_mail_per_new_consultation(
        browser, browser_for, app, smtp, runner, client):  # noqa: F811
    answer = ask(browser, "Alert@Example.org ")

    assert answer.status_code == 200 and "Sjekk e-posten din" in answer.get_data(as_text=True)
    answer.close()  # the response has gone: the confirmation is sent
    [confirmation] = outbox(app)
    assert confirmation.to_address == ADDRESS and confirmation.kind == "alert_confirm"
    assert confirmation.user_id is None
    assert confirmation.sent_at is not None  # sent right after the response, as account mails are
    publish(browser_for, title="Før bekreftelsen")
    assert outbox(app, "alert") == []  # not confirmed: nothing

    link = path_of(confirmation.body, "/varsel/bekreft/")
    assert 'action="/varsel/bekreft/' in client.get(link).get_data(as_text=True)  # opening the link confirms nothing
    assert subscriptions(app)[0].confirmed_at is None
    confirmed = browser.submit(link)
    assert confirmed.status_code == 200 and "E-postvarsel er bekreftet" in confirmed.get_data(as_text=True)

    publish(browser_for, title="Ny skole i Nordbygda", topic="skole", area="nord")
    [alert] = outbox(app, "alert")
    assert alert.to_address == ADDRESS and "Ny skole i Nordbygda" in alert.subject
    assert "Skole og barnehage · Nordbygda" in alert.body and "/varsel/avmeld/" in alert.unsubscribe_url

    send_mail(runner)
    [mail] = [m for m in smtp.to(ADDRESS) if "Ny skole" in m["Subject"]]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip().strip("<>")
    assert unsubscribe.startswith("https://hoering.fjordvik.example/varsel/avmeld/")
    assert unsubscribe in body(mail)

    # One click from the mail program: a POST without session or CSRF token deletes the address.
    one_click = app.test_client().post(unsubscribe.split("fjordvik.example", 1)[1])
    assert one_click.status_code == 200
    assert subscriptions(app) == []
    assert app.test_client().post(unsubscribe.split("fjordvik.example", 1)[1]).status_code == 200  # twice is fine
    publish(browser_for, title="Etter avmeldingen")
    assert len(outbox(app, "alert")) == 1


def confirmed_subscriber(app, topics: str = "", areas: str = "", email: str = ADDRESS) -> AlertSubscription:
    from hoering.timeutil import utcnow

    with app.app_context():
        row = AlertSubscription(email=email, topics=topics, areas=areas, language="nb", key="k" * 32,
                                confirmed_at=utcnow())
        db.session.add(row)
        db.session.commit()
        db.session.refresh(row)
        db.session.expunge(row)
        return row


@pytest.mark.parametrize("topic, area, told", [
    ("skole", "nord", True), ("skole", "hele-kommunen", True), ("skole", "", True),
    ("skole", "sor", False), ("trafikk", "nord", False), ("", "nord", False),
])
def test_a_subscriber_hears_of_consultations_of_a_chosen_topic_in_a_chosen_area(browser_for, app, topic, area, told):
    confirmed_subscriber(app, topics="skole,kultur", areas="nord")

    publish(browser_for, topic=topic, area=area)

    assert len(outbox(app, "alert")) == (1 if told else 0)


def test_a_draft_tells_nobody_until_it_is_published_and_then_only_once(browser_for, app, make_consultation):
    confirmed_subscriber(app)
    officer = browser_for("case_officer")
    response = officer.submit("/saksbehandling/hoeringer/ny", data=consultation_form(publish=""))
    edit = response.headers["Location"].replace("/hoeringer/", "/saksbehandling/hoeringer/") + "/rediger"
    assert outbox(app, "alert") == []

    officer.submit(edit, data=consultation_form(publish="y"))
    officer.submit(edit, data=consultation_form(publish="y", summary="Endret"))
    officer.submit(edit, data=consultation_form(publish=""))
    officer.submit(edit, data=consultation_form(publish="y"))

    assert len(outbox(app, "alert")) == 1


def test_the_answer_does_not_tell_whether_the_address_already_subscribes(browser, app):
    confirmed_subscriber(app, topics="skole")

    again = ask(browser, ADDRESS)
    new = ask(browser, "someone.else@example.org")

    assert again.status_code == new.status_code == 200
    assert again.get_data(as_text=True).replace(ADDRESS, "X") == \
        new.get_data(as_text=True).replace("someone.else@example.org", "X")
    mails = {m.to_address: m for m in outbox(app)}
    assert "allerede" in mails[ADDRESS].body and "/varsel/endre/" in mails[ADDRESS].body
    assert [s.topics for s in subscriptions(app) if s.email == ADDRESS] == ["skole"]  # unchanged without its owner


def test_an_unconfirmed_request_expires_and_is_deleted(browser, app, runner, client):
    ask(browser)
    link = path_of(outbox(app)[0].body, "/varsel/bekreft/")
    with app.app_context():
        db.session.execute(sa.update(AlertSubscription).values(
            created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=49)))
        db.session.commit()

    expired = client.get(link)

    assert expired.status_code == 404 and "Lenken er utløpt" in expired.get_data(as_text=True)
    assert "deleted 1 expired alert requests" in send_mail(runner)
    assert subscriptions(app) == []


def test_a_subscriber_changes_the_choices_from_the_link(browser, app):
    from hoering.alerts.services import link_token

    row = confirmed_subscriber(app)
    with app.app_context():
        token = link_token(db.session.get(AlertSubscription, row.id))
    page = browser.get(f"/varsel/endre/{token}").get_data(as_text=True)
    assert '<input checked id="scope-0" name="scope" type="radio" value="all">' in page

    saved = browser.submit(f"/varsel/endre/{token}", data={"scope": "some", "topics": ["miljo", "plan"],
                                                            "areas": ["sentrum"]})

    assert saved.status_code == 200 and "Valgene dine er lagret" in saved.get_data(as_text=True)
    [stored] = subscriptions(app)
    assert (stored.topics, stored.areas) == ("miljo,plan", "sentrum")
    nothing = browser.submit(f"/varsel/endre/{token}", data={"scope": "some"})
    assert nothing.status_code == 422 and "Velg minst ett tema eller område" in nothing.get_data(as_text=True)
    assert browser.get(f"/varsel/endre/{token}x").status_code == 404


def test_bad_input_comes_back_with_a_message_and_what_was_typed(browser, app):
    bad = ask(browser, "ikke-en-adresse")
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Skriv inn en gyldig e-postadresse." in html and 'value="ikke-en-adresse"' in html
    forged = browser.submit("/varsel", data={"email": ADDRESS, "scope": "some", "topics": ["finnes-ikke"]})
    assert forged.status_code == 422
    assert outbox(app) == [] and subscriptions(app) == []


def test_the_form_is_rate_limited_per_address_asked_for(browser, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ALERTS_ADDRESS", "2 per hour")
    assert ask(browser).status_code == 200
    assert ask(browser).status_code == 200

    limited = ask(browser)

    assert limited.status_code == 429
    assert f'value="{ADDRESS}"' in limited.get_data(as_text=True)
    assert len(outbox(app)) == 2
