"""Logging in with ID-porten and the staff login, end to end: the site through its test
client, the provider (oidc-provider-mock) over real HTTP on localhost, PKCE checked by it."""

from __future__ import annotations

import base64
import json
import logging
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from hoering.accounts.models import ExternalIdentity, SiteSetting, User
from hoering.extensions import db
from hoering.moderation.models import ModerationAction
from tests.accounts.oidc_provider import MockProvider, local_path
from tests.conftest import Browser, csrf_token_from

PID = "24079412345"  # a made-up national identity number

# The test provider (run in a thread of this process, where warnings are errors) uses an
# Authlib interface that Authlib 1.9 has deprecated; the site's own code does not.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")


@pytest.fixture(scope="module")
def provider():
    running = MockProvider()
    yield running
    running.stop()


@pytest.fixture
def idporten(app, provider, monkeypatch):
    """ID-porten configured at the local provider."""
    monkeypatch.setitem(app.config, "IDPORTEN_ISSUER", provider.issuer)
    monkeypatch.setitem(app.config, "IDPORTEN_CLIENT_ID", "hoering-test")
    monkeypatch.setitem(app.config, "IDPORTEN_CLIENT_SECRET", "test-secret")
    monkeypatch.setitem(app.config, "IDPORTEN_ACR_VALUES", "idporten-loa-substantial")
    return provider


@pytest.fixture
def staff_login(app, provider, monkeypatch):
    """The staff login configured at the local provider, with a role mapping."""
    monkeypatch.setitem(app.config, "STAFF_OIDC_ISSUER", provider.issuer)
    monkeypatch.setitem(app.config, "STAFF_OIDC_CLIENT_ID", "hoering-staff")
    monkeypatch.setitem(app.config, "STAFF_OIDC_CLIENT_SECRET", "staff-secret")
    monkeypatch.setitem(app.config, "STAFF_OIDC_ROLE_CLAIM", "roles")
    monkeypatch.setitem(app.config, "STAFF_OIDC_ROLE_MAP", {
        "Hoering.Moderator": "moderator", "Hoering.Saksbehandler": "case_officer", "Hoering.Admin": "admin"})
    return provider


def start(browser: Browser, slug: str = "idporten", next_url: str | None = None):
    """Press the login page's button; returns the redirect to the provider."""
    page = browser.get("/logg-inn" + (f"?next={next_url}" if next_url else ""))
    token = csrf_token_from(page.get_data(as_text=True))
    data = {"csrf_token": token}
    if next_url:
        data["next"] = next_url
    return browser.client.post(f"/logg-inn/{slug}", data=data)


def log_in(browser: Browser, provider: MockProvider, sub: str, slug: str = "idporten", next_url: str | None = None):
    """The whole round trip; returns the site's answer to the callback."""
    started = start(browser, slug, next_url)
    assert started.status_code == 303, started.get_data(as_text=True)[:500]
    back = provider.authorize(started.headers["Location"], sub)
    return browser.get(local_path(back))


def new_account(browser: Browser, name: str = "Kari Innbygger", email: str = ""):
    return browser.submit("/logg-inn/idporten/ny-konto", data={"display_name": name, "email": email})


def session_data(browser: Browser) -> str:
    """The session cookie's content, decoded as anyone with the cookie can (it is signed, not encrypted)."""
    cookie = browser.client.get_cookie("session")
    if cookie is None:
        return ""
    payload = cookie.value.split(".")[1] if cookie.value.startswith(".") else cookie.value.split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if cookie.value.startswith(".") else raw).decode()


def test_the_buttons_and_routes_are_off_unless_configured(browser):
    page = browser.get("/logg-inn").get_data(as_text=True)

    assert "ID-porten" not in page and "/logg-inn/ansatt" not in page
    assert browser.submit("/logg-inn", "/logg-inn/idporten").status_code == 404
    assert browser.get("/logg-inn/ansatt/tilbake?code=x&state=y").status_code == 404


