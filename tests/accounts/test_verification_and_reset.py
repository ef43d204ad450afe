"""E-mail verification before a first comment is published, and password reset by a signed,
expiring, single-use link — through the pages and the mails a person gets."""

from __future__ import annotations

import email
import glob
import os
import re

import sqlalchemy as sa

from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from tests.conftest import CSRF_PATTERN, TEST_PASSWORD, Browser, csrf_token_from

CSRF_VALUE = re.compile(r'value="[\w.-]{40,}"')
LINK = re.compile(r"http://\S+/(bekreft-epost|nytt-passord)/(\S+)")


def mails_to(app, address: str) -> list[OutboxMail]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMail).where(OutboxMail.to_address == address)
                                       .order_by(OutboxMail.id)))


def link_in(mail: OutboxMail) -> str:
    """The path of the link in a mail (``/bekreft-epost/…`` or ``/nytt-passord/…``)."""
    match = LINK.search(mail.body)
    assert match, mail.body
    return f"/{match.group(1)}/{match.group(2)}"


def register(browser: Browser, address: str = "nora@example.org", name: str = "Nora"):
    response = browser.submit("/registrer", data={"display_name": name, "email": address,
                                                  "password": TEST_PASSWORD, "password_again": TEST_PASSWORD})
    assert response.status_code == 303
    response.close()  # as a server does once the response is sent: the mail goes then
    return response


def unconfirmed_comment(app, client, slug: str, address: str, text: str) -> tuple[Browser, int]:
    """Register ``address`` (not confirming it) and post ``text``; the person's browser and
    the comment's id."""
    from hoering.comments.models import Comment

    browser = Browser(client)
    register(browser, address, address.split("@")[0].title())
    post_comment(browser, slug, text)
    with app.app_context():
        return browser, db.session.scalar(sa.select(Comment.id).where(Comment.body_text == text))


def moderator_browser(app, make_user) -> Browser:
    staff = Browser(app.test_client())
    staff.login(make_user(role="moderator"))
    return staff


def post_comment(browser: Browser, slug: str, text: str):
    return browser.submit(f"/hoeringer/{slug}", f"/hoeringer/{slug}/kommentarer",
                          data={"text": text, "consent": "1"}, follow_redirects=True)


