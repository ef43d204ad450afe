"""Password rules, changing the password ends other sessions, and the privacy page."""

from __future__ import annotations

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
    assert response.status_code in (409, 422)
    assert "e-postadressen eller visningsnavnet" in response.get_data(as_text=True)


def test_the_privacy_page_says_what_is_stored(client):
    page = client.get("/personvern").get_data(as_text=True)
    assert "Personvern" in page and "Vi lagrer ikke IP-adresser" in page
    assert 'href="/personvern"' in client.get("/").get_data(as_text=True)