def test_a_citizen_logs_in_with_idporten_the_first_time_and_again(app, browser, idporten):
    idporten.set_user("sub-kari", {"pid": PID, "acr": "idporten-loa-substantial", "amr": ["BankID"]})
    page = browser.get("/logg-inn").get_data(as_text=True)
    assert "Logg inn med ID-porten" in page

    started = start(browser)
    authorize = parse_qs(urlsplit(started.headers["Location"]).query)
    assert authorize["code_challenge_method"] == ["S256"] and authorize["code_challenge"][0]
    assert authorize["state"][0] and authorize["nonce"][0] and authorize["acr_values"] == ["idporten-loa-substantial"]
    assert authorize["redirect_uri"] == ["http://127.0.0.1:5000/logg-inn/idporten/tilbake"]  # on SITE_URL
    back = browser.get(local_path(idporten.authorize(started.headers["Location"], "sub-kari")))
    assert back.status_code == 303 and back.headers["Location"] == "/logg-inn/idporten/ny-konto"
    assert idporten.layer.token_requests[-1]["code_verifier"]  # PKCE, checked by the provider

    asked = browser.get("/logg-inn/idporten/ny-konto")
    assert asked.status_code == 200 and 'name="display_name"' in asked.get_data(as_text=True)
    bad = new_account(browser, name="   ", email="ikke-en-adresse")
    assert bad.status_code == 422 and 'value="ikke-en-adresse"' in bad.get_data(as_text=True)
    made = new_account(browser)
    assert made.status_code == 303
    assert "Kari Innbygger" in browser.get("/min-side").get_data(as_text=True)

    browser.logout()
    assert browser.get("/min-side").status_code == 302
    again = log_in(browser, idporten, "sub-kari")
    assert again.status_code == 303 and again.headers["Location"] == "/"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
        identity = db.session.scalar(sa.select(ExternalIdentity))
        assert (identity.provider, identity.issuer, identity.subject) == ("idporten", idporten.issuer, "sub-kari")
        user = db.session.get(User, identity.user_id)
        assert user.password_hash is None and user.email is None
    profile = browser.get("/min-side").get_data(as_text=True)
    assert "Du kan logge inn med ID-porten" in profile and "Bytt passord" not in profile


def test_the_national_identity_number_is_stored_nowhere(app, browser, idporten, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    idporten.set_user("sub-ola", {"pid": PID, "acr": "idporten-loa-high", "name": "Ola Nordmann"})
    log_in(browser, idporten, "sub-ola")
    assert PID not in session_data(browser)
    new_account(browser, name="Ola", email="ola@example.org")
    browser.get("/min-side")
    assert PID not in session_data(browser)  # the ID token kept for logging out is encrypted
    assert "Nordmann" not in session_data(browser)

    with app.app_context():
        rows = {table.name: [repr(row) for row in db.session.execute(table.select())]
                for table in db.metadata.sorted_tables}
    assert all(PID not in row and "Nordmann" not in row for found in rows.values() for row in found)
    assert any("sub-ola" in row for row in rows["external_identity"])
    assert PID not in caplog.text
    mail_dir = app.config["MAIL_DIR"]
    import pathlib

    assert all(PID not in path.read_text(errors="replace") for path in pathlib.Path(mail_dir).rglob("*")
               if path.is_file())
    data = browser.get("/min-side/data.json").get_json()
    assert data["linked_logins"][0]["subject"] == "sub-ola" and PID not in json.dumps(data)


def test_a_wrong_state_is_refused(app, browser, idporten):
    started = start(browser)
    back = idporten.authorize(started.headers["Location"], "sub-state")
    forged = local_path(back).replace("state=", "state=x")
    answer = browser.get(forged)

    assert answer.status_code == 400
    assert "Innloggingen kunne ikke fullføres" in answer.get_data(as_text=True)
    assert browser.get("/logg-inn/idporten/ny-konto").status_code == 303  # nothing waits
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ExternalIdentity.id))) == 0


def test_a_token_with_another_nonce_is_refused(browser, idporten):
    idporten.layer.nonce_override = "a-nonce-this-browser-never-sent"
    try:
        answer = log_in(browser, idporten, "sub-nonce")
    finally:
        idporten.layer.nonce_override = None

    assert answer.status_code == 400
    assert "kunne ikke bekreftes" in answer.get_data(as_text=True)