def test_a_new_citizens_comment_waits_for_the_verified_address(app, client, make_consultation, make_user,
                                                               tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_DIR", str(tmp_path))
    consultation = make_consultation(title="Ny skolevei")
    browser = Browser(client)
    page = register(browser)
    assert "/registrer" not in page.headers["Location"]
    [mail] = mails_to(app, "nora@example.org")
    assert mail.kind == "verify_email" and mail.sent_at is not None  # sent right after registering
    [written] = glob.glob(os.path.join(tmp_path, "*verify_email.eml"))
    with open(written, "rb") as handle:
        message = email.message_from_bytes(handle.read())
    assert message["To"] == "nora@example.org" and "List-Unsubscribe" not in message  # an account mail

    shown = post_comment(browser, consultation.slug, "Skoleveien trenger fortau hele veien.")
    text = shown.get_data(as_text=True)
    assert "publisert når du har bekreftet e-postadressen" in text
    assert "Venter på at du bekrefter e-postadressen – bare du kan se" in text  # the author sees it, marked
    anonymous = app.test_client().get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Skoleveien trenger fortau" not in anonymous
    moderator = Browser(app.test_client())
    moderator.login(make_user(role="moderator"))
    assert "Skoleveien trenger fortau" not in moderator.get("/moderering").get_data(as_text=True)
    assert "ikke bekreftet ennå" in browser.get("/min-side").get_data(as_text=True)

    page = browser.get(link_in(mail))  # opening the link (as a mail scanner would) changes nothing
    assert page.status_code == 200 and "1 kommentar venter" in page.get_data(as_text=True)
    assert "Skoleveien trenger fortau" not in app.test_client().get(
        f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    confirmed = browser.submit(link_in(mail))
    assert confirmed.status_code == 303 and confirmed.headers["Location"].endswith("/min-side")
    assert "1 kommentar som ventet på dette, er nå publisert." in browser.get("/min-side").get_data(as_text=True)
    anonymous = app.test_client().get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)
    assert "Skoleveien trenger fortau hele veien." in anonymous
    assert "ikke bekreftet ennå" not in browser.get("/min-side").get_data(as_text=True)
    again = app.test_client().get(link_in(mail))
    assert again.status_code == 200 and "er allerede bekreftet" in again.get_data(as_text=True)

    later = post_comment(browser, consultation.slug, "Og en ting til om lysene.").get_data(as_text=True)
    assert "Takk! Kommentaren din er publisert." in later


def test_after_verification_a_pre_moderated_comment_enters_the_queue(app, client, make_consultation, make_user):
    consultation = make_consultation(moderation_mode="pre")
    browser = Browser(client)
    register(browser, "per@example.org", "Per")
    post_comment(browser, consultation.slug, "Et innspill som må godkjennes.")
    moderator = Browser(app.test_client())
    moderator.login(make_user(role="moderator"))
    assert "Et innspill som må godkjennes." not in moderator.get("/moderering").get_data(as_text=True)
    browser.submit(link_in(mails_to(app, "per@example.org")[0]))
    assert "1 kommentar som ventet på dette, er sendt til moderatorene" in browser.get("/min-side").get_data(
        as_text=True)
    assert "Et innspill som må godkjennes." in moderator.get("/moderering").get_data(as_text=True)
    assert "Et innspill som må godkjennes." not in app.test_client().get(
        f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_a_forged_or_expired_verification_link_is_refused_with_a_message(app, client, monkeypatch):
    browser = Browser(client)
    register(browser, "eva@example.org", "Eva")
    link = link_in(mails_to(app, "eva@example.org")[0])
    forged = client.get(link[:-3] + "abc")
    assert forged.status_code == 400 and "Lenken er ikke gyldig" in forged.get_data(as_text=True)
    assert 'href="/min-side"' in forged.get_data(as_text=True)  # where a new link can be sent
    assert client.get("/bekreft-epost/" + "x" * 5000).status_code == 400
    monkeypatch.setitem(app.config, "EMAIL_VERIFICATION_MAX_AGE", -1)
    expired = client.get(link)
    assert expired.status_code == 400 and "utløpt" in expired.get_data(as_text=True)
    assert "ikke bekreftet ennå" in browser.get("/min-side").get_data(as_text=True)


def test_the_reset_form_answers_before_it_looks_the_address_up(app, client, make_user):
    """The reset form answers before the address is even looked up, so its timing does not
    tell whether the address has an account; the mail is written and sent afterwards."""
    make_user(email="tid@example.org")
    page = client.get("/glemt-passord").get_data(as_text=True)
    answers = []
    for address in ("tid@example.org", "ingen@example.org"):
        response = client.post("/glemt-passord", data={"csrf_token": csrf_token_from(page), "email": address})
        # the form's new CSRF token carries the second it was made in: the rest must be alike
        html = CSRF_PATTERN.sub("CSRF", response.get_data(as_text=True).replace(address, "ADDRESS"))
        answers.append((response.status_code, html))
        if address == "tid@example.org":
            assert mails_to(app, address) == []  # nothing looked up or written yet
        response.close()
    assert answers[0] == answers[1]
    [mail] = mails_to(app, "tid@example.org")
    assert mail.kind == "password_reset" and mail.sent_at is not None


def test_the_verification_mail_can_be_sent_again_and_is_rate_limited(app, client, monkeypatch):
    from hoering.extensions import limiter

    monkeypatch.setitem(app.config, "RATELIMIT_ACCOUNT_MAIL", "2 per hour")
    browser = Browser(client)
    register(browser, "ida@example.org", "Ida")
    statuses = [browser.submit("/min-side", "/min-side/bekreft-epost").status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    assert len(mails_to(app, "ida@example.org")) == 3  # at registration, then twice on request
    assert browser.submit(link_in(mails_to(app, "ida@example.org")[0])).status_code == 303  # the first link works
    limiter.reset()
    assert browser.submit("/min-side", "/min-side/bekreft-epost").status_code == 303
    assert len(mails_to(app, "ida@example.org")) == 3  # verified: nothing more to send


def forgot(client, address: str):
    page = client.get("/glemt-passord").get_data(as_text=True)
    response = client.post("/glemt-passord", data={"csrf_token": csrf_token_from(page), "email": address})
    response.close()  # as a server does once the response is sent: the mail goes then
    return response


def test_password_reset_by_a_signed_single_use_link(app, make_user):
    user = make_user(email="ola@example.org", name="Ola")
    laptop = Browser(app.test_client())
    laptop.login(user)
    assert 'href="/glemt-passord"' in app.test_client().get("/logg-inn").get_data(as_text=True)

    known, unknown = forgot(app.test_client(), "OLA@example.org"), forgot(app.test_client(), "ingen@example.org")
    assert known.status_code == unknown.status_code == 200
    # The same answer whether or not the address has an account.
    assert (CSRF_VALUE.sub("", known.get_data(as_text=True)).replace("OLA@example.org", "X")
            == CSRF_VALUE.sub("", unknown.get_data(as_text=True)).replace("ingen@example.org", "X"))
    assert mails_to(app, "ingen@example.org") == []
    [mail] = mails_to(app, "ola@example.org")
    assert mail.kind == "password_reset" and mail.sent_at is not None and "60 minutter" in mail.body

    person = Browser(app.test_client())
    link = link_in(mail)
    assert person.get(link).status_code == 200
    short = person.submit(link, data={"new_password": "kort", "new_password_again": "kort"})
    assert short.status_code == 422 and "minst 10 tegn" in short.get_data(as_text=True)
    assert person.get(link).headers["Cache-Control"] == "no-store"
    done = person.submit(link, data={"new_password": "et-helt-nytt-passord", "new_password_again": "et-helt-nytt-passord"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/logg-inn")

    assert laptop.get("/min-side").status_code == 302  # every session ended
    used = person.get(link)
    assert used.status_code == 400 and "brukt" in used.get_data(as_text=True)
    assert 'href="/glemt-passord"' in used.get_data(as_text=True)  # where a new link is asked for
    old = Browser(app.test_client()).submit("/logg-inn", data={"email": user.email, "password": TEST_PASSWORD})
    assert old.status_code == 401
    user.password = "et-helt-nytt-passord"
    Browser(app.test_client()).login(user)


def test_an_expired_reset_link_is_refused_and_a_reset_does_not_publish_waiting_comments(app, client, monkeypatch,
                                                                                        make_consultation):
    """Someone may have registered another person's address and commented: when the owner
    takes the account back with a reset, those comments stay unpublished."""
    consultation = make_consultation()
    browser = Browser(client)
    register(browser, "siri@example.org", "Siri")
    post_comment(browser, consultation.slug, "Skrevet av en som lånte adressen")
    forgot(app.test_client(), "siri@example.org")
    link = link_in(mails_to(app, "siri@example.org")[-1])
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    expired = app.test_client().get(link)
    assert expired.status_code == 400 and "utløpt" in expired.get_data(as_text=True)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", 3600)
    person = Browser(app.test_client())
    person.submit(link, data={"new_password": "siris-nye-passord", "new_password_again": "siris-nye-passord"})
    assert browser.get("/min-side").status_code == 302  # the squatter's session ended
    with app.app_context():
        from hoering.accounts.models import User

        assert db.session.scalar(sa.select(User.email_verified_at).where(User.email == "siri@example.org")) is None
    assert "lånte adressen" not in app.test_client().get(f"/hoeringer/{consultation.slug}").get_data(as_text=True)


def test_reset_requests_are_rate_limited_per_account(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ACCOUNT_MAIL", "2 per hour")
    make_user(email="mal@example.org")
    statuses = [forgot(app.test_client(), "mal@example.org").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(mails_to(app, "mal@example.org")) == 2


def test_waiting_comments_whose_situation_changed_go_to_the_moderators(app, client, make_consultation, make_user,
                                                                       make_comment):
    """A reply into a thread locked meanwhile, or by someone banned meanwhile, is not
    published by the verification: it waits in the queue."""
    from hoering.comments.models import Comment
    from hoering.moderation.models import Ban

    consultation = make_consultation()
    top = make_comment(consultation, make_user(name="Trådstarter"), "Første innlegg i tråden")
    replier, banned = Browser(client), Browser(app.test_client())
    register(replier, "svar@example.org", "Svarer")
    register(banned, "bannlyst@example.org", "Bannlyst")
    replier.submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
                   data={"text": "Et svar i tråden", "consent": "1", "parent_id": str(top.id)})
    post_comment(banned, consultation.slug, "Et innlegg før utestengningen")
    moderator = make_user(role="moderator")
    with app.app_context():
        db.session.get(Comment, top.id).locked_at = db.func.now()
        banned_id = db.session.scalar(sa.select(Comment.author_id).where(Comment.body_text.like("Et innlegg før%")))
        db.session.add(Ban(user_id=banned_id, moderator_id=moderator.id, reason="Personangrep"))
        db.session.commit()
    replier.submit(link_in(mails_to(app, "svar@example.org")[0]))
    banned.submit(link_in(mails_to(app, "bannlyst@example.org")[0]))
    with app.app_context():
        states = dict(db.session.execute(sa.select(Comment.body_text, Comment.state)).all())
    assert states["Et svar i tråden"] == "pending" and states["Et innlegg før utestengningen"] == "pending"
    staff = Browser(app.test_client())
    staff.login(moderator)
    queue = staff.get("/moderering").get_data(as_text=True)
    assert "Et svar i tråden" in queue and "Et innlegg før utestengningen" in queue


def test_a_moderator_cannot_approve_a_comment_that_waits_for_verification(app, client, make_consultation, make_user):
    from hoering.comments.models import Comment

    consultation = make_consultation()
    _browser, comment_id = unconfirmed_comment(app, client, consultation.slug, "vent@example.org",
                                               "Venter på bekreftelse")
    with app.app_context():
        version = db.session.get(Comment, comment_id).moderation_version
    staff = moderator_browser(app, make_user)
    refused = staff.submit(f"/moderering/kommentarer/{comment_id}", f"/moderering/kommentarer/{comment_id}/handling",
                           data={"action": "approve", "version": str(version)}, follow_redirects=True)
    assert "ikke bekreftet e-postadressen ennå" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Comment, comment_id).state == "pending"

    # Nor by a detour: hiding then restoring, or rejecting then approving.
    from tests.moderation.helpers import act

    for first, then in (("hide", "restore"), ("reject", "approve")):
        assert act(staff, comment_id, first, reason="utenfor-tema").status_code == 303
        detour = act(staff, comment_id, then)
        assert detour.status_code == 422 and "ikke bekreftet e-postadressen ennå" in detour.get_data(as_text=True)
        with app.app_context():
            assert db.session.get(Comment, comment_id).state in ("hidden", "rejected")
        if first == "hide":  # back where it was, for the next detour
            with app.app_context():
                db.session.get(Comment, comment_id).state = "pending"
                db.session.commit()
    assert "Venter på bekreftelse" not in app.test_client().get(f"/hoeringer/{consultation.slug}").get_data(
        as_text=True)


def test_account_mails_come_in_the_language_of_the_page(app, client):
    client.post("/sprak", data={"lang": "en", "csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})
    register(Browser(client), "engelsk@example.org", "English")
    [mail] = mails_to(app, "engelsk@example.org")
    assert mail.subject == "Confirm your e-mail address" and "Confirm that this is your e-mail address" in mail.body


def test_an_unconfirmed_account_cannot_support_report_or_follow(app, client, make_consultation, make_user,
                                                                 make_comment):
    from hoering.comments.models import Comment, Support
    from hoering.moderation.models import Report
    from hoering.notifications.models import Subscription

    consultation = make_consultation()
    target = make_comment(consultation, make_user(), "Et innspill noen vil skjule")
    browser = Browser(client)
    register(browser, "kast@example.org", "Engangskonto")
    page = f"/hoeringer/{consultation.slug}"
    supported = browser.submit(page, f"/kommentarer/{target.id}/stotte", data={"supported": "1"},
                               follow_redirects=True)
    assert "Bekreft e-postadressen din først" in supported.get_data(as_text=True)
    reported = browser.submit(f"/kommentarer/{target.id}/rapporter", data={"reason": "spam", "text": "Søppel"})
    assert reported.status_code == 403 and "Bekreft e-postadressen din først" in reported.get_data(as_text=True)
    assert "Søppel" in reported.get_data(as_text=True)  # the explanation is kept in the form
    followed = browser.submit(page, f"{page}/folg", data={"follow": "1"}, follow_redirects=True)
    assert "Bekreft e-postadressen din først" in followed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Support)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 0
        assert db.session.get(Comment, target.id).support_count == 0

    browser.submit(link_in(mails_to(app, "kast@example.org")[0]))  # once confirmed, all three work
    assert browser.submit(page, f"/kommentarer/{target.id}/stotte", data={"supported": "1"}).status_code == 303
    assert browser.submit(f"/kommentarer/{target.id}/rapporter", data={"reason": "spam"}).status_code == 303
    assert browser.submit(page, f"{page}/folg", data={"follow": "1"}).status_code == 303
    with app.app_context():
        assert db.session.get(Comment, target.id).support_count == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 1


def test_deleting_an_unconfirmed_account_takes_its_waiting_comments_along(app, client, make_consultation,
                                                                           make_user):
    from hoering.comments.models import Comment

    consultation = make_consultation()
    browser = Browser(client)
    register(browser, "borte@example.org", "Snart borte")
    post_comment(browser, consultation.slug, "Aldri bekreftet innspill")
    assert browser.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        comment = db.session.scalar(sa.select(Comment))
        assert comment.state == "removed" and comment.body_text == ""
    moderator = Browser(app.test_client())
    moderator.login(make_user(role="moderator"))
    assert "Aldri bekreftet innspill" not in moderator.get("/moderering").get_data(as_text=True)


def test_signed_tokens_with_odd_ids_are_refused_not_errors(app, client, make_user):
    """Only someone with the site's key can sign these, but the answer is still a 400/404."""
    from hoering.accounts.verification import _fingerprint, _signer
    from hoering.notifications.services import _serializer

    user = make_user(email="en@example.org")
    with app.app_context():
        from hoering.accounts.models import User

        stored = db.session.get(User, user.id)
        tokens = [(f"/bekreft-epost/{_signer('verify-email').dumps([odd, _fingerprint(stored.email)])}",
                   f"/nytt-passord/{_signer('password-reset').dumps([odd, _fingerprint(stored.password_hash)])}",
                   f"/avmelding/{_serializer().dumps([odd, None])}")
                  for odd in (2**70, True, -1, 0, 1.0, "1")]
    for verify, reset, unsubscribe in tokens:
        assert client.get(verify).status_code == 400
        assert client.get(reset).status_code == 400
        assert client.get(unsubscribe).status_code == 404
    with app.app_context():
        gone_consultation = f"/avmelding/{_serializer().dumps([user.id, 999_999])}"
    assert client.get(gone_consultation).status_code == 404
    assert client.post(gone_consultation).status_code == 404


def test_a_deleted_unconfirmed_accounts_hidden_comment_cannot_be_restored(app, client, make_consultation, make_user):
    from hoering.comments.models import Comment
    from tests.moderation.helpers import act

    consultation = make_consultation()
    browser, comment_id = unconfirmed_comment(app, client, consultation.slug, "aldri@example.org",
                                              "Skjult før sletting")
    staff = moderator_browser(app, make_user)
    assert act(staff, comment_id, "hide", reason="utenfor-tema").status_code == 303
    assert browser.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    with app.app_context():
        assert db.session.get(Comment, comment_id).state == "removed"
    assert act(staff, comment_id, "restore").status_code == 422
    assert "Skjult før sletting" not in app.test_client().get(f"/hoeringer/{consultation.slug}").get_data(
        as_text=True)
