"""Absolute addresses are built on ``SITE_URL``, never on the Host header (or
``X-Forwarded-Host``) a request came with: a forged host must not reach a page, an API
answer, a feed, the calendar, a redirect or a mail (cache poisoning, phishing links). On an
https site, requests for another host are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from hoering import ConfigurationError
from hoering.extensions import db
from tests.conftest import TEST_PASSWORD, csrf_token_from
from tests.test_access_matrix import MATRIX, consultation_form, scene  # noqa: F401  (scene is a fixture)

FORGED = "evil.example"
HEADERS = {"X-Forwarded-Host": FORGED, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.1"}


def forged_client(app):
    """A test client whose every request names the forged host (absolute URLs on it, so
    its cookies stay with it)."""
    client = app.test_client()

    def url(path: str) -> str:
        return f"http://{FORGED}{path}"

    return client, url


def leaks(response) -> list[str]:
    """Where the forged host shows in ``response``: its body or a header."""
    found = [f"header {name}: {value}" for name, value in response.headers.items() if FORGED in value]
    if FORGED.encode() in response.get_data():
        found.append("body")
    return found


@pytest.mark.parametrize("role", ["anonymous", "citizen", "admin"])
def test_no_route_answers_with_a_forged_host(app, search_inline, scene, role):  # noqa: F811
    values, users, own = scene
    values = {**values, "own_comment": own.get(role, values["other_comment"])}
    client, url = forged_client(app)
    if role != "anonymous":
        token = csrf_token_from(client.get(url("/logg-inn"), headers=HEADERS).get_data(as_text=True))
        response = client.post(url("/logg-inn"), headers=HEADERS,
                               data={"csrf_token": token, "email": users[role].email, "password": TEST_PASSWORD})
        assert response.status_code == 303 and not leaks(response)
    found = {}
    # Pages first (a POST may log out or delete the account), then the forms.
    for endpoint, method, template, data, _allowed, _status in sorted(MATRIX, key=lambda row: row[1]):
        if endpoint in ("accounts.logout", "accounts.delete_account", "accounts.change_password",
                        "accounts.reset_password") and method == "POST":
            continue  # they end the session the remaining requests need
        path = template.format(**values)
        if method == "GET":
            response = client.get(url(path), headers=HEADERS)
        else:
            token = csrf_token_from(client.get(url(f"/hoeringer/{values['slug']}"), headers=HEADERS)
                                    .get_data(as_text=True))
            payload = consultation_form() if data == "consultation" else {
                key.format(**values): value.format(**values) for key, value in (data or {}).items()}
            response = client.post(url(path), headers=HEADERS, data={"csrf_token": token, **payload})
        # 503 only where the matrix expects it: the login providers of the scene do not answer.
        assert response.status_code < 500 or response.status_code == _status == 503, (method, path,
                                                                                      response.status_code)
        if leaks(response):
            found[f"{method} {path}"] = leaks(response)
        response.close()
    for path in ("/min-side", "/finnes-ikke", "/kommentarer/2147483647"):  # redirects to log in, errors
        response = client.get(url(path), headers=HEADERS)
        if leaks(response):
            found[f"GET {path}"] = leaks(response)
    assert found == {}


def test_mails_asked_for_on_a_forged_host_link_to_the_site(app, client, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    follower = make_user()
    forged, url = forged_client(app)
    token = csrf_token_from(forged.get(url("/registrer"), headers=HEADERS).get_data(as_text=True))
    # Each answer is closed, as a server does once it is sent: the mails asked for go then.
    forged.post(url("/registrer"), headers=HEADERS, data={
        "csrf_token": token, "display_name": "Ny Person", "email": "ny@example.org",
        "password": "et-langt-passord-1", "password_again": "et-langt-passord-1"}).close()
    other, other_url = forged_client(app)
    token = csrf_token_from(other.get(other_url("/glemt-passord"), headers=HEADERS).get_data(as_text=True))
    other.post(other_url("/glemt-passord"), headers=HEADERS, data={"csrf_token": token, "email": follower.email}).close()
    token = csrf_token_from(other.get(other_url("/logg-inn"), headers=HEADERS).get_data(as_text=True))
    other.post(other_url("/logg-inn"), headers=HEADERS,
               data={"csrf_token": token, "email": follower.email, "password": TEST_PASSWORD}).close()
    token = csrf_token_from(other.get(other_url(f"/hoeringer/{consultation.slug}"), headers=HEADERS)
                            .get_data(as_text=True))
    other.post(other_url(f"/hoeringer/{consultation.slug}/folg"), headers=HEADERS,
               data={"csrf_token": token, "follow": "1"}).close()
    make_comment(consultation, make_user(), "Et nytt innspill")
    with app.app_context():
        stored = [str(row) for table in db.metadata.sorted_tables for row in db.session.execute(sa.select(table))]
    assert any("ny@example.org" in row for row in stored)
    assert not any(FORGED in row for row in stored)
    written = [path.read_text(encoding="utf-8", errors="replace") for path in Path(app.config["MAIL_DIR"]).iterdir()]
    assert any("Ny Person" in mail or follower.email in mail for mail in written)
    assert [mail for mail in written if FORGED in mail] == []


@pytest.fixture
def https_site(make_app):
    """``https_site(**settings)`` → an app served as https://hoering.fjordvik.example, as in
    production (not testing)."""

    def make(**settings):
        return make_app(TESTING=False, SECRET_KEY="x" * 32, SITE_URL="https://hoering.fjordvik.example", **settings)

    return make


def test_an_https_site_refuses_requests_for_another_host(https_site):
    client = https_site().test_client()
    refused = client.get("/", headers={"Host": FORGED})
    assert refused.status_code == 400 and not leaks(refused)
    assert "Ugyldig forespørsel" in refused.get_data(as_text=True)  # the error page, in the site's layout
    assert client.get("/api/v1/consultations", headers={"Host": FORGED}).json["error"]["code"] == "bad_request"
    assert client.get("/", headers={"Host": "hoering.fjordvik.example"}).status_code == 200
    assert client.get("/", headers={"Host": "hoering.fjordvik.example:443"}).status_code == 200


@pytest.mark.parametrize("value", ["hoering.fjordvik.example", 5, [""], [None]])
def test_a_bad_list_of_hosts_stops_the_start(https_site, value):
    with pytest.raises(ConfigurationError, match="HOERING_ALLOWED_HOSTS"):
        https_site(ALLOWED_HOSTS=value)


def test_the_allowed_hosts_can_be_listed_or_the_check_switched_off(https_site):
    listed = https_site(ALLOWED_HOSTS=["hoering.fjordvik.example", "intern.fjordvik.example"]).test_client()
    assert listed.get("/", headers={"Host": "intern.fjordvik.example"}).status_code == 200
    assert listed.get("/", headers={"Host": FORGED}).status_code == 400
    anything = https_site(ALLOWED_HOSTS=[]).test_client()
    response = anything.get("/api/v1/consultations", headers={"Host": FORGED})
    assert response.status_code == 200 and not leaks(response)