def test_a_replayed_nonce_is_refused(app, browser, idporten):
    """An old session cookie and a second token for the same login (same state, nonce and
    PKCE challenge) do not log in again: the site accepts each nonce once."""
    idporten.set_user("sub-replay", {"pid": PID})
    started = start(browser)
    old_cookie = browser.client.get_cookie("session").value
    assert log_in_from(browser, idporten, started.headers["Location"], "sub-replay").status_code == 303
    browser.logout()

    browser.client.set_cookie("session", old_cookie)
    idporten.layer.forget_nonces = True
    try:
        answer = log_in_from(browser, idporten, started.headers["Location"], "sub-replay")
    finally:
        idporten.layer.forget_nonces = False
    assert answer.status_code == 400
    assert "allerede brukt" in answer.get_data(as_text=True)


def log_in_from(browser, provider, authorize_url, sub):
    return browser.get(local_path(provider.authorize(authorize_url, sub)))


def test_the_provider_down_gives_a_clear_message(app, browser, monkeypatch):
    monkeypatch.setitem(app.config, "IDPORTEN_ISSUER", "http://localhost:9")  # nothing listens there
    monkeypatch.setitem(app.config, "IDPORTEN_CLIENT_ID", "hoering-test")
    monkeypatch.setitem(app.config, "OIDC_TIMEOUT_SECONDS", 2)

    answer = start(browser)

    assert answer.status_code == 503
    text = answer.get_data(as_text=True)
    assert "ID-porten kan ikke nås akkurat nå" in text and "e-postadresse og passord" in text


def test_starting_a_login_needs_the_csrf_token(browser, idporten):
    assert browser.client.post("/logg-inn/idporten", data={}).status_code == 400


def test_next_leads_only_to_paths_on_the_site(browser, idporten, make_consultation):
    consultation = make_consultation()
    idporten.set_user("sub-next", {})
    log_in(browser, idporten, "sub-next", next_url="https://evil.example/")
    assert new_account(browser, name="Trygg").headers["Location"] == "/"
    browser.logout()

    back = log_in(browser, idporten, "sub-next", next_url=f"/hoeringer/{consultation.slug}")
    assert back.headers["Location"] == f"/hoeringer/{consultation.slug}"


def test_logging_out_ends_the_idporten_session_too(browser, idporten):
    idporten.set_user("sub-out", {"pid": PID})
    log_in(browser, idporten, "sub-out")
    new_account(browser, name="Ut Logger")

    out = browser.logout()

    assert out.status_code == 303
    target = urlsplit(out.headers["Location"])
    assert f"{target.scheme}://{target.netloc}" == idporten.issuer and target.path == "/oauth2/end_session"
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == ["http://127.0.0.1:5000/logget-ut"]
    assert query["id_token_hint"][0].count(".") == 2 and query["client_id"] == ["hoering-test"]
    assert browser.get("/min-side").status_code == 302
    assert browser.get("/logget-ut").headers["Location"] == "/"


def test_an_email_account_links_idporten_and_logs_in_with_it(app, browser_for, idporten, make_user):
    person = browser_for()
    page = person.get("/min-side").get_data(as_text=True)
    assert "Koble til: Logg inn med ID-porten" in page
    token = csrf_token_from(page)
    started = person.client.post("/min-side/koble/idporten", data={"csrf_token": token})
    linked = person.get(local_path(idporten.authorize(started.headers["Location"], "sub-linked")))
    assert linked.status_code == 303 and linked.headers["Location"] == "/min-side"
    person.logout()

    other = Browser(app.test_client())
    assert log_in(other, idporten, "sub-linked").status_code == 303
    assert person.user.display_name in other.get("/min-side").get_data(as_text=True)
    assert person.client.post("/logg-inn", data={}).status_code in (400, 422)  # the password form still exists
    again = Browser(app.test_client())
    again.login(person.user)  # and the password still works


