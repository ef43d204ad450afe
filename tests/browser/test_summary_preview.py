""""Forhåndsvis" on the summary editor in a real browser: with JavaScript the preview comes
in place without leaving the page (static/js/summary-preview.js); without it, the form
posts and the page comes back with the preview. Nothing is saved either way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hoering.extensions import db
from hoering.summaries.models import Summary
from tests.browser.conftest import assert_clean, log_in

TEXT = "## Hovedinntrykk\n\nMange ønsker **tryggere** veier.\n\n<script>alert('x')</script>"


def _summaries(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Summary))


@pytest.mark.browser
def test_the_preview_comes_in_place_and_saves_nothing(page, app, make_consultation, make_user):
    consultation = make_consultation(status="closed")
    log_in(page, make_user(role="moderator"))
    page.goto(f"/moderering/hoeringer/{consultation.slug}/oppsummering")
    page.fill("#overview", TEXT)
    page.evaluate("window.__stayed = true")
    page.get_by_role("button", name="Forhåndsvis").click()
    page.wait_for_selector("#forhandsvisning")
    assert page.evaluate("window.__stayed === true")  # the same page, not a new one
    preview = page.inner_html("#forhandsvisning")
    assert "<strong>tryggere</strong>" in preview and "<h3>Hovedinntrykk</h3>" in preview and "alert" not in preview
    assert page.input_value("#overview") == TEXT
    assert_clean(page)
    assert _summaries(app) == 0


@pytest.mark.browser
def test_without_javascript_the_form_posts_and_comes_back_with_the_preview(chromium, live_server, app,
                                                                           make_consultation, make_user):
    consultation = make_consultation(status="closed")
    context = chromium.new_context(base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, make_user(role="moderator"))
        page.goto(f"/moderering/hoeringer/{consultation.slug}/oppsummering")
        page.fill("#overview", TEXT)
        with page.expect_navigation():
            page.get_by_role("button", name="Forhåndsvis").click()
        assert page.url.endswith("/oppsummering#forhandsvisning")
        assert "<strong>tryggere</strong>" in page.inner_html("#forhandsvisning")
        assert page.input_value("#overview") == TEXT
    finally:
        context.close()
    assert _summaries(app) == 0
