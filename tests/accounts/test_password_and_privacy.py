"""Password rules, changing the password ends other sessions, and the privacy page."""

from __future__ import annotations

import re

from tests.conftest import TEST_PASSWORD, Browser


def change(browser, current, new, again=None):
    return browser.submit("/min-side/passord", data={"current_password": current, "new_password": new,
                                                    "new_password_again": new if again is None else again})


def test_changing_the_password_logs_out_every_other_session(app, make_user):
    user = make_user(email="kari@example.org", name="Kari")
    laptop, phone = Browser(app.test_client()), Browser(app.test_client())
    laptop.login(user)
    phone.login(user, remember=True)
    assert phone.get("/min-side").status_code == 200

    assert change(laptop, "feil-passord-123", "et-nytt-langt-passord").status_code == 403
    assert change(laptop, TEST_PASSWORD, "kort").status_code == 422
    assert change(laptop, TEST_PASSWORD, "kari@example.org").status_code == 422
    assert change(laptop, TEST_PASSWORD, "Et-nytt-passord", "noe annet").status_code == 422
    assert change(laptop, TEST_PASSWORD, "et-nytt-langt-passord").status_code == 303

    assert laptop.get("/min-side").status_code == 200  # this session goes on
    phone.client.delete_cookie("session")  # even the remember-me cookie no longer logs in
    assert phone.get("/min-side").status_code == 302
    fresh = Browser(app.test_client())
    user.password = "et-nytt-langt-passord"
    fresh.login(user)


def test_a_password_cannot_be_the_email_or_the_display_name(client):
    from tests.conftest import csrf_token_from

    page = client.get("/registrer").get_data(as_text=True)
    response = client.post("/registrer", data={
        "csrf_token": csrf_token_from(page), "display_name": "Ola Nordmann", "email": "ola@example.org",
        "password": "ola nordmann", "password_again": "ola nordmann"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="password-error">[^<]*e-postadressen eller visningsnavnet', body)
    assert 'id="display_name-error"' not in body  # the name is fine: the password is what breaks the rule


def test_password_change_errors_stand_by_their_fields(browser_for):
    me = browser_for(email="kari@example.org", name="Kari Nordmann")
    wrong = me.submit("/min-side/passord", data={"current_password": "feil-passord-1", "new_password": "et-helt-nytt-passord",
                                                 "new_password_again": "et-helt-nytt-passord"}).get_data(as_text=True)
    assert re.search(r'id="current_password-error"[^>]*>[^<]*passordet', wrong, re.IGNORECASE)
    same = me.submit("/min-side/passord", data={"current_password": TEST_PASSWORD, "new_password": "kari@example.org",
                                                "new_password_again": "kari@example.org"}).get_data(as_text=True)
    assert re.search(r'id="new_password-error"[^>]*>[^<]*e-postadressen eller visningsnavnet', same)


def test_the_privacy_page_says_what_is_stored(client):
    page = client.get("/personvern").get_data(as_text=True)
    assert "Personvern" in page and "Vi lagrer ikke IP-adresser" in page
    assert "har logget inn på kontoen din før, slik at den fortsatt kan logge inn" in page  # the device cookie
    assert 'href="/personvern"' in client.get("/").get_data(as_text=True)


def test_logging_in_to_another_account_gives_no_fresh_allowance_from_the_same_address(app, make_user,
                                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "3 per hour")
    monkeypatch.setitem(app.config, "RATELIMIT_ACCOUNT_MAIL", "2 per hour")
    logged_in = Browser(app.test_client())
    logged_in.login(make_user())  # a successful login does not count
    anonymous = Browser(app.test_client())
    for n in range(3):
        assert anonymous.submit("/logg-inn", data={"email": f"x{n}@example.org", "password": "feil-passord-1"}
                                ).status_code == 401
    assert logged_in.submit("/logg-inn", data={"email": "y@example.org", "password": "feil-passord-1"}
                            ).status_code == 429
    for n in range(2):
        anonymous.submit("/glemt-passord", data={"email": f"z{n}@example.org"})
    assert logged_in.submit("/glemt-passord", data={"email": "w@example.org"}).status_code == 429


def test_login_attempts_on_one_account_from_any_address_stop_logging_in_directly(app, make_user, monkeypatch):
    """Past the account's limit, browsers it does not know get "check your e-mail" whatever
    they type (tests/accounts/test_login_throttling.py has the owner's side)."""
    from tests.conftest import csrf_token_from

    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per hour")
    user = make_user(email="maal@example.org")
    statuses = []
    for n in range(5):
        client = app.test_client()
        token = csrf_token_from(client.get("/logg-inn").get_data(as_text=True))
        statuses.append(client.post("/logg-inn", data={"csrf_token": token, "email": "MAAL@example.org",
                                                        "password": f"feil-{n}-passord"},
                                    environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"}).status_code)
    assert statuses == [401, 401, 401, 200, 200]
    assert user.email == "maal@example.org"


def test_cookies_are_secure_on_an_https_site(tmp_path):
    from hoering import create_app

    config = {"TESTING": True, "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/c.sqlite"}
    https = create_app({**config, "SITE_URL": "https://hoering.fjordvik.example"})
    http = create_app({**config, "SITE_URL": "http://127.0.0.1:5000"})
    assert https.config["SESSION_COOKIE_SECURE"] and https.config["REMEMBER_COOKIE_SECURE"]
    assert not http.config["SESSION_COOKIE_SECURE"]
    assert https.config["SESSION_COOKIE_HTTPONLY"] and https.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_variants_of_one_address_share_its_login_limit(app, make_user, monkeypatch):
    """NUL characters, case and outer spaces are dropped before the lookup, so they are
    dropped before counting too."""
    from tests.conftest import csrf_token_from

    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per hour")
    make_user(email="variant@example.org")
    statuses = []
    for address in ("variant@example.org", "VARIANT@example.org\x00", " variant\x00@example.org", "variant@Example.org"):
        client = app.test_client()
        page = client.get("/logg-inn").get_data(as_text=True)
        statuses.append(client.post("/logg-inn", data={"csrf_token": csrf_token_from(page), "email": address,
                                                       "password": "feil-passord-123"}).status_code)
    assert statuses == [401, 401, 401, 429]


def test_only_failed_logins_count_against_the_limits(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3 per hour")
    user = make_user()
    for _ in range(5):
        Browser(app.test_client()).login(user)  # five good logins: no limit reached
