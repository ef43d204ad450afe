"""No browser or proxy keeps a page shown to a logged-in user, and shared caches never mix
answers that differ by login: every route of the access matrix, for every kind of visitor."""

from __future__ import annotations

import pytest

from tests.conftest import Browser, csrf_token_from
from tests.test_access_matrix import MATRIX, ROLES, consultation_form
from tests.test_access_matrix import scene as scene  # noqa: F401  (the fixture)

#: Files that are the same for everyone (the site's CSS and scripts) may be cached.
SAME_FOR_EVERYONE = {"static"}


def cache_faults(response, logged_in: bool, endpoint: str) -> list[str]:
    """What is wrong with the caching headers of ``response``."""
    faults = []
    if endpoint in SAME_FOR_EVERYONE:
        return faults
    if "Cookie" not in response.vary and "*" not in response.vary:
        faults.append(f"Vary: {response.headers.get('Vary')!r}")
    if logged_in and not response.cache_control.no_store:
        faults.append(f"Cache-Control: {response.headers.get('Cache-Control')!r}")
    if logged_in and (response.cache_control.public or response.cache_control.max_age):
        faults.append(f"Cache-Control allows keeping it: {response.headers.get('Cache-Control')!r}")
    return faults


@pytest.mark.parametrize("role", ROLES)
def test_no_answer_to_a_logged_in_visitor_is_kept_and_every_answer_varies_by_cookie(app, scene, role):  # noqa: F811
    values, users, own = scene
    values = {**values, "own_comment": own.get(role, values["other_comment"])}
    browser = Browser(app.test_client())
    logged_in = role != "anonymous"
    if logged_in:
        login = browser.submit("/logg-inn", data={"email": users[role].email, "password": users[role].password})
        assert login.status_code == 303
        assert login.cache_control.no_store and "Cookie" in login.vary  # the answer that logs in
    faults = {}
    # Every GET of the matrix, then every POST that changes nothing others need (the
    # account's own pages last: logging out and deleting the account end the session).
    for endpoint, method, template, data, _allowed, _status in MATRIX:
        url = template.format(**values)
        if method == "GET":
            response = browser.get(url)
        elif endpoint in ("accounts.logout", "accounts.delete_account", "accounts.change_password",
                          "accounts.reset_password", "accounts.login", "accounts.sign_in_link", "accounts.disable_two_factor",
                          "accounts.new_recovery_codes", "admin.reset_two_factor", "admin.user"):
            continue
        else:
            token = csrf_token_from(browser.get("/hoeringer/" + values["slug"]).get_data(as_text=True))
            payload = consultation_form() if data == "consultation" else {
                key.format(**values): value.format(**values) for key, value in (data or {}).items()}
            response = browser.client.post(url, data={"csrf_token": token, **payload})
        still_logged_in = logged_in and browser.get("/min-side").status_code == 200
        found = cache_faults(response, still_logged_in, endpoint)
        if found:
            faults[f"{method} {url} ({response.status_code})"] = found
        response.close()
    assert faults == {}
    if logged_in:
        page = browser.get("/min-side")
        assert page.headers["Cache-Control"] == "no-store"
        static = browser.get("/static/css/site.css")
        assert not static.cache_control.no_store  # the same for everyone
        static.close()
