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


def verification_link(app, address: str) -> str:
    """The path of the link in the verification mail sent to ``address``."""
    import sqlalchemy as sa

    from hoering.extensions import db
    from hoering.notifications.models import OutboxMail

    with app.app_context():
        body = db.session.scalar(sa.select(OutboxMail.body).where(OutboxMail.to_address == address))
    return "/bekreft-epost/" + re.search(r"/bekreft-epost/(\S+)", body).group(1)


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
    page.goto(verification_link(app, "tone@example.org"))  # the link in the mail …
    press(page, "main button[type=submit]")  # … and its one button
    assert "bekreftet" in page.content()

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
    for n in range(60):  # more than a page of threads shows, and more than one page of the thread's own page
        make_comment(consultation, make_user(), f"Svar {n}", parent=top)
    context = chromium.new_context(base_url=live_server, viewport={"width": width, "height": 800})
    page = context.new_page()
    for path in ("/", f"/hoeringer/{consultation.slug}", f"/hoeringer/{consultation.slug}/traad/{top.id}?page=2",
                 "/sok?q=innspill", "/arshjul", "/arkiv", "/logg-inn", "/registrer",
                 "/ordensregler", "/personvern"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, (path, width, overflow)
    context.close()


#: Lists the elements that reach past the right edge of the viewport (the widest first).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && !el.closest('.table-wrap, .visually-hidden'))
    .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)
    .slice(0, 3).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.'));
}"""


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 640])  # 640 CSS px: a 1280 px window at 200 % zoom
def test_no_staff_page_scrolls_sideways_at_small_widths(open_page, app, make_user, make_consultation, make_comment,
                                                        browser_for, width):
    from hoering.extensions import db
    from hoering.summaries.models import Theme
    from tests.browser.conftest import visit

    link = "https://example.org/" + "a" * 80
    consultation = make_consultation(title="En høring med en ganske lang tittel som må brytes pent på mobil",
                                     questions=("Hvordan bør den nye sykkelveien langs sjøen bygges?",))
    slug = consultation.slug
    author = make_user(name="Navn-med-mange-ledd-og-ingen-mellomrom")
    top = make_comment(consultation, author, f"Et innspill med en lenke {link}")
    reply = make_comment(consultation, make_user(), f"Et svar med en lenke {link}", parent=top)
    make_comment(consultation, author, f"Et innspill som venter på godkjenning {link}", state="pending")
    # Through the app's doors: a report, a moderator's action with a note, a theme.
    reporter = browser_for("citizen")
    assert reporter.submit(f"/kommentarer/{top.id}/rapporter",
                           data={"reason": "other", "text": f"En forklaring {link}"}).status_code == 303
    moderator = browser_for("moderator")
    assert moderator.submit(f"/moderering/kommentarer/{reply.id}", f"/moderering/kommentarer/{reply.id}/handling",
                            data={"action": "hide", "version": "0", "reason": "reklame",
                                  "note": f"Et notat {link}"}).status_code == 303
    assert moderator.submit(f"/moderering/hoeringer/{slug}/temaer",
                            data={"name": "Trafikksikkerhet langs skoleveien", "description": link}).status_code == 303
    with app.app_context():
        theme_id = db.session.scalar(db.select(Theme.id))
    pages = {
        "moderator": ["/moderering", "/moderering/oversikt", "/moderering/logg", f"/moderering/kommentarer/{top.id}",
                      f"/moderering/brukere/{author.id}/utesteng", f"/moderering/hoeringer/{slug}/temaer",
                      f"/moderering/temaer/{theme_id}", f"/moderering/hoeringer/{slug}/temaforslag",
                      f"/moderering/hoeringer/{slug}/foreslatte-temaer",
                      f"/moderering/hoeringer/{slug}/duplikater", f"/moderering/hoeringer/{slug}/oppsummering",
                      f"/saksbehandling/hoeringer/{slug}", f"/hoeringer/{slug}/rapport", "/sok?q=innspill&state=pending",
                      f"/hoeringer/{slug}", f"/hoeringer/{slug}/traad/{top.id}"],
        "case_officer": ["/saksbehandling/hoeringer/ny", f"/saksbehandling/hoeringer/{slug}/rediger",
                         f"/saksbehandling/hoeringer/{slug}/livslop", f"/hoeringer/{slug}",
                         f"/saksbehandling/hoeringer/{slug}"],
        "admin": ["/admin/brukere", f"/admin/brukere/{author.id}", "/admin/ordensregler", "/admin/ordensregler/ny",
                  "/admin/sikkerhet"],
    }
    found = {}
    for role, paths in pages.items():
        page = open_page(make_user(role=role), viewport={"width": width, "height": 800})
        for path in paths:
            visit(page, path)
            assert page.url.endswith(path), (role, path, page.url)  # not sent to the login page
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 1:
                found[f"{role} {path}"] = (overflow, page.evaluate(OVERFLOWING))
    assert found == {}, width
