"""The pages of formal responses in a real browser: axe finds no serious or critical
violation, the form works without JavaScript (a refused form comes back with what was
typed), and nothing overflows at 320 px. With ``HOERING_SCREENSHOT_DIR`` set, each page
is also photographed at 320 and 1280 px wide, for a person to look at."""

from __future__ import annotations

import os

import pytest

from tests.browser.test_accessibility import AXE, RUN_AXE, axe_script  # noqa: F401 - the fixture
from tests.conftest import TEST_PASSWORD
from tests.responses.test_public_data import screened  # noqa: F401 - the fixture
from tests.responses.test_responses import document_dir  # noqa: F401 - the fixture

WIDE_OVERFLOW = "document.documentElement.scrollWidth > document.documentElement.clientWidth + 1"


def _shoot(page, name: str, width: int) -> None:
    folder = os.environ.get("HOERING_SCREENSHOT_DIR")
    if folder:
        os.makedirs(folder, exist_ok=True)
        page.screenshot(path=os.path.join(folder, f"{name}-{width}.png"), full_page=True)


@pytest.mark.browser
def test_the_response_pages_are_accessible_at_both_widths(app, chromium, live_server, axe_script, screened,  # noqa: F811
                                                          make_user):
    consultation, _officer = screened
    from hoering.extensions import db
    from hoering.responses.models import FormalResponse

    with app.app_context():
        first = db.session.query(FormalResponse).order_by(FormalResponse.id).first()
        token, first_id = first.token, first.id
    slug = consultation.slug
    public = {"send": f"/hoeringer/{slug}/hoeringssvar/send", "receipt": f"/hoeringssvar/kvittering/{token}",
              "list": f"/hoeringer/{slug}/hoeringssvar", "consultation": f"/hoeringer/{slug}"}
    staff = {"staff-list": f"/saksbehandling/hoeringer/{slug}/hoeringssvar",
             "register": f"/saksbehandling/hoeringer/{slug}/hoeringssvar/ny",
             "screen": f"/saksbehandling/hoeringssvar/{first_id}"}
    officer = make_user(role="case_officer")
    found = {}
    for width in (320, 1280):
        context = chromium.new_context(base_url=live_server, bypass_csp=True, viewport={"width": width, "height": 900})
        page = context.new_page()
        for who, paths in (("anonymous", public), ("case_officer", staff)):
            if who == "case_officer":
                page.goto("/logg-inn")
                page.fill("#email", officer.email)
                page.fill("#password", TEST_PASSWORD)
                page.press("#password", "Enter")
                page.wait_for_load_state()
            for name, path in paths.items():
                response = page.goto(path)
                assert response.ok, (path, response.status)
                if page.evaluate(WIDE_OVERFLOW):
                    found[f"{width} {path}"] = ["the page is wider than the screen"]
                page.add_script_tag(content=axe_script)
                violations = page.evaluate(RUN_AXE)
                if violations:
                    found[f"{width} {path}"] = violations
                _shoot(page, name, width)
            if who == "anonymous":  # a refused form, sent without JavaScript's help
                page.goto(public["send"])
                page.fill("#sender_name", "Kari Nordmann")
                page.fill("#organisation_number", "974760672")
                page.fill("#text", "Teksten min")
                with page.expect_navigation():
                    page.click("main form button[type=submit]")
                assert page.input_value("#text") == "Teksten min"
                assert page.input_value("#organisation_number") == "974760672"
                page.add_script_tag(content=axe_script)
                violations = page.evaluate(RUN_AXE)
                if violations:
                    found[f"{width} refused form"] = violations
                _shoot(page, "send-refused", width)
        context.close()
    assert found == {}
