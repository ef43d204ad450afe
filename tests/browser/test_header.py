"""The header stands still: the same box on every page, logged in or not, whether the page
is long enough to scroll or not, at 320 and 1280 CSS pixels (issue "Polish", item 5)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, log_in

#: The header and its parts whose boxes must not move between pages.
PARTS = ("header.site-header", ".site-name", ".header-search", ".language-switch", ".site-nav li:first-child")
BOXES = f"""() => {list(PARTS)!r}.map(selector => {{
  const box = document.querySelector(selector).getBoundingClientRect();
  return [selector, Math.round(box.x * 10) / 10, Math.round(box.y * 10) / 10,
          Math.round(box.width * 10) / 10, Math.round(box.height * 10) / 10];
}})"""


@pytest.fixture(scope="module")
def chromium_with_scrollbars(chromium):
    """A Chromium that draws classic scrollbars (Playwright hides them by default), so a
    page that scrolls is narrower inside than one that does not, as for most readers."""
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                                           ignore_default_args=["--hide-scrollbars"])
    yield browser
    browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 1280])
def test_the_header_keeps_its_box_on_every_page_and_for_every_reader(chromium_with_scrollbars, live_server,
                                                                     make_consultation, make_user, width):
    for n in range(8):  # a front page long enough to scroll
        make_consultation(title=f"Høring nummer {n} med en tittel", summary="Et sammendrag. " * 30)
    consultation = make_consultation(title="Ny skole")
    readers = {"anonymous": None, "citizen": make_user(role="citizen", name="Kari Nordmann"),
               "case officer": make_user(role="case_officer"), "admin": make_user(role="admin")}
    pages = ["/", "/logg-inn", "/arkiv", "/arshjul", "/sok?q=skole", f"/hoeringer/{consultation.slug}", "/politikk",
             "/ordensregler"]
    seen, scrolls = {}, set()
    for reader, user in readers.items():
        context = chromium_with_scrollbars.new_context(base_url=live_server, viewport={"width": width, "height": 1000})
        page = context.new_page()
        if user is not None:
            log_in(page, user)
        for path in pages:
            page.goto(path)
            scrolls.add(page.evaluate("document.documentElement.scrollHeight > window.innerHeight"))
            seen.setdefault(repr(page.evaluate(BOXES)), []).append(f"{reader} {path}")
        context.close()
    assert scrolls == {True, False}  # pages that scroll and pages that do not were compared
    assert len(seen) == 1, "\n".join(f"{boxes}: {where}" for boxes, where in seen.items())
