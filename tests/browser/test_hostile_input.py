"""Every XSS payload of ``shared/data/xss-payloads``, posted as comments and display names,
viewed in a real browser: no dialog opens, no script runs, nothing outside the allowlist
reaches the DOM."""

from __future__ import annotations

import glob
import os
from urllib.parse import quote

import pytest

from tests.browser.conftest import DOM_CHECK
from tests.conftest import shared_data


def payloads() -> list[str]:
    folder = shared_data("xss-payloads")
    lines: list[str] = []
    for path in sorted(glob.glob(os.path.join(folder, "*.txt"))):
        if "LICENSE" in path:
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines.extend(line.rstrip("\n") for line in handle if line.strip())
    return list(dict.fromkeys(lines))


def check(page, url: str) -> None:
    page.goto(url)
    fired = page.evaluate("window.__xss")
    problems = page.evaluate(DOM_CHECK)
    assert page.dialogs == [] and fired == [] and problems == [], (url, page.dialogs, fired, problems[:5])


@pytest.mark.browser
def test_every_xss_payload_as_a_comment_and_a_name_is_inert(page, make_consultation, make_user, make_comment, app):
    every = payloads()
    assert len(every) > 1500
    consultation = make_consultation(title="XSS-test")
    authors = [make_user(name=text[:80]) for text in every[:60]] + [make_user()]
    for n, text in enumerate(every):
        make_comment(consultation, authors[n % len(authors)], text[:3900])
    per_page = app.config["THREADS_PER_PAGE"]
    pages = -(-len(every) // per_page)
    for number in range(1, pages + 1):
        check(page, f"/hoeringer/{consultation.slug}?page={number}")


@pytest.mark.browser
def test_xss_payloads_as_search_queries_are_inert(page, make_consultation, make_comment, make_user):
    consultation = make_consultation()
    make_comment(consultation, make_user(), "Alert og script i en vanlig tekst")
    for text in payloads()[::40]:
        check(page, f"/sok?q={quote(text[:400])}")


@pytest.mark.browser
def test_the_checks_catch_a_page_that_is_not_safe(chromium):
    """The detectors themselves: a page with an injected handler and script is caught."""
    from tests.browser.conftest import TRAP_SCRIPT

    context = chromium.new_context()
    context.add_init_script(TRAP_SCRIPT)
    page = context.new_page()
    page.set_content('<div class="comment-body"><img src="x" onerror="alert(1)"><b>fet</b></div>'
                     '<a href="javascript:alert(2)">lenke</a><script>confirm(3)</script>')
    page.wait_for_timeout(200)
    problems = page.evaluate(DOM_CHECK)
    assert any("handler onerror" in p for p in problems) and any("javascript:" in p for p in problems)
    assert any("element b in a comment" in p for p in problems) and any("script element not from /static/js/" in p for p in problems)
    assert page.evaluate("window.__xss")  # the image's alert and the script's confirm were trapped
    context.close()