def test_deleting_the_account_deletes_the_link(app, browser, idporten):
    idporten.set_user("sub-gone", {})
    log_in(browser, idporten, "sub-gone")
    new_account(browser, name="Snart Borte")
    refused = browser.submit("/min-side/slett", data={})
    assert refused.status_code == 403

    assert browser.submit("/min-side/slett", data={"confirm": "yes"}).status_code == 303

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ExternalIdentity.id))) == 0
    again = log_in(browser, idporten, "sub-gone")
    assert again.headers["Location"] == "/logg-inn/idporten/ny-konto"  # a stranger again


def test_staff_roles_come_from_the_claim_at_every_login(app, browser, staff_login):
    staff_login.set_user("sub-ansatt", {"roles": ["Hoering.Moderator", "Alle.Ansatte"], "name": "Per Saksbehandler",
                                        "email": "per@fjordvik.example", "amr": ["pwd", "mfa"]})
    assert "Logg inn for ansatte" in browser.get("/logg-inn").get_data(as_text=True)

    back = log_in(browser, staff_login, "sub-ansatt", slug="ansatt")

    assert back.status_code == 303
    assert browser.get("/moderering").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "per@fjordvik.example"))
        assert (user.role, user.display_name, user.password_hash) == ("moderator", "Per Saksbehandler", None)

    staff_login.set_user("sub-ansatt", {"roles": ["Hoering.Admin", "Hoering.Moderator"], "amr": ["mfa"]})
    browser.logout()
    log_in(browser, staff_login, "sub-ansatt", slug="ansatt")
    with app.app_context():
        assert db.session.get(User, user.id).role == "admin"
        changes = db.session.execute(sa.select(ModerationAction.state_before, ModerationAction.state_after,
                                               ModerationAction.reason)
                                     .where(ModerationAction.action == "role_change")
                                     .order_by(ModerationAction.id)).all()
    assert changes == [("citizen", "moderator", "staff_login"), ("moderator", "admin", "staff_login")]


def test_staff_whose_claim_maps_to_no_role_are_refused(app, browser, staff_login):
    staff_login.set_user("sub-uten", {"roles": ["Alle.Ansatte"], "name": "Uten Rolle"})

    answer = log_in(browser, staff_login, "sub-uten", slug="ansatt")

    assert answer.status_code == 403
    assert "gir deg ingen rolle" in answer.get_data(as_text=True)
    assert browser.get("/min-side").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_staff_who_lose_their_role_at_the_provider_lose_it_here(app, browser, staff_login):
    staff_login.set_user("sub-slutter", {"roles": "Hoering.Saksbehandler", "name": "Slutter Snart"})
    log_in(browser, staff_login, "sub-slutter", slug="ansatt")
    browser.logout()
    staff_login.set_user("sub-slutter", {"roles": [], "name": "Slutter Snart"})

    assert log_in(browser, staff_login, "sub-slutter", slug="ansatt").status_code == 403

    with app.app_context():
        assert db.session.scalar(sa.select(User.role)) == "citizen"


def test_required_two_factor_trusts_the_providers_mfa_claim(app, browser, staff_login):
    with app.app_context():
        db.session.add(SiteSetting(key="require_two_factor_for_staff", value="1"))
        db.session.commit()
    staff_login.set_user("sub-pwd", {"roles": ["Hoering.Moderator"], "name": "Bare Passord", "amr": ["pwd"]})
    refused = log_in(browser, staff_login, "sub-pwd", slug="ansatt")
    assert refused.status_code == 403 and "tofaktor" in refused.get_data(as_text=True).lower()

    staff_login.set_user("sub-mfa", {"roles": ["Hoering.Moderator"], "name": "Med Mfa", "amr": ["pwd", "mfa"]})
    assert log_in(browser, staff_login, "sub-mfa", slug="ansatt").status_code == 303
    assert browser.get("/moderering").status_code == 200  # counts as two-factor login


