"""Strangers guessing a password from many addresses cannot keep its owner out; guessers
wait longer and longer; the owner is warned by mail, once per period."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from hoering import create_app
from hoering.accounts import throttle
from hoering.accounts.models import User
from hoering.extensions import db, limiter
from hoering.notifications.models import OutboxMail
from tests.accounts.test_two_factor import code_at, switch_on
from tests.conftest import TEST_PASSWORD, Browser, csrf_token_from
from tests.moderation.test_redis_rate_limits import redis_reachable

SIGN_IN_LINK = re.compile(r"http://\S+(/logg-inn/lenke/\S+)")
PROTECTED = "Noen har prøvd mange feil passord på denne kontoen"


@pytest.fixture
def attack_threshold(app, monkeypatch):
    """An account is under attack after 5 failed logins an hour from browsers it does not know."""
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "5 per hour")


def attempt(app, email: str, password: str, address: str, client=None):
    """One login from ``address`` (a new browser unless ``client`` is given)."""
    client = client or app.test_client()
    page = client.get("/logg-inn", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    response = client.post("/logg-inn", data={"csrf_token": csrf_token_from(page), "email": email,
                                              "password": password}, environ_base={"REMOTE_ADDR": address})
    response.close()  # as a server does once the answer is sent: mails queued after it go then
    return response


def strangers_guess(app, email: str, count: int, first: int = 1) -> list[int]:
    """``count`` strangers, each from an address of its own, each try one wrong password."""
    return [attempt(app, email, f"gjetning-{n}-passord", f"203.0.113.{n}").status_code
            for n in range(first, first + count)]


def mails(app, kind: str, address: str | None = None) -> list[OutboxMail]:
    with app.app_context():
        query = sa.select(OutboxMail).where(OutboxMail.kind == kind)
        if address is not None:
            query = query.where(OutboxMail.to_address == address)
        return list(db.session.scalars(query.order_by(OutboxMail.id)))


def logged_in(client) -> bool:
    return client.get("/min-side").status_code == 200


def test_strangers_from_many_addresses_do_not_keep_the_owner_out(app, make_user, attack_threshold):
    owner = make_user(email="eier@example.org")
    laptop = Browser(app.test_client())
    laptop.login(owner)  # the owner's own browser: the account knows it from now on
    laptop.logout()

    statuses = strangers_guess(app, "Eier@example.org", 12)
    assert statuses[:5] == [401] * 5  # then the account is under attack …
    assert statuses[5:] == [200] * 7  # … and strangers only get "check your e-mail"

    # On her own browser the owner logs in as always.
    assert attempt(app, owner.email, TEST_PASSWORD, "198.51.100.1", client=laptop.client).status_code == 303
    assert logged_in(laptop.client)

    # On a new browser the right password sends her a one-time link; a wrong one does not.
    wrong = attempt(app, owner.email, "feil-passord-99", "198.51.100.2")
    right_client = app.test_client()
    right = attempt(app, owner.email, TEST_PASSWORD, "198.51.100.3", client=right_client)
    assert wrong.status_code == right.status_code == 200
    strip = re.compile(r'value="[\w.-]{40,}"')
    assert strip.sub("", wrong.get_data(as_text=True)) == strip.sub("", right.get_data(as_text=True))
    assert PROTECTED in right.get_data(as_text=True)
    assert not logged_in(right_client)
    [mail] = mails(app, "sign_in_link")
    assert mail.to_address == "eier@example.org" and mail.sent_at is not None
    link = SIGN_IN_LINK.search(mail.body).group(1)

    opened = right_client.get(link)
    assert opened.status_code == 200 and opened.headers["Cache-Control"] == "no-store"
    assert not logged_in(right_client)  # opening the link (as a mail scanner does) changes nothing
    new_browser = Browser(right_client)
    assert new_browser.submit(link).status_code == 303
    assert logged_in(right_client)
    again = Browser(app.test_client()).submit(link)
    assert again.status_code == 400  # the link works once

    # That browser is known now: the next time, the password is enough.
    new_browser.logout()
    assert attempt(app, owner.email, TEST_PASSWORD, "198.51.100.3", client=right_client).status_code == 303


def test_the_owner_with_two_factor_login_still_gets_in(app, make_user, attack_threshold):
    owner = make_user(email="tofaktor@example.org")
    phone = Browser(app.test_client())
    phone.login(owner)
    secret, codes = switch_on(phone)
    phone.logout()
    assert strangers_guess(app, owner.email, 8)[5:] == [200] * 3

    answer = attempt(app, owner.email, TEST_PASSWORD, "198.51.100.1", client=phone.client)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/logg-inn/kode")
    assert phone.submit("/logg-inn/kode", data={"code": code_at(secret, 30)}).status_code == 303
    assert logged_in(phone.client)

    # A new browser: the mailed link stands for the password, and the code is still asked for.
    laptop = Browser(app.test_client())
    assert attempt(app, owner.email, TEST_PASSWORD, "198.51.100.9", client=laptop.client).status_code == 200
    [mail] = mails(app, "sign_in_link")
    step = laptop.submit(SIGN_IN_LINK.search(mail.body).group(1))
    assert step.status_code == 303 and step.headers["Location"].endswith("/logg-inn/kode")
    assert not logged_in(laptop.client)
    assert laptop.submit("/logg-inn/kode", data={"code": codes[0]}).status_code == 303  # a recovery code
    assert logged_in(laptop.client)


def test_a_guesser_waits_longer_after_every_failure(app, make_user, monkeypatch):
    user = make_user(email="maal@example.org")
    now = [1_900_000_000.0]
    monkeypatch.setattr(throttle, "clock", lambda: now[0])
    guesser = app.test_client()

    def guess(password="feil-passord-1"):
        return attempt(app, "maal@example.org", password, "203.0.113.50", client=guesser)

    assert [guess().status_code for _ in range(3)] == [401, 401, 401]
    waits = []
    for seconds in (30, 60, 120, 240):
        refused = guess(TEST_PASSWORD)  # while it waits, not even the right password is tried
        body = refused.get_data(as_text=True)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= seconds - 1
        assert 'value="maal@example.org"' in body  # the form is kept
        waits.append(re.search(r"Prøv igjen (om [^.]+)\.", body).group(1))
        now[0] += seconds - 1
        assert guess().status_code == 429  # not yet …
        now[0] += 1  # … now the wait has passed
        assert guess().status_code == 401
    assert waits == ["om 30 sekunder", "om 60 sekunder", "om 2 minutter", "om 4 minutter"]  # exponential back-off

    # Other addresses are not held up by this one, and a successful login forgets the failures.
    assert attempt(app, "maal@example.org", TEST_PASSWORD, "198.51.100.4").status_code == 303
    assert Browser(app.test_client()).login(user).status_code == 303


def test_the_owner_gets_one_warning_mail_per_period(app, make_user, attack_threshold):
    owner = make_user(email="varsles@example.org", name="Varsla Eier")
    strangers_guess(app, owner.email, 20)
    [warning] = mails(app, "password_guessing")
    assert warning.to_address == "varsles@example.org" and warning.sent_at is not None
    assert "Varsla Eier" in warning.subject + warning.body or "Hei Varsla Eier" in warning.body
    assert "/min-side/tofaktor" in warning.body and "/min-side/passord" in warning.body
    strangers_guess(app, owner.email, 10, first=30)
    assert len(mails(app, "password_guessing")) == 1  # one per period, however long the attack

    with app.app_context():  # a day later, the attack still going on
        row = db.session.get(User, owner.id)
        row.password_guessing_warned_at = row.password_guessing_warned_at - dt.timedelta(hours=24, seconds=1)
        db.session.commit()
    strangers_guess(app, owner.email, 1, first=60)
    assert len(mails(app, "password_guessing")) == 2

    # Guessing on an address without an account looks the same and mails nobody.
    assert strangers_guess(app, "ingen-konto@example.org", 7)[5:] == [200, 200]
    assert len(mails(app, "password_guessing")) == 2


def test_a_forged_or_stale_sign_in_link_is_refused(app, make_user, attack_threshold):
    owner = make_user(email="lenke@example.org")
    owner_browser = Browser(app.test_client())
    owner_browser.login(owner)
    strangers_guess(app, owner.email, 6)
    attempt(app, owner.email, TEST_PASSWORD, "198.51.100.5")
    [mail] = mails(app, "sign_in_link")
    link = SIGN_IN_LINK.search(mail.body).group(1)
    assert Browser(app.test_client()).submit("/", link[:-3] + "abc").status_code == 400
    assert app.test_client().get("/logg-inn/lenke/" + "x" * 5000).status_code == 400
    owner_browser.submit("/min-side/passord", data={"current_password": TEST_PASSWORD,
                                                    "new_password": "et-nytt-langt-passord",
                                                    "new_password_again": "et-nytt-langt-passord"})
    assert Browser(app.test_client()).submit("/", link).status_code == 400  # a new password voids it


def test_someone_with_the_password_cannot_lock_the_owner_out_of_the_second_step(app, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_TWO_FACTOR", "3 per hour")
    owner = make_user(email="kode@example.org")
    phone = Browser(app.test_client())
    phone.login(owner)
    secret, _codes = switch_on(phone)
    phone.logout()

    thief = Browser(app.test_client())  # has the password, not the phone
    assert attempt(app, owner.email, TEST_PASSWORD, "203.0.113.77", client=thief.client).status_code == 303
    assert [thief.submit("/logg-inn/kode", data={"code": "12345"}).status_code for _ in range(4)][-1] == 429
    other = Browser(app.test_client())  # codes from browsers the account does not know count together
    assert attempt(app, owner.email, TEST_PASSWORD, "203.0.113.78", client=other.client).status_code == 303
    assert other.submit("/logg-inn/kode", data={"code": "12345"}).status_code == 429

    assert attempt(app, owner.email, TEST_PASSWORD, "198.51.100.1", client=phone.client).status_code == 303
    assert phone.submit("/logg-inn/kode", data={"code": code_at(secret, 30)}).status_code == 303
    assert logged_in(phone.client)


@pytest.mark.skipif(not redis_reachable(), reason="no Redis server on 127.0.0.1:6379")
def test_processes_share_the_attack_and_the_waits_through_redis(tmp_path, monkeypatch):
    import random
    import uuid

    import redis

    url = f"redis://127.0.0.1:6379/{random.randint(1, 15)}"
    prefix = f"test-{uuid.uuid4().hex}"  # this run's own keys
    monkeypatch.setenv("HOERING_RATELIMIT_STORAGE_URI", url)
    config = {"TESTING": True, "SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.sqlite",
              "RATELIMIT_LOGIN_ACCOUNT": "3 per day", "RATELIMIT_KEY_PREFIX": prefix,
              "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}
    first, second = create_app(config), create_app(config)
    with first.app_context():
        db.create_all()
    try:
        statuses = [attempt(app, "delt@example.org", "feil-passord-1", f"203.0.113.{n}").status_code
                    for n, app in enumerate((first, second, first, second), start=1)]
        assert statuses == [401, 401, 401, 200]  # the second process saw the first one's failures
        one_client = [attempt(app, "annen@example.org", "feil-passord-1", "203.0.113.99").status_code
                      for app in (first, second, first, second)]
        assert one_client == [401, 401, 401, 429]  # and its waits
    finally:
        store = redis.Redis.from_url(url)
        ours = [key for key in store.scan_iter("*") if prefix.encode() in key]
        assert ours
        store.delete(*ours)


def test_with_rate_limits_switched_off_logins_work_and_guessers_still_wait(app, make_user, make_app, monkeypatch):
    """``RATELIMIT_ENABLED = False`` (a benchmark, a test set-up) leaves Flask-Limiter without
    storage: the login throttle and one-time links count in the process's memory instead,
    where a login once answered 500."""
    make_user(email="uten-grenser@example.org")
    # The limiter is one object for every app of the process, and an app made with limits
    # off switches it off: switch it on again for the tests after this one.
    monkeypatch.setattr(limiter, "enabled", limiter.enabled)
    other = make_app(RATELIMIT_ENABLED=False)
    owner = attempt(other, "uten-grenser@example.org", TEST_PASSWORD, "198.51.100.9")
    assert owner.status_code == 303
    guesser = other.test_client()
    answers = [attempt(other, "uten-grenser@example.org", f"feil-passord-{n}", "203.0.113.77", client=guesser)
               .status_code for n in range(4)]
    assert answers == [401, 401, 401, 429]
