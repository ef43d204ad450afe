"""Copied login cookies stop working when their owner logs out, changes the password,
changes two-factor login or deletes the account (the session version on the user row)."""

from __future__ import annotations

import pytest

from tests.accounts.test_two_factor import code_at, switch_on
from tests.conftest import TEST_PASSWORD, Browser

COOKIES = ("session", "remember_token")


def copy_of(app, browser: Browser) -> Browser:
    """A second browser holding copies of ``browser``'s login cookies (as a thief would)."""
    thief = Browser(app.test_client())
    for name in COOKIES:
        cookie = browser.client.get_cookie(name)
        if cookie is not None:
            thief.client.set_cookie(name, cookie.value)
    return thief


def remember_me_copy(app, browser: Browser) -> Browser:
    """A copy of the remember-me cookie alone (the session cookie ended with the browser)."""
    thief = Browser(app.test_client())
    thief.client.set_cookie("remember_token", browser.client.get_cookie("remember_token").value)
    return thief


def is_logged_in(browser: Browser) -> bool:
    return browser.get("/min-side").status_code == 200


def logged_in_pair(app, make_user):
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user, remember=True)
    copies = copy_of(app, browser), remember_me_copy(app, browser)
    assert all(is_logged_in(copy) for copy in copies)  # the copies work before
    return user, browser, copies


def test_a_copied_session_is_anonymous_after_logging_out(app, make_user):
    user, browser, copies = logged_in_pair(app, make_user)
    assert browser.logout().status_code == 303
    assert "Du er logget ut, på denne enheten og alle andre" in browser.get("/").get_data(as_text=True)
    assert not is_logged_in(browser)
    assert not any(is_logged_in(copy) for copy in copies)
    browser.login(user)  # logging in again works
    assert is_logged_in(browser)


def test_a_copied_session_is_anonymous_after_a_password_change(app, make_user):
    _user, browser, copies = logged_in_pair(app, make_user)
    answer = browser.submit("/min-side/passord", data={"current_password": TEST_PASSWORD,
                                                       "new_password": "et-nytt-langt-passord",
                                                       "new_password_again": "et-nytt-langt-passord"})
    assert answer.status_code == 303
    assert is_logged_in(browser)  # this session goes on …
    assert not any(is_logged_in(copy) for copy in copies)  # … the copies do not
    browser.client.delete_cookie("session")
    assert is_logged_in(browser)  # and this browser's remember-me cookie was renewed


@pytest.mark.parametrize("change", ["on", "off", "new codes"])
def test_a_copied_session_is_anonymous_after_a_two_factor_change(app, make_user, change):
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user, remember=True)
    if change != "on":
        switch_on(browser)
    copies = copy_of(app, browser), remember_me_copy(app, browser)
    assert all(is_logged_in(copy) for copy in copies)
    if change == "on":
        switch_on(browser)
    elif change == "off":
        answer = browser.submit("/min-side/tofaktor", "/min-side/tofaktor/slaa-av", data={"password": TEST_PASSWORD})
        assert answer.status_code == 303 and "Tofaktorinnlogging er slått av" in browser.get("/").get_data(as_text=True)
    else:
        answer = browser.submit("/min-side/tofaktor", "/min-side/tofaktor/nye-koder", data={"password": TEST_PASSWORD})
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert is_logged_in(browser)
    assert not any(is_logged_in(copy) for copy in copies)
    browser.client.delete_cookie("session")
    assert is_logged_in(browser)  # the remember-me cookie of this browser still works


def test_a_copied_session_is_anonymous_after_an_admin_resets_two_factor(app, make_user):
    user = make_user()
    browser = Browser(app.test_client())
    browser.login(user, remember=True)
    switch_on(browser)
    copies = copy_of(app, browser), remember_me_copy(app, browser)
    assert all(is_logged_in(copy) for copy in copies)
    admin = make_user(role="admin")
    admin_browser = Browser(app.test_client())
    admin_browser.login(admin)
    assert admin_browser.submit(f"/admin/brukere/{user.id}", f"/admin/brukere/{user.id}/tofaktor").status_code == 303
    assert not is_logged_in(browser)
    assert not any(is_logged_in(copy) for copy in copies)


def test_a_copied_session_is_anonymous_after_the_account_is_deleted(app, make_user):
    _user, browser, copies = logged_in_pair(app, make_user)
    assert browser.submit("/min-side/slett", data={"password": TEST_PASSWORD}).status_code == 303
    assert not any(is_logged_in(copy) for copy in copies)


def test_a_copied_half_login_cannot_finish_after_logging_out(app, make_user):
    """The password step of a two-factor login, copied, cannot be finished with a code
    once the owner has logged out."""
    user = make_user()
    owner = Browser(app.test_client())
    owner.login(user)
    secret, _codes = switch_on(owner)
    waiting = Browser(app.test_client())
    assert waiting.submit("/logg-inn", data={"email": user.email, "password": user.password}).status_code == 303
    copy = copy_of(app, waiting)
    owner.logout()
    answer = copy.submit("/logg-inn", "/logg-inn/kode", data={"code": code_at(secret, 30)})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/logg-inn")
    assert not is_logged_in(copy)
