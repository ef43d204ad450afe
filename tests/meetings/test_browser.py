"""The bodies and meetings pages in a real browser: axe-core finds no serious or critical
violation, in Norwegian and English, for the public and for case officers; screenshots at
320 and 1280 px wide are written to ``HOERING_SCREENSHOT_DIR`` when it is set."""

from __future__ import annotations

import os

import pytest

from hoering.timeutil import oslo_today
from tests.browser.conftest import chromium, live_server  # noqa: F401  (the fixtures)
from tests.browser.test_accessibility import RUN_AXE, axe_script  # noqa: F401  (the fixture)
from tests.conftest import TEST_PASSWORD


def _pages(slug: str, meeting_id: int, item_id: int) -> dict[str, list[str]]:
    public = ["/politikk", f"/politikk/{slug}", f"/moter/{meeting_id}", "/sok?q=budsjett"]
    return {"anonymous": public,
            "case_officer": [*public, "/saksbehandling/politikk", "/saksbehandling/politikk/ny",
                             f"/saksbehandling/politikk/{slug}", f"/saksbehandling/moter/{meeting_id}",
                             f"/saksbehandling/saker/{item_id}", f"/saksbehandling/moter/{meeting_id}/protokoll",
                             f"/saksbehandling/politikk/{slug}/moter/ny"]}


@pytest.mark.browser
@pytest.mark.parametrize("language", ["nb", "en"])
def test_no_serious_or_critical_violations_and_screenshots(app, chromium, live_server, axe_script,  # noqa: F811
                                                           make_user, make_meeting, browser_for, search_inline, language):
    slug, meeting_id, items = make_meeting(days=-1, items=(("PS 1/26", "Budsjett 2027 med et langt navn som må brytes"),
                                                           ("PS 2/26", "Reguleringsplan for Sjøgata")))
    officer = browser_for("case_officer")
    officer.submit(f"/saksbehandling/moter/{meeting_id}/protokoll", data={
        "minutes": "## Protokoll\n\n- Budsjettet ble vedtatt.", "approved_on": oslo_today().isoformat()})
    shots = os.environ.get("HOERING_SCREENSHOT_DIR")
    found = {}
    for role, paths in _pages(slug, meeting_id, items[0]).items():
        for width in (320, 1280):
            context = chromium.new_context(base_url=live_server, bypass_csp=True,
                                           viewport={"width": width, "height": 900})
            context.add_cookies([{"name": "hoering_lang", "value": language, "url": live_server}])
            page = context.new_page()
            if role != "anonymous":
                page.goto("/logg-inn")
                page.fill("#email", make_user(role=role).email)
                page.fill("#password", TEST_PASSWORD)
                page.press("#password", "Enter")
                page.wait_for_load_state()
            for path in paths:
                response = page.goto(path)
                assert response.ok and "/logg-inn" not in page.url, (role, path, page.url)
                assert page.evaluate("document.documentElement.lang") == language
                # Nothing is wider than the window (no sideways scrolling at 320 px).
                assert page.evaluate("document.documentElement.scrollWidth") <= width + 1, (path, width)
                page.add_script_tag(content=axe_script)
                violations = page.evaluate(RUN_AXE)
                if violations:
                    found[f"{role} {path} {width}"] = violations
                if shots and language == "nb":
                    name = f"{role}-{path.strip('/').replace('/', '_').replace('?', '_') or 'root'}-{width}.png"
                    page.screenshot(path=os.path.join(shots, name), full_page=True)
            context.close()
    assert found == {}
