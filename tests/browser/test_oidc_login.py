"""Logging in with ID-porten in a real browser: the site served on a local port, the local
OpenID Connect provider (oidc-provider-mock) on another, Chromium going back and forth
between them as a citizen's browser does; the new pages checked with axe and
photographed at 320 and 1280 px (``HOERING_SCREENSHOTS=<folder>``)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from hoering.accounts.models import ExternalIdentity
from hoering.extensions import db
from tests.accounts.oidc_provider import MockProvider
from tests.browser.test_accessibility import RUN_AXE, axe_script  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")]


@pytest.fixture
def provider(app, live_server, monkeypatch):
    running = MockProvider()
    monkeypatch.setitem(app.config, "SITE_URL", live_server)
    monkeypatch.setitem(app.config, "IDPORTEN_ISSUER", running.issuer)
    monkeypatch.setitem(app.config, "IDPORTEN_CLIENT_ID", "hoering-browser")
    monkeypatch.setitem(app.config, "IDPORTEN_CLIENT_SECRET", "browser-secret")
    monkeypatch.setitem(app.config, "STAFF_OIDC_ISSUER", running.issuer)
    monkeypatch.setitem(app.config, "STAFF_OIDC_CLIENT_ID", "hoering-staff-browser")
    yield running
    running.stop()


def look_at(page, name: str, axe: str) -> None:
    """No serious or critical axe finding; screenshots at 320 and 1280 px if asked for."""
    page.add_script_tag(content=axe)
    assert page.evaluate(RUN_AXE) == [], name
    folder = os.environ.get("HOERING_SCREENSHOTS")
    if folder:
        for width in (320, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=os.path.join(folder, f"{name}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_a_citizen_logs_in_with_idporten_in_the_browser(app, chromium, live_server, provider, axe_script):  # noqa: F811
    context = chromium.new_context(base_url=live_server, bypass_csp=False)
    page = context.new_page()
    errors = []
    page.on("console", lambda message: "Content Security Policy" in message.text and errors.append(message.text))
    page.goto("/logg-inn")
    assert page.locator("button", has_text="Logg inn med ID-porten").is_visible()
    assert page.locator("button", has_text="Logg inn for ansatte").is_visible()

    with page.expect_navigation():
        page.click("button:has-text('Logg inn med ID-porten')")
    assert page.url.startswith(provider.issuer + "/oauth2/authorize"), page.url  # the CSP let the form go there
    page.fill("input[name=sub]", "browser-citizen")
    with page.expect_navigation():
        page.click("button:has-text('Authorize')")
    assert page.url == live_server + "/logg-inn/idporten/ny-konto", page.inner_text("main")
    assert page.evaluate("document.documentElement.lang") == "nb"

    context.close()
    # axe needs the site's CSP out of the way to inject its script: a second browser.
    checked = chromium.new_context(base_url=live_server, bypass_csp=True)
    page = checked.new_page()
    page.goto("/logg-inn")
    look_at(page, "login", axe_script)
    page.click("button:has-text('Logg inn med ID-porten')")
    page.fill("input[name=sub]", "browser-citizen")
    with page.expect_navigation():
        page.click("button:has-text('Authorize')")
    look_at(page, "new-account", axe_script)
    page.fill("#display_name", "Nettleser Nordmann")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.rstrip("/") == live_server
    page.goto("/min-side")
    assert "Nettleser Nordmann" in page.content()
    look_at(page, "profile", axe_script)

    with page.expect_navigation():
        page.click("header form[action='/logg-ut'] button, form[action='/logg-ut'] button")
    assert page.url.startswith(provider.issuer + "/oauth2/end_session")
    checked.close()
    assert errors == []  # no form or redirect refused by the CSP
    with app.app_context():
        assert db.session.scalar(sa.select(ExternalIdentity.subject)) == "browser-citizen"
