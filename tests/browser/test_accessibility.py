"""Universal design: axe-core (from npm, see the Makefile) finds no serious or critical
violation on the main pages, for every role, in Norwegian and English."""

from __future__ import annotations

import os

import pytest

from hoering.extensions import db
from hoering.summaries.models import Theme

AXE = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")

RUN_AXE = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => ['serious', 'critical'].includes(v.impact))
  .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""


@pytest.fixture
def axe_script():
    if not os.path.exists(AXE):
        if os.environ.get("HOERING_REQUIRE_BROWSER") == "1":
            pytest.fail("axe-core is required here: `make axe` installs it from npm")
        pytest.skip("axe-core not installed (`make axe`)")
    with open(AXE, encoding="utf-8") as handle:
        return handle.read()


def pages_for(slug: str, draft_slug: str, thread_id: int) -> dict[str, list[str]]:
    public = ["/", f"/hoeringer/{slug}", f"/hoeringer/{slug}/traad/{thread_id}", "/sok?q=sykkel", "/arshjul", "/arkiv",
              "/ordensregler", "/logg-inn", "/registrer"]
    return {
        "anonymous": [*public, "/glemt-passord"],
        "citizen": [*public, "/min-side", "/min-side/passord", "/min-side/tofaktor", "/personvern"],
        "moderator": [f"/hoeringer/{slug}", f"/hoeringer/{slug}/traad/{thread_id}", "/moderering", "/moderering/oversikt", "/moderering/logg", f"/moderering/hoeringer/{slug}/temaer",
                      f"/moderering/hoeringer/{slug}/temaforslag", f"/moderering/hoeringer/{slug}/foreslatte-temaer",
                      f"/moderering/hoeringer/{slug}/duplikater",
                      f"/moderering/hoeringer/{slug}/oppsummering", f"/saksbehandling/hoeringer/{slug}",
                      f"/hoeringer/{slug}/rapport"],
        "case_officer": ["/saksbehandling/hoeringer/ny", f"/saksbehandling/hoeringer/{slug}/rediger",
                         f"/saksbehandling/hoeringer/{slug}/livslop", f"/hoeringer/{draft_slug}"],
        "admin": ["/admin/brukere", "/admin/ordensregler", "/admin/sikkerhet", "/admin/invitasjoner", "/personale"],
    }


@pytest.mark.browser
@pytest.mark.parametrize("language", ["nb", "en"])
def test_no_serious_or_critical_violations(app, chromium, live_server, axe_script, make_consultation, make_user,
                                           make_comment, language):
    from tests.conftest import TEST_PASSWORD

    consultation = make_consultation(title="Sykkelvei langs sjøen", questions=("Hva mener du?",))
    draft = make_consultation(status="draft", title="Utkast")
    author = make_user(name="Kari")
    top = make_comment(consultation, author, "Vi trenger sykkelvei langs sjøen.")
    for n in range(8):  # more replies than a page of threads shows: folded, with a link to the thread's page
        make_comment(consultation, make_user(name=f"Ola {n}"), "Enig!", parent=top)
    with app.app_context():  # a theme: moderators get the theme checkboxes and the page's tagging form
        db.session.add(Theme(consultation_id=consultation.id, name="Sykkel"))
        db.session.commit()
    found = {}
    for role, paths in pages_for(consultation.slug, draft.slug, top.id).items():
        context = chromium.new_context(base_url=live_server, bypass_csp=True)  # to inject axe; the site has no script
        context.add_cookies([{"name": "hoering_lang", "value": language, "url": live_server}])
        page = context.new_page()
        if role != "anonymous":
            user = make_user(role=role)
            page.goto("/logg-inn")
            page.fill("#email", user.email)
            page.fill("#password", TEST_PASSWORD)
            page.press("#password", "Enter")
            page.wait_for_load_state()
        for path in paths:
            response = page.goto(path)
            assert response.ok and ("/logg-inn" not in page.url or path == "/logg-inn"), (role, path, page.url)
            assert page.evaluate("document.documentElement.lang") == language
            page.add_script_tag(content=axe_script)
            violations = page.evaluate(RUN_AXE)
            if violations:
                found[f"{role} {path}"] = violations
        context.close()
    assert found == {}


@pytest.mark.browser
def test_the_check_finds_a_violation_when_there_is_one(chromium, axe_script):
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content('<html lang="nb"><body><main><img src="bilde.png"><button></button></main></body></html>')
    page.add_script_tag(content=axe_script)
    violations = page.evaluate(RUN_AXE)
    assert any(v.startswith("image-alt") for v in violations) and any(v.startswith("button-name") for v in violations)
    context.close()
