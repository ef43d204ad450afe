"""Registration, login, remember me, logout and the profile page."""

from __future__ import annotations

import sqlalchemy as sa

from hoering.accounts.models import User
from hoering.extensions import db


def register(browser, name="Ola Nordmann", email="ola@example.org", password="langt-passord-1", again=None, next_url=""):
    url = "/registrer" + (f"?next={next_url}" if next_url else "")
    return browser.submit(url, data={"display_name": name, "email": email, "password": password,
                                     "password_again": again if again is not None else password})


def test_citizen_registers_and_is_logged_in(browser, app):
    response = register(browser)
    assert response.status_code == 303
    page = browser.get("/").get_data(as_text=True)
    assert "Velkommen, Ola Nordmann!" in page and "Logg ut" in page
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "ola@example.org"))
        assert user.role == "citizen" and user.password_hash != "langt-passord-1"


def test_email_is_unique_without_regard_to_case(browser, make_user, app):
    make_user(email="kari@example.org")
    response = register(browser, email="  KARI@Example.ORG ")
    assert response.status_code == 409
    assert "Det finnes allerede en konto med denne e-postadressen." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_registration_errors_keep_what_was_typed(browser):
    response = register(browser, name="Per Bakke", email="per@example.org", password="kort", again="annet")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Passordet må ha minst 10 tegn." in body and "Passordene er ikke like." in body
    assert 'value="Per Bakke"' in body and 'value="per@example.org"' in body
    assert 'value="kort"' not in body  # passwords are never echoed


def test_login_with_any_case_of_email_and_logout(browser, make_user):
    user = make_user(email="siri@example.org")
    response = browser.submit("/logg-inn", data={"email": "Siri@EXAMPLE.org", "password": user.password})
    assert response.status_code == 303
    assert "Min side" in browser.get("/").get_data(as_text=True)

    assert browser.logout().status_code == 303
    assert "Min side" not in browser.get("/").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(browser, make_user):
    user = make_user()
    response = browser.submit("/logg-inn", data={"email": user.email, "password": "feil-passord"})
    assert response.status_code == 401
    assert "Feil e-postadresse eller passord." in response.get_data(as_text=True)


def test_remember_me_sets_a_long_lived_cookie(browser, make_user, client):
    browser.login(make_user(), remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only


def test_without_remember_me_no_remember_cookie(browser, make_user, client):
    browser.login(make_user())
    assert client.get_cookie("remember_token") is None


def test_logout_needs_a_csrf_token(client, browser, make_user):
    browser.login(make_user())
    response = client.post("/logg-ut")
    assert response.status_code == 400
    assert "Skjemaet er utløpt" in response.get_data(as_text=True)
    assert "Min side" in client.get("/").get_data(as_text=True)


def test_login_refuses_to_redirect_to_another_site(browser, make_user):
    user = make_user()
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        browser.logout()
        page = browser.get(f"/logg-inn?next={target}")
        from tests.conftest import csrf_token_from

        response = browser.client.post(f"/logg-inn?next={target}", data={
            "csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": user.email, "password": user.password})
        assert response.status_code == 303
        assert response.headers["Location"] == "/", target


def test_login_returns_to_the_page_it_came_from(browser, make_user):
    user = make_user()
    response = browser.submit("/logg-inn?next=/hoeringer/x", data={"email": user.email, "password": user.password})
    assert response.headers["Location"] == "/hoeringer/x"


def test_profile_requires_login(client):
    response = client.get("/min-side")
    assert response.status_code == 302 and "/logg-inn" in response.headers["Location"]


def test_display_name_can_be_changed_and_too_long_names_are_refused(browser, make_user, app):
    user = make_user()
    browser.login(user)
    assert browser.submit("/min-side", data={"display_name": "Nytt Navn"}).status_code == 303
    response = browser.submit("/min-side", data={"display_name": "x" * 81})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(User, user.id).display_name == "Nytt Navn"


def test_imported_participants_cannot_log_in(browser, app):
    with app.app_context():
        db.session.add(User(display_name="Deltaker 1", is_pseudonymous=True, email="p@example.org"))
        db.session.commit()
    response = browser.submit("/logg-inn", data={"email": "p@example.org", "password": "hva-som-helst"})
    assert response.status_code == 401
