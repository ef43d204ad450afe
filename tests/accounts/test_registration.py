"""The registration limit counts accounts made, not typing mistakes; two registrations of
one address at the same moment make one account and a normal answer."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from hoering.accounts import services
from hoering.accounts.models import User
from hoering.extensions import db
from hoering.notifications.models import OutboxMail
from tests.conftest import Browser, csrf_token_from

SCHOOL = {"REMOTE_ADDR": "192.0.2.10"}  # one address for a whole school or library


def register(app, email: str, name: str = "Elev", password: str = "langt-passord-1", again: str | None = None):
    """Register from a new browser behind the school's address."""
    browser = Browser(app.test_client())
    return browser.submit("/registrer", data={"display_name": name, "email": email, "password": password,
                                              "password_again": password if again is None else again},
                          environ_base=SCHOOL)


def accounts(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


def test_typing_mistakes_do_not_use_up_the_registration_limit(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTRATION", "5 per hour")
    for n in range(12):  # short passwords, passwords that do not match, bad addresses, empty names
        mistake = [{"password": "kort"}, {"again": "noe-helt-annet"}, {"email": "ikke-en-adresse"},
                   {"name": ""}][n % 4]
        response = register(app, **{"email": f"elev{n}@skole.no", **mistake})
        assert response.status_code == 422, n
    for n in range(5):  # five pupils get their accounts
        assert register(app, f"ny{n}@skole.no", name=f"Elev {n}").status_code == 303
    assert accounts(app) == 5
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(OutboxMail.id))
                                 .where(OutboxMail.kind == "verify_email")) == 5
    sixth = register(app, "sjette@skole.no", name="Sjette Elev")
    assert sixth.status_code == 429 and sixth.headers["Retry-After"]
    body = sixth.get_data(as_text=True)
    assert 'value="Sjette Elev"' in body and 'value="sjette@skole.no"' in body  # the form is kept
    assert accounts(app) == 5
    elsewhere = Browser(app.test_client()).submit(
        "/registrer", data={"display_name": "Hjemme", "email": "hjemme@example.org", "password": "langt-passord-1",
                            "password_again": "langt-passord-1"}, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert elsewhere.status_code == 303  # the limit is the school's address only


def test_answers_that_an_address_has_an_account_count_against_the_limit(app, make_user, monkeypatch):
    """They tell whether someone has an account; the limit is what keeps that slow."""
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTRATION", "3 per hour")
    taken = [make_user(email=f"finnes{n}@example.org").email for n in range(4)]
    assert [register(app, email).status_code for email in taken] == [409, 409, 409, 429]


def concurrently(count: int, task):
    """Run ``task(n)`` in ``count`` threads at once; returns the results in order."""
    results: list = [None] * count
    errors: list = []

    def run(n: int) -> None:
        try:
            results[n] = task(n)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def test_two_registrations_of_one_address_at_once_make_one_account(app, monkeypatch):
    # Both requests look the address up before either has saved its account: the race the
    # database's unique index decides.
    both_looked = threading.Barrier(2, timeout=20)
    look_up = services.find_by_email

    def find_by_email_in_step(email):
        found = look_up(email)
        both_looked.wait()
        return found

    monkeypatch.setattr(services, "find_by_email", find_by_email_in_step)
    pages = [Browser(app.test_client()) for _ in range(2)]
    tokens = [csrf_token_from(page.get("/registrer").get_data(as_text=True)) for page in pages]

    def post(n: int):
        response = pages[n].client.post("/registrer", data={
            "csrf_token": tokens[n], "display_name": f"Samtidig {n}", "email": "SAMTIDIG@example.org",
            "password": "langt-passord-1", "password_again": "langt-passord-1"})
        return response.status_code, response.get_data(as_text=True)

    results = concurrently(2, post)
    assert sorted(status for status, _body in results) == [303, 409]
    refused = next(body for status, body in results if status == 409)
    assert "Det finnes allerede en konto med denne e-postadressen." in refused
    assert 'value="SAMTIDIG@example.org"' in refused or 'value="samtidig@example.org"' in refused
    with app.app_context():
        assert db.session.scalars(sa.select(User.email)).all() == ["samtidig@example.org"]
