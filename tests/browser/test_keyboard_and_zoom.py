"""The citizen journey with the keyboard alone, and layouts at 320 px and at 200 % zoom."""

from __future__ import annotations

import re

import pytest


def tab_to(page, selector: str, limit: int = 250) -> None:
    """Press Tab until the element matching ``selector`` has the focus (it must be
    reachable by keyboard, in order)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def press(page, selector: str, key: str = "Enter", navigates: bool = True) -> None:
    """Tab to ``selector`` and press ``key`` (waiting for the page it leads to)."""
    tab_to(page, selector)
    if navigates:
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)


@pytest.mark.browser
def test_register_comment_reply_and_report_with_the_keyboard_alone(page, make_consultation, make_user, make_comment,
                                                                   app):
    consultation = make_consultation(title="Tastaturhøring")
    make_comment(consultation, make_user(name="Ola"), "Et innspill å svare på")
    page.goto("/registrer")
    for selector, text in (("#display_name", "Tastatur-Tone"), ("#email", "tone@example.org"),
                           ("#password", "et-langt-passord-1"), ("#password_again", "et-langt-passord-1")):
        type_into(page, selector, text)
    press(page, "main button[type=submit]")
    assert "/registrer" not in page.url, re.findall(r'<p class="error"[^>]*>([^<]+)<', page.content())

    page.goto(f"/hoeringer/{consultation.slug}")
    type_into(page, "#comment-text", "Skrevet bare med tastaturet")
    press(page, "#comment-consent", "Space", navigates=False)
    press(page, ".comment-form button[type=submit]")
    assert "Skrevet bare med tastaturet" in page.content()

    press(page, "details.reply summary", navigates=False)
    type_into(page, "details.reply[open] textarea", "Et svar uten mus")
    press(page, "details.reply[open] button[type=submit]")
    assert "Et svar uten mus" in page.content()

    press(page, "a[href$='/rapporter']")
    press(page, "input[type=radio]", "Space", navigates=False)
    press(page, "main form button[type=submit]")
    assert re.search(r"/hoeringer/|/kommentarer/", page.url) and "rapporter" not in page.url
    assert page.dialogs == []


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 640])  # 640 CSS px: a 1280 px window at 200 % zoom
def test_no_page_scrolls_sideways_at_small_widths(chromium, live_server, make_consultation, make_user, make_comment,
                                                  width):
    consultation = make_consultation(title="En høring med en ganske lang tittel som må brytes pent på mobil")
    top = make_comment(consultation, make_user(name="Navn"), "Et innspill med en lenke https://example.org/" + "a" * 80)
    make_comment(consultation, make_user(), "Et svar", parent=top)
    context = chromium.new_context(base_url=live_server, viewport={"width": width, "height": 800})
    page = context.new_page()
    for path in ("/", f"/hoeringer/{consultation.slug}", "/sok?q=innspill", "/arshjul", "/logg-inn", "/registrer",
                 "/ordensregler", "/personvern"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, width, overflow)
    context.close()
