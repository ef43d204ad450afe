"""Agree and disagree in a real browser with the page's script (static/js/stances.js):
the buttons change the counts, the pressed state and the "Omstridt" badge without
reloading the page, and a screen reader is told the new counts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hoering.comments.models import Comment
from hoering.extensions import db
from tests.browser.conftest import assert_clean, visit


@pytest.mark.browser
def test_pressing_uenig_changes_the_count_without_reloading(open_page, make_user, make_consultation, make_comment,
                                                            app, tmp_path):
    consultation = make_consultation()
    comment = make_comment(consultation, make_user(name="Kari Forfatter"), "Fartsdemper ved skolen, takk",
                           support_count=6, disagree_count=3)
    page = open_page(make_user())
    visit(page, f"/hoeringer/{consultation.slug}")
    article = page.locator(f"#kommentar-{comment.id}")
    agree = article.locator("button.stance-agree")
    disagree = article.locator("button.stance-disagree")
    badge = article.locator(".badge-contested")
    assert disagree.inner_text().startswith("Uenig (3)") and badge.is_hidden()  # nine votes: not yet
    page.evaluate("window.__same_document = true")  # gone if the page were loaded again

    disagree.click()
    page.wait_for_function(
        "id => document.querySelector(`#kommentar-${id} .stance-disagree .stance-count`).textContent === '(4)'",
        arg=comment.id)
    assert disagree.get_attribute("aria-pressed") == "true" and agree.get_attribute("aria-pressed") == "false"
    assert article.locator(".stance-status").inner_text() == "Du er uenig. omstridt: 6 enig, 4 uenig"
    assert badge.is_visible()  # ten votes, and 4 is more than a third of them
    assert page.evaluate("window.__same_document") is True
    article.screenshot(path=str(tmp_path / "uenig.png"))

    agree.click()  # switch sides
    page.wait_for_function(
        "id => document.querySelector(`#kommentar-${id} .stance-agree .stance-count`).textContent === '(7)'",
        arg=comment.id)
    assert article.locator(".stance-disagree .stance-count").inner_text() == "(3)"
    assert agree.get_attribute("aria-pressed") == "true" and disagree.get_attribute("aria-pressed") == "false"
    assert badge.is_hidden()  # 7 against 3: less than a third

    agree.click()  # the pressed button takes it back
    page.wait_for_function(
        "id => document.querySelector(`#kommentar-${id} .stance-agree`).getAttribute('aria-pressed') === 'false'",
        arg=comment.id)
    assert article.locator(".stance-agree .stance-count").inner_text() == "(6)"
    assert_clean(page)
    with app.app_context():
        stored = db.session.execute(sa.select(Comment.support_count, Comment.disagree_count)
                                    .where(Comment.id == comment.id)).one()
    assert tuple(stored) == (6, 3)
    # Loaded again, the page shows what the script showed.
    visit(page, f"/hoeringer/{consultation.slug}")
    assert article.locator(".stance-agree").inner_text().startswith("Enig (6)")
