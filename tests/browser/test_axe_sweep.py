"""Universal design, everywhere: axe-core checks every HTML page of the role × route matrix
(tests/test_access_matrix.py) that each role may see, in Norwegian and English, and any
violation fails: the rules of WCAG 2.0 and 2.1 at levels A and AA (the level Norwegian law,
forskrift om universell utforming av IKT-løsninger, requires) and axe's best-practice
landmark rules.

One Chromium, one browser context per role and language (logged in once), one visit per
route: the sweep of about 600 pages takes a few minutes on two cores.
"""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import axe_script  # noqa: F401 - the fixture
from tests.conftest import TEST_PASSWORD
from tests.test_access_matrix import MATRIX, scene  # noqa: F401 - the fixture

ROLES = ("anonymous", "citizen", "moderator", "case_officer", "admin")
#: Answers that are not HTML pages (files, feeds, the API), left out by their address.
NOT_PAGES = ("/api/", "/static/", ".csv", ".xlsx", ".pdf", ".pdfa", ".docx", ".png", ".svg", ".ics", ".atom",
             ".json", ".zip", "/healthz")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: The search page's other states, for everyone: no query, nothing left once a word is
#: left out (with the link to the search without it), and a query that only leaves out.
SEARCH_STATES = ["/sok", "/sok?q=innlegg+-innlegg", "/sok?q=-innlegg", "/sok?q=innleg"]

#: Best-practice rules checked too: landmarks (one main, none duplicated, each labelled
#: apart, all content inside one: ``region``) and roles an element may not take.
BEST_PRACTICE = ["landmark", "region", "aria-allowed-role"]

RUN_AXE = """async ([tags, BEST_PRACTICE]) => (await axe.run(document, {
    runOnly: {type: 'tag', values: [...tags, 'best-practice']}, resultTypes: ['violations']})).violations
  .filter(v => v.tags.some(t => tags.includes(t)) || BEST_PRACTICE.some(r => v.id.startsWith(r)))
  .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"""


def pages(values: dict, own: dict, role: str) -> list[str]:
    """Every HTML page of the matrix that ``role`` may open (status 200), each route once."""
    found, seen = [], set()
    for endpoint, method, template, _data, allowed, status in MATRIX:
        ok = status if isinstance(status, tuple) else (status,)
        if method != "GET" or role not in allowed or 200 not in ok or (endpoint, template) in seen:
            continue
        seen.add((endpoint, template))
        path = template.format(**{**values, "own_comment": own.get(role, values["other_comment"])})
        if not any(marker in path for marker in NOT_PAGES):
            found.append(path)
    return found + SEARCH_STATES


@pytest.mark.browser
def test_every_page_for_every_role_in_both_languages_has_no_axe_violation(
        app, chromium, live_server, axe_script, scene):  # noqa: F811 - the imported fixtures
    values, users, own = scene
    found: dict[str, list[str]] = {}
    visited = 0
    for language in ("nb", "en"):
        for role in ROLES:
            # bypass_csp: axe is injected as a script of its own; the site itself has no inline script.
            context = chromium.new_context(base_url=live_server, bypass_csp=True)
            context.add_cookies([{"name": "hoering_lang", "value": language, "url": live_server}])
            context.add_init_script(axe_script)
            page = context.new_page()
            if role != "anonymous":
                page.goto("/logg-inn")
                page.fill("#email", users[role].email)
                page.fill("#password", TEST_PASSWORD)
                with page.expect_navigation():
                    page.press("#password", "Enter")
                assert "/logg-inn" not in page.url, (role, page.url)
            for path in pages(values, own, role):
                response = page.goto(path)
                assert response is not None and response.status < 500, (role, path)
                if "text/html" not in (response.headers.get("content-type") or ""):
                    continue
                assert page.evaluate("document.documentElement.lang") == language, (role, path)
                visited += 1
                violations = page.evaluate(RUN_AXE, [WCAG_TAGS, BEST_PRACTICE])
                if violations:
                    found[f"{language} {role} {path}"] = violations
            context.close()
    assert visited > 300  # the sweep really went through the matrix
    assert found == {}, "\n".join(f"{where}: {v}" for where, vs in found.items() for v in vs)


@pytest.mark.browser
def test_the_sweep_finds_contrast_landmark_and_role_violations(chromium, axe_script):  # noqa: F811
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_content('<html lang="nb"><head><title>x</title><style>p { color: #aaa; }</style></head><body>'
                     '<nav>a</nav><nav>b</nav><main><h1>Søk</h1><h2 role="status">3 treff</h2>'
                     '<p>Lys grå tekst</p></main></body></html>')
    page.add_script_tag(content=axe_script)
    violations = " ".join(page.evaluate(RUN_AXE, [WCAG_TAGS, BEST_PRACTICE]))
    assert "color-contrast" in violations and "landmark-unique" in violations and "aria-allowed-role" in violations
    context.close()
