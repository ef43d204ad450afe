"""Threads in a real browser with the page's script (static/js/threads.js): a long
thread unfolds in place, a long comment folds behind "Vis mer" with its whole text still
in the page, and a comment just posted has the focus, in view, with its confirmation."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from tests.browser.conftest import assert_clean, visit
from tests.browser.test_accessibility import RUN_AXE, axe_script  # noqa: F401 - the fixture

NOW = dt.datetime.now(dt.UTC)
#: Where the screenshots go (HOERING_SCREENSHOTS to keep them), else the test's tmp_path.
SHOTS = os.environ.get("HOERING_SCREENSHOTS")


def shot(page, tmp_path, name: str) -> None:
    page.screenshot(path=os.path.join(SHOTS or str(tmp_path), name), full_page=False)


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 1280])
def test_a_long_thread_unfolds_in_place_and_a_long_comment_folds_behind_vis_mer(
        open_page, make_user, make_consultation, make_comment, tmp_path, width, axe_script):  # noqa: F811
    consultation = make_consultation()
    root = make_comment(consultation, make_user(name="Kari"), "Sykkelvei langs sjøen?",
                        created_at=NOW - dt.timedelta(hours=3))
    replies = [make_comment(consultation, make_user(name=f"Ola {n}"), f"Svar nummer {n + 1}", parent=root,
                            created_at=NOW - dt.timedelta(hours=2) + dt.timedelta(minutes=n)) for n in range(14)]
    long_text = "\n\n".join(f"Avsnitt {n}: her står det mye om sykkelveien langs fjorden." for n in range(25))
    long_comment = make_comment(consultation, make_user(name="Lang"), long_text, created_at=NOW)
    page = open_page(viewport={"width": width, "height": 900})  # under the site's CSP
    visit(page, f"/hoeringer/{consultation.slug}")

    body = page.locator(f"#kommentar-{long_comment.id} .comment-body")
    toggle = page.locator(f"#kommentar-{long_comment.id} button.fold-toggle")
    assert toggle.inner_text() == "Vis mer" and toggle.get_attribute("aria-expanded") == "false"
    folded_height = body.bounding_box()["height"]
    assert folded_height < 300 and "Avsnitt 24" in body.text_content()  # all of it stays in the page
    assert page.locator(f"#kommentar-{root.id} button.fold-toggle").count() == 0  # a short one is not folded
    toggle.scroll_into_view_if_needed()
    shot(page, tmp_path, f"threads-folded-{width}.png")
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and toggle.inner_text() == "Vis mindre"
    assert body.bounding_box()["height"] > folded_height * 2

    assert page.locator(f"#kommentar-{replies[5].id}").count() == 0
    link = page.locator(".more-replies")
    assert link.inner_text() == "Vis alle 14 svar"
    assert page.locator(f"#svar-{root.id}").inner_text() == "14 svar"
    page.evaluate("window.__same_document = true")
    link.click()
    page.wait_for_selector(f"#kommentar-{replies[13].id}")
    assert page.evaluate("window.__same_document") is True and page.url.endswith(consultation.slug)
    shown = page.locator(".thread article.comment").evaluate_all("els => els.map(e => e.id)")
    assert [i for i in shown if i != f"kommentar-{long_comment.id}"] == \
        [f"kommentar-{c.id}" for c in (root, *replies)]
    assert page.evaluate("document.activeElement.id") == f"kommentar-{replies[5].id}"
    assert page.locator(".more-replies").count() == 0
    assert_clean(page)
    checked = open_page(viewport={"width": width, "height": 900}, bypass_csp=True)  # to inject axe
    visit(checked, f"/hoeringer/{consultation.slug}")
    checked.locator(".more-replies").click()
    checked.wait_for_selector(f"#kommentar-{replies[13].id}")
    checked.add_script_tag(content=axe_script)
    assert checked.evaluate(RUN_AXE) == []  # folded and brought in: no serious or critical violation
    page.locator(f"#svar-{root.id}").scroll_into_view_if_needed()
    shot(page, tmp_path, f"threads-unfolded-{width}.png")


@pytest.mark.browser
def test_without_javascript_the_fold_link_leads_to_the_threads_own_page(
        open_page, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    root = make_comment(consultation, make_user(), "Tråden", created_at=NOW - dt.timedelta(hours=1))
    for n in range(9):
        make_comment(consultation, make_user(), f"Svar {n}", parent=root)
    page = open_page(java_script_enabled=False)
    visit(page, f"/hoeringer/{consultation.slug}")
    with page.expect_navigation():
        page.locator(".more-replies").click()
    assert page.url.endswith(f"/hoeringer/{consultation.slug}/traad/{root.id}")
    assert page.locator("article.comment").count() == 10


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 1280])
def test_after_posting_the_new_comment_has_the_focus_in_view_with_its_confirmation(
        open_page, make_user, make_consultation, make_comment, tmp_path, width, axe_script):  # noqa: F811
    consultation = make_consultation()
    author = make_user(name="Kari")
    old = make_comment(consultation, author, "Den eldste tråden", created_at=NOW - dt.timedelta(days=1))
    for n in range(24):  # the oldest thread is on page 2 of the threads
        make_comment(consultation, author, f"Tråd {n}\n\nmed litt tekst", created_at=NOW - dt.timedelta(hours=20 - n))
    page = open_page(make_user(name="Ola"), viewport={"width": width, "height": 800}, bypass_csp=True)
    visit(page, f"/hoeringer/{consultation.slug}?page=2")
    page.locator(f"#kommentar-{old.id} details.reply summary").click()
    page.locator(f"#reply-text-{old.id}").fill("Jeg er enig i dette.")
    with page.expect_navigation():
        page.locator(f"#kommentar-{old.id} details.reply button[type=submit]").click()
    page.wait_for_load_state()

    focused = page.evaluate("document.activeElement.id")
    assert focused.startswith("kommentar-") and focused != f"kommentar-{old.id}"
    assert "page=2" in page.url and page.url.endswith("#" + focused)
    article = page.locator(f"#{focused}")
    confirmation = article.locator(".comment-confirmation")
    assert confirmation.inner_text() == "Takk! Svaret ditt er publisert."
    assert page.locator(".messages").count() == 0  # not at the top of the page
    box, view = confirmation.bounding_box(), page.viewport_size
    assert 0 <= box["y"] and box["y"] + box["height"] <= view["height"]  # in view
    assert article.get_attribute("aria-describedby") == confirmation.get_attribute("id")
    assert_clean(page)
    shot(page, tmp_path, f"posted-{width}.png")
    page.add_script_tag(content=axe_script)
    assert page.evaluate(RUN_AXE) == []


@pytest.mark.browser
def test_a_count_goes_away_when_it_falls_back_to_zero(open_page, make_user, make_consultation, make_comment):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(name="Kari"), "Benker langs stien")
    page = open_page(make_user())
    visit(page, f"/hoeringer/{consultation.slug}")
    agree = page.locator(f"#kommentar-{comment.id} button.stance-agree")
    assert agree.inner_text().strip().startswith("Enig") and "(0)" not in agree.inner_text()
    agree.click()
    page.wait_for_function("id => document.querySelector(`#kommentar-${id} .stance-agree .stance-count`)"
                           ".textContent === '(1)'", arg=comment.id)
    agree.click()  # taken back: no "(0)"
    page.wait_for_function("id => document.querySelector(`#kommentar-${id} .stance-agree`)"
                           ".getAttribute('aria-pressed') === 'false'", arg=comment.id)
    assert agree.locator(".stance-count").text_content() == ""
    assert page.locator(f"#kommentar-{comment.id} .stance-status").text_content() == "Du har ikke tatt standpunkt."
    assert_clean(page)