def test_an_account_without_an_address_follows_and_comments_without_mails_failing(app, browser, idporten,
                                                                                  make_consultation, browser_for):
    from hoering.eventlog import EventDelivery
    from hoering.notifications.models import OutboxMail

    consultation = make_consultation()
    idporten.set_user("sub-uten-epost", {})
    log_in(browser, idporten, "sub-uten-epost")
    new_account(browser, name="Uten Epost")
    page = f"/hoeringer/{consultation.slug}"
    assert browser.submit(page, f"{page}/folg", data={"follow": "1"}).status_code == 303
    comment = browser.comment(consultation.slug, "Et innspill uten e-post", consent="1")
    other = browser_for()
    other.comment(consultation.slug, "Et svar", reply_to=comment)
    officer = browser_for("case_officer")
    lifecycle = f"/saksbehandling/hoeringer/{consultation.slug}/livslop"
    assert officer.submit(lifecycle, data={"action": "extend", "deadline": "2199-12-31",
                                           "reason": "Mer tid"}).status_code == 303  # followers are told

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(EventDelivery.id))) == 0  # every subscriber succeeded
        assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))) == 0
        from hoering.comments.models import Comment

        assert db.session.get(Comment, comment).state == "published"  # ID-porten identified the author


def test_starting_logins_is_rate_limited(app, browser, idporten, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_OIDC", "2 per minute")

    answers = [start(browser).status_code for _ in range(3)]

    assert answers == [303, 303, 429]


def test_a_discovery_document_naming_another_issuer_is_not_trusted(app, browser, idporten, monkeypatch):
    monkeypatch.setitem(app.config, "IDPORTEN_ISSUER", idporten.issuer + "/")  # the provider says it without "/"

    answer = start(browser)

    assert answer.status_code == 503 and "kan ikke nås" in answer.get_data(as_text=True)


def test_a_staff_member_with_a_password_account_links_the_staff_login(app, browser_for, staff_login):
    officer = browser_for("citizen", name="Gammel Konto")
    staff_login.set_user("sub-kobling", {"roles": ["Hoering.Saksbehandler"], "amr": ["mfa"]})
    with app.app_context():
        db.session.get(User, officer.user.id).role = "moderator"
        db.session.commit()
    page = officer.get("/min-side").get_data(as_text=True)
    assert "Koble til: Logg inn for ansatte" in page
    started = officer.client.post("/min-side/koble/ansatt", data={"csrf_token": csrf_token_from(page)})
    linked = officer.get(local_path(staff_login.authorize(started.headers["Location"], "sub-kobling")))

    assert linked.status_code == 303 and linked.headers["Location"] == "/min-side"
    assert officer.get("/saksbehandling/hoeringer/ny").status_code == 200  # still logged in, now a case officer
    with app.app_context():
        user = db.session.get(User, officer.user.id)
        assert user.role == "case_officer" and user.password_hash  # the password login stays
    other = Browser(app.test_client())
    log_in(other, staff_login, "sub-kobling", slug="ansatt")
    assert "Gammel Konto" in other.get("/min-side").get_data(as_text=True)


def test_the_oidc_mock_command_prints_the_settings_and_serves_on_localhost(runner, monkeypatch):
    import werkzeug.serving

    served = []
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda host, port, app, **kw: served.append((host, port)))

    result = runner.invoke(args=["hoering", "oidc-mock", "--port", "8799"])

    assert result.exit_code == 0, result.output
    assert "HOERING_IDPORTEN_ISSUER=http://localhost:8799" in result.output
    assert "HOERING_STAFF_OIDC_ROLE_MAP=" in result.output and "ansatt-admin" in result.output
    # the mock refuses a client without a secret: the settings printed must work as they are
    assert "HOERING_IDPORTEN_CLIENT_SECRET=" in result.output and "HOERING_STAFF_OIDC_CLIENT_SECRET=" in result.output
    assert served == [("localhost", 8799)]


def test_openid_is_always_among_the_scopes_asked_for(app, browser, idporten, monkeypatch):
    monkeypatch.setitem(app.config, "IDPORTEN_SCOPES", "profile")

    started = start(browser)

    assert parse_qs(urlsplit(started.headers["Location"]).query)["scope"] == ["openid profile"]
