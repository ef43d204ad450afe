"""Behind reverse proxies: the client address is taken from ``X-Forwarded-For`` only as far
as ``TRUSTED_PROXIES`` says (rate limits, logs), a client cannot pick its own address, and
no address is stored in the database."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from hoering import PROJECT_ROOT, ConfigurationError, create_app
from hoering.extensions import db
from tests.conftest import SECOND_APP_SETTINGS, csrf_token_from

PROXY = "10.0.0.1"
@pytest.fixture
def behind_proxies(make_app):
    """``behind_proxies(proxies, **settings)`` → a second app on the test database, with
    ``proxies`` trusted proxies in front."""

    def make(proxies, **settings):
        return make_app(TRUSTED_PROXIES=proxies, **{"RATELIMIT_LOGIN": "2 per minute", **settings})

    return make


def failed_login(client, forwarded_for: str | None, n: int) -> int:
    """A wrong password from the proxy, with the header it passes on; the status."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    environ = {"REMOTE_ADDR": PROXY}
    token = csrf_token_from(client.get("/logg-inn", headers=headers, environ_base=environ).get_data(as_text=True))
    return client.post("/logg-inn", data={"csrf_token": token, "email": f"person{n}@example.org",
                                          "password": "feil-passord-1"},
                       headers=headers, environ_base=environ).status_code


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN", "2 per minute")
    client = app.test_client()
    statuses = [failed_login(client, f"203.0.113.{n}", n) for n in range(1, 5)]
    assert statuses == [401, 401, 429, 429]  # a new address in the header every time did not help


def test_behind_one_proxy_each_client_has_its_own_limit(behind_proxies):
    proxied = behind_proxies(1)
    first, second = proxied.test_client(), proxied.test_client()
    assert [failed_login(first, "203.0.113.1", n) for n in range(2)] == [401, 401]
    assert [failed_login(second, "203.0.113.2", n) for n in range(2, 4)] == [401, 401]
    assert failed_login(first, "203.0.113.1", 4) == 429
    assert failed_login(second, "203.0.113.2", 5) == 429


def test_behind_one_proxy_an_ipv6_client_counts_by_its_64_network(behind_proxies):
    """One connection is given a whole /64: rotating through it gives no fresh allowance,
    while another network has its own."""
    client = behind_proxies(1).test_client()
    statuses = [failed_login(client, f"2001:db8:1:2::{n:x}", n) for n in range(1, 5)]
    assert statuses == [401, 401, 429, 429]
    assert failed_login(client, "2001:db8:1:3::1", 5) == 401


def test_behind_one_proxy_an_address_the_client_adds_is_ignored(behind_proxies):
    client = behind_proxies(1).test_client()
    # The client sends its own X-Forwarded-For; the proxy appends the address it saw.
    statuses = [failed_login(client, f"198.51.100.{n}, 203.0.113.9", n) for n in range(1, 5)]
    assert statuses == [401, 401, 429, 429]


def test_behind_one_proxy_https_is_known_from_x_forwarded_proto(app, behind_proxies):
    proxied = behind_proxies(1)
    direct = app.test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.3"}
    assert "Strict-Transport-Security" in proxied.test_client().get("/", headers=headers).headers
    assert "Strict-Transport-Security" not in direct.get("/", headers=headers).headers


def test_the_host_header_is_not_taken_from_x_forwarded_host(behind_proxies):
    proxied = behind_proxies(1, SITE_URL="https://hoering.fjordvik.example")
    response = proxied.test_client().get("/api/v1/consultations",
                                         headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-For": "203.0.113.3",
                                                  "Host": "hoering.fjordvik.example"})
    assert response.status_code == 200
    assert "evil.example" not in response.get_data(as_text=True)


@pytest.mark.parametrize("value", [-1, "two", 1.5, True, None, "1; 2"])
def test_a_bad_number_of_proxies_stops_the_start(behind_proxies, value):
    with pytest.raises(ConfigurationError, match="HOERING_TRUSTED_PROXIES"):
        behind_proxies(value)


def test_a_bad_number_of_proxies_in_the_environment_stops_the_start(app, monkeypatch):
    monkeypatch.setenv("HOERING_TRUSTED_PROXIES", "mange")
    settings = {key: app.config[key] for key in SECOND_APP_SETTINGS}
    with pytest.raises(ConfigurationError, match="HOERING_TRUSTED_PROXIES"):
        create_app(settings)
    monkeypatch.setenv("HOERING_TRUSTED_PROXIES", "2")
    started = create_app(settings)
    assert started.config["TRUSTED_PROXIES"] == 2
    with started.app_context():
        db.engine.dispose()


# A process of its own: logging is set up as on a server, without pytest's handlers.
LOGGING_SERVER = """
import io, sys
from hoering import create_app
app = create_app({"SECRET_KEY": "x" * 32, "SQLALCHEMY_DATABASE_URI": sys.argv[1], "TRUSTED_PROXIES": 1})

@app.get("/test-feil")
def fails():
    raise RuntimeError("noe gikk galt")

errors = io.StringIO()
response = app.test_client().get("/test-feil", headers={"X-Forwarded-For": "198.51.100.7, 203.0.113.5"},
                                 environ_base={"REMOTE_ADDR": "10.0.0.1"}, errors_stream=errors)
print(response.status_code)
print(errors.getvalue())
"""


def test_log_lines_of_a_request_name_the_client_behind_the_proxy(tmp_path):
    result = subprocess.run([sys.executable, "-c", LOGGING_SERVER, f"sqlite:///{tmp_path / 'log.sqlite'}"],
                            capture_output=True, text=True, cwd=PROJECT_ROOT, check=True)
    status, logged = result.stdout.split("\n", 1)
    assert status == "500"
    line = next(line for line in logged.splitlines() if "Exception on /test-feil" in line)
    assert "203.0.113.5" in line and "noe gikk galt" in logged
    assert "198.51.100.7" not in logged and PROXY not in logged


def test_no_client_address_is_stored_in_the_database(app, behind_proxies, make_consultation):
    consultation = make_consultation()
    client = behind_proxies(1).test_client()
    address = "203.0.113.77"
    environ = {"REMOTE_ADDR": PROXY}
    headers = {"X-Forwarded-For": address}

    def submit(page, action, data):
        token = csrf_token_from(client.get(page, headers=headers, environ_base=environ).get_data(as_text=True))
        return client.post(action, data={"csrf_token": token, **data}, headers=headers, environ_base=environ)

    password = "et-langt-passord-1"
    assert submit("/registrer", "/registrer", {"display_name": "Kari Nordmann", "email": "kari@example.org",
                                                "password": password, "password_again": password}).status_code == 303
    submit(f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/kommentarer",
           {"text": "Mitt innspill", "consent": "1"})
    submit("/logg-inn", "/logg-inn", {"email": "kari@example.org", "password": "feil-passord-1"})
    with app.app_context():
        stored = [str(row) for table in db.metadata.sorted_tables
                  for row in db.session.execute(sa.select(table)).all()]
    assert any("Mitt innspill" in row for row in stored)
    assert not any(address in row or PROXY in row for row in stored)
